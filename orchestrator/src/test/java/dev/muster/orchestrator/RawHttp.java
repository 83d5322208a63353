package dev.muster.orchestrator;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what the JDK's {@code HttpClient} refuses to send: bytes that are not
 * HTTP, invalid request lines and header names, raw non-ASCII in paths, oversized heads, lying lengths.
 */
final class RawHttp {
  /** The answer; {@code status} is -1 when the server closed the connection without one. */
  record Response(int status, Map<String, String> headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private RawHttp() {}

  static Response exchange(int port, String request) {
    return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Sends the bytes as they are and reads one response (or the connection's end). */
  static Response exchange(int port, byte[] request) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(15_000);
      // Written by another thread: the server may answer (and stop reading) before it has all of it.
      Thread writer = new Thread(() -> {
        try {
          OutputStream out = socket.getOutputStream();
          out.write(request);
          out.flush();
        } catch (IOException e) {
          // the server answered and closed before reading everything: the reader sees what it said
        }
      }, "raw-http-writer");
      writer.setDaemon(true);
      writer.start();
      return read(socket.getInputStream());
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within 15 s", e);
    } catch (IOException e) {
      return new Response(-1, Map.of(), e.toString());
    }
  }

  static Response read(InputStream in) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) return new Response(-1, Map.of(), "");
    String[] parts = statusLine.split(" ", 3);
    int status = Integer.parseInt(parts[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line; (line = line(in)) != null && !line.isEmpty(); ) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (headers.containsKey("content-length")) {
      int length = Integer.parseInt(headers.get("content-length"));
      body.writeBytes(in.readNBytes(length));
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      for (String size; (size = line(in)) != null; ) {
        int n = Integer.parseInt(size.trim(), 16);
        if (n == 0) break;
        body.writeBytes(in.readNBytes(n));
        line(in);
      }
    } else {
      body.writeBytes(in.readAllBytes());
    }
    return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
  }

  /** A response's status line and headers, through the blank line, as sent; the body stays in the stream. */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) break;
      head.write(b);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** One CRLF-terminated line, or null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) >= 0; ) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}
