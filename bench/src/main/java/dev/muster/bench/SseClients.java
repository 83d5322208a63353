package dev.muster.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A child process of the fleet fan-out: {@code N} services of a fleet, each an SSE arrival on a socket of its own,
 * as light as a client can be (a blocking socket, HTTP/1.1 written by hand). It prints {@code streaming} once every
 * stream has begun (its arrival is on record), then, for each stream, the wall-clock instant (epoch µs) at which it
 * read its {@code schema.ready}, and {@code done}.
 *
 * <p>{@code java -cp muster-bench.jar dev.muster.bench.SseClients URL SCHEMA N PREFIX}
 */
public final class SseClients {
  private SseClients() {}

  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    String schema = args[1];
    int n = Integer.parseInt(args[2]);
    String prefix = args[3];
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    CountDownLatch streaming = new CountDownLatch(n);
    long[] readAt = new long[n];
    String[] problems = new String[n];
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      Thread t = new Thread(null, () -> {
        try {
          readAt[k] = stream(base, schema, prefix + "-" + k, streaming);
        } catch (Exception e) {
          problems[k] = String.valueOf(e);
          streaming.countDown();
        }
      }, "sse-" + k, 128 * 1024);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    if (!streaming.await(5, TimeUnit.MINUTES)) throw new IllegalStateException("streams did not begin in 5 minutes");
    out.println("streaming");
    for (Thread t : threads) t.join(TimeUnit.MINUTES.toMillis(5));
    for (int i = 0; i < n; i++) {
      out.println(problems[i] != null ? "problem " + problems[i] : readAt[i] > 0 ? "ready " + readAt[i] : "problem no schema.ready");
    }
    out.println("done");
  }

  /** One arrival's stream, read until its schema.ready; returns when it was read (epoch µs). */
  private static long stream(URI base, String schema, String instance, CountDownLatch streaming) throws Exception {
    byte[] body = ("{\"service\":\"bench\",\"instance\":\"" + instance + "\",\"schema\":\"" + schema + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setTcpNoDelay(true);
      OutputStream os = socket.getOutputStream();
      os.write(("POST /api/v1/arrivals HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
          + "\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      os.write(body);
      os.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String status = in.readLine();
      if (status == null || !status.contains(" 200 ")) throw new IllegalStateException("answered " + status);
      boolean begun = false;
      for (String line; (line = in.readLine()) != null; ) {
        if (!begun && line.startsWith(": muster")) { // the stream's first line: the arrival is on record
          begun = true;
          streaming.countDown();
        } else if (line.equals("event: schema.ready")) {
          Instant now = Instant.now();
          return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
        }
      }
      throw new IllegalStateException("the stream ended before schema.ready");
    }
  }
}
