package dev.muster.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The socket transport on raw answers: what the JDK's HTTP server in the other tests never sends. */
class HttpCallTest {
  private static final long SECONDS = TimeUnit.SECONDS.toNanos(5);
  private static final java.util.concurrent.BlockingQueue<String> HANG_UPS = new java.util.concurrent.LinkedBlockingQueue<>();

  @Test
  void aBodyEndedByClosingWithEveryLineTerminator() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<String> request = answer(server,
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Twice: one\r\nX-Twice: two\r\n\r\na\rb\r\nc\nd");

      HttpCall call = HttpCall.start("POST", url(server, "/api/v1/arrivals?wait=true"), Map.of("Accept", "text/event-stream"), "{\"é\":1}");
      HttpCall.Response response = call.awaitResponse(SECONDS);

      assertEquals(200, response.status());
      assertEquals("one", response.header("x-twice"));
      List<String> lines = new ArrayList<>();
      assertThrows(EOFException.class, () -> {
        while (true) lines.add(call.nextLine(SECONDS));
      });
      assertEquals(List.of("a", "b", "c", "d"), lines);
      String sent = request.get(5, TimeUnit.SECONDS);
      assertTrue(sent.startsWith("POST /api/v1/arrivals?wait=true HTTP/1.1\r\nHost: 127.0.0.1:" + server.getLocalPort()
          + "\r\nConnection: close\r\n"), sent);
      assertTrue(sent.contains("Content-Length: 8\r\n"), "bytes, not characters: " + sent);
      assertTrue(sent.endsWith("\r\n\r\n{\"é\":1}"), sent);
    }
  }

  @Test
  void anAnswerThatIsNotHttpIsAnIOException() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      answer(server, "SSH-2.0-OpenSSH_9.2\r\n");
      HttpCall call = HttpCall.start("GET", url(server, "/"), Map.of(), null);

      var failure = assertThrows(IOException.class, () -> call.awaitResponse(SECONDS));
      assertTrue(failure.getMessage().startsWith("not an HTTP/1.x answer: SSH-2.0"), failure.getMessage());
    }
  }

  @Test
  void closeFromAnotherThreadEndsAWaitAndWakeEndsItEarly() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<String> request = answer(server, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      HttpCall call = HttpCall.start("GET", url(server, "/"), Map.of(), null);
      assertEquals(200, call.awaitResponse(SECONDS).status());

      call.wake();
      assertNull(call.nextLine(SECONDS), "woken as by a timeout");
      call.close();

      assertEquals("closed", HANG_UPS.poll(5, TimeUnit.SECONDS), "the server saw the connection closed");
      assertTrue(request.isDone());
    }
  }

  private static URI url(ServerSocket server, String path) {
    return URI.create("http://127.0.0.1:" + server.getLocalPort() + path);
  }

  /** Accepts one connection, reads the request's head and body, writes {@code raw}; for a close-ended body, closes. */
  private static CompletableFuture<String> answer(ServerSocket server, String raw) {
    CompletableFuture<String> request = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try (Socket socket = server.accept()) {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        int n = in.read(buffer);
        String sent = new String(buffer, 0, Math.max(n, 0), StandardCharsets.UTF_8);
        if (sent.contains("Content-Length") && !sent.endsWith("}")) {
          int more = in.read(buffer); // the body, when it came in a second packet
          sent += new String(buffer, 0, Math.max(more, 0), StandardCharsets.UTF_8);
        }
        request.complete(sent);
        OutputStream out = socket.getOutputStream();
        out.write(raw.getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (raw.contains("chunked") && in.read(buffer) < 0) { // silence until the client closes
          HANG_UPS.add("closed");
        }
      } catch (IOException e) {
        request.completeExceptionally(e);
      }
    });
    thread.setDaemon(true);
    thread.start();
    return request;
  }
}
