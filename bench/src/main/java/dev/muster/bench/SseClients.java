package dev.muster.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A child process of the fleet fan-out: {@code N} services of a fleet, each an SSE arrival on a socket of its own,
 * as light as a client can be — HTTP/1.1 written by hand, every socket on one selector (as the asyncio
 * clients were), so that the box's CPU goes to the orchestrator rather than to waking a thread per client. It prints
 * {@code streaming FIRST LAST} once every stream has begun (its arrival is on record) — the instants (epoch µs) its
 * first request was sent and its last stream began — then, for each stream, the instant at which it read its
 * {@code schema.ready}, and {@code done}.
 *
 * <p>{@code java -cp muster-bench.jar dev.muster.bench.SseClients URL SCHEMA N PREFIX}
 */
public final class SseClients {
  private static final byte[] BEGUN = ": muster".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] READY = "event: schema.ready".getBytes(StandardCharsets.US_ASCII);
  private static final long DEADLINE_NANOS = 5L * 60 * 1_000_000_000;

  private SseClients() {}

  /** One stream: what it has read so far (only a tail is kept), and when it saw what it waits for. */
  private static final class Stream {
    final int index;
    final ByteBuffer request;
    byte[] seen = new byte[0];
    boolean statusChecked;
    boolean begun;
    long readyAt;
    String problem;

    Stream(int index, ByteBuffer request) {
      this.index = index;
      this.request = request;
    }

    boolean finished() {
      return readyAt > 0 || problem != null;
    }
  }

  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    String schema = args[1];
    int n = Integer.parseInt(args[2]);
    String prefix = args[3];
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());
    Stream[] streams = new Stream[n];
    int begun = 0;
    int finished = 0;
    boolean toldStreaming = false;
    long firstSent = 0;
    long lastBegun = 0;
    ByteBuffer read = ByteBuffer.allocateDirect(64 * 1024);
    long deadline = System.nanoTime() + DEADLINE_NANOS;
    try (Selector selector = Selector.open()) {
      for (int i = 0; i < n; i++) {
        byte[] body = ("{\"service\":\"bench\",\"instance\":\"" + prefix + "-" + i + "\",\"schema\":\"" + schema + "\"}")
            .getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST /api/v1/arrivals HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
            + "\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: " + body.length
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer request = ByteBuffer.allocate(head.length + body.length).put(head).put(body).flip();
        streams[i] = new Stream(i, request);
        SocketChannel channel = SocketChannel.open(address); // a blocking connect: simple, and done before the run
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.configureBlocking(false);
        channel.register(selector, SelectionKey.OP_WRITE, streams[i]);
      }
      while (finished < n) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("streams did not end in 5 minutes");
        selector.select(1_000);
        for (SelectionKey key : selector.selectedKeys()) {
          Stream s = (Stream) key.attachment();
          SocketChannel channel = (SocketChannel) key.channel();
          boolean wasBegun = s.begun;
          try {
            if (key.isWritable()) {
              if (firstSent == 0) firstSent = epochMicros();
              channel.write(s.request);
              if (!s.request.hasRemaining()) key.interestOps(SelectionKey.OP_READ);
            } else if (key.isReadable()) {
              read.clear();
              int count = channel.read(read);
              if (count < 0) {
                s.problem = "the stream ended before schema.ready";
              } else {
                read.flip();
                take(s, read);
              }
            }
          } catch (IOException e) {
            s.problem = String.valueOf(e);
          }
          if (s.begun && !wasBegun) {
            begun++;
            lastBegun = epochMicros();
          }
          if (s.finished()) {
            finished++;
            if (!s.begun) begun++; // a stream that failed before it began counts as begun, so the run goes on
            key.cancel();
            channel.close();
          }
        }
        selector.selectedKeys().clear();
        if (!toldStreaming && begun == n) {
          toldStreaming = true;
          out.println("streaming " + firstSent + " " + lastBegun);
        }
      }
    }
    if (!toldStreaming) out.println("streaming " + firstSent + " " + lastBegun);
    for (Stream s : streams) {
      out.println(s.problem != null ? "problem " + s.problem : "ready " + s.readyAt);
    }
    out.println("done");
  }

  /** Appends what was read to the stream's tail and looks in it for the status line, the first line, the event. */
  private static void take(Stream s, ByteBuffer data) {
    byte[] joined = new byte[s.seen.length + data.remaining()];
    System.arraycopy(s.seen, 0, joined, 0, s.seen.length);
    data.get(joined, s.seen.length, data.remaining());
    if (!s.statusChecked && joined.length >= 12) {
      String status = new String(joined, 0, 12, StandardCharsets.US_ASCII);
      if (!status.endsWith(" 200")) {
        s.problem = "answered " + new String(joined, 0, Math.min(joined.length, 200), StandardCharsets.US_ASCII);
        return;
      }
      s.statusChecked = true;
    }
    if (!s.begun && indexOf(joined, BEGUN) >= 0) s.begun = true;
    if (s.begun && indexOf(joined, READY) >= 0) {
      s.readyAt = epochMicros();
      return;
    }
    // Keep only a tail long enough to hold a marker cut in two by the reads (the headers until the status is read).
    int keep = s.statusChecked ? Math.min(joined.length, READY.length) : joined.length;
    s.seen = java.util.Arrays.copyOfRange(joined, joined.length - keep, joined.length);
  }

  private static long epochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    // ISO-8859-1 maps each byte to one char: a byte search, by the JDK's own.
    return new String(haystack, StandardCharsets.ISO_8859_1).indexOf(new String(needle, StandardCharsets.ISO_8859_1));
  }

}
