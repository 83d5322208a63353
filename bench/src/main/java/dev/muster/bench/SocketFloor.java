package dev.muster.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The floor under the fan-out's write phase: a server that does nothing but answer each {@link SseClients} arrival
 * with an SSE stream and, when {@link #fire} is called, write one pre-encoded {@code schema.ready} chunk to every
 * stream from one thread — no HTTP library, no log, no coordinator. Read by the same client processes as the
 * orchestrator, on the same box, it says how long N socket writes and their N readers take here, whatever the
 * server: an orchestrator's latency above it is its own.
 */
final class SocketFloor implements AutoCloseable {
  private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
      + "Transfer-Encoding: chunked\r\n\r\n" + chunk(": muster\n\n")).getBytes(StandardCharsets.US_ASCII);
  private static final byte[] READY = (chunk("id: 1\nevent: schema.ready\ndata: {\"type\":\"schema.ready\"}\n\n")
      + "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

  private final ServerSocketChannel server;
  private final Selector selector;
  private final Thread loop;
  private final List<SocketChannel> streams = new ArrayList<>();
  private final CountDownLatch fired = new CountDownLatch(1);
  private volatile boolean fire;
  private volatile long firedAtMicros;

  private SocketFloor() throws IOException {
    server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8192);
    server.configureBlocking(false);
    selector = Selector.open();
    server.register(selector, SelectionKey.OP_ACCEPT);
    loop = new Thread(this::serve, "socket-floor");
    loop.setDaemon(true);
    loop.start();
  }

  static SocketFloor start() throws IOException {
    return new SocketFloor();
  }

  String url() {
    return "http://127.0.0.1:" + server.socket().getLocalPort();
  }

  /** Writes the event to every open stream, from the server's one thread; returns the instant (epoch µs) it began. */
  long fire() throws InterruptedException {
    fire = true;
    selector.wakeup();
    if (!fired.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("the floor server did not write");
    return firedAtMicros;
  }

  private void serve() {
    try {
      while (!fire) {
        selector.select(100);
        for (SelectionKey key : selector.selectedKeys()) {
          if (key.isAcceptable()) {
            for (SocketChannel c; (c = server.accept()) != null; ) {
              c.configureBlocking(false);
              c.setOption(StandardSocketOptions.TCP_NODELAY, true);
              c.register(selector, SelectionKey.OP_READ, new StringBuilder());
            }
          } else if (key.isReadable()) {
            request(key);
          }
        }
        selector.selectedKeys().clear();
      }
      firedAtMicros = epochMicros();
      for (SocketChannel c : streams) write(c, ByteBuffer.wrap(READY));
      fired.countDown();
    } catch (IOException e) {
      Progress.say("socket floor: " + e);
    }
  }

  /** Reads an arrival's request; once whole (headers and body), answers it with the stream's head. */
  private void request(SelectionKey key) throws IOException {
    SocketChannel c = (SocketChannel) key.channel();
    StringBuilder seen = (StringBuilder) key.attachment();
    ByteBuffer in = ByteBuffer.allocate(4096);
    int count = c.read(in);
    if (count < 0) {
      key.cancel();
      c.close();
      return;
    }
    seen.append(new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1));
    int end = seen.indexOf("\r\n\r\n");
    if (end < 0) return;
    int length = 0;
    for (String line : seen.substring(0, end).split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Integer.parseInt(line.substring(15).strip());
    }
    if (seen.length() < end + 4 + length) return;
    key.interestOps(0);
    write(c, ByteBuffer.wrap(HEAD));
    streams.add(c);
  }

  /** Small writes to a socket whose buffer is empty go at once; should one not, it is finished here. */
  private static void write(SocketChannel c, ByteBuffer data) throws IOException {
    while (data.hasRemaining()) {
      if (c.write(data) == 0) Thread.onSpinWait();
    }
  }

  private static String chunk(String data) {
    return Integer.toHexString(data.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + data + "\r\n";
  }

  private static long epochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
  }

  @Override
  public void close() throws IOException {
    fire = true;
    selector.wakeup();
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SocketChannel c : streams) c.close();
    selector.close();
    server.close();
  }
}
