package dev.muster.client.internal;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 exchange on a socket of its own ({@code Connection: close}), read line by line.
 *
 * <p>Why not the JDK's {@code HttpClient}: starting it costs a cold JVM 0.5–0.9 s (its module, its
 * selector thread), which a service whose schema is already ready would pay for one short answer. A
 * socket costs a few milliseconds. Why not {@code HttpURLConnection}: a body it is reading cannot be
 * aborted from another thread.
 *
 * <p>A daemon thread ({@code muster-client-io-N}) connects, sends the request and reads the answer,
 * handing the status, then each line of the body, to the waiting thread through a small queue. So the
 * waiting thread never blocks in I/O: it waits on the queue with a timeout (the idle watchdog) and
 * wakes at once on interrupt; {@link #close()}, from any thread, closes the socket, which ends the
 * reader. The queue is bounded: a fast server is held back by TCP, not by our memory.
 */
public final class HttpCall implements AutoCloseable {
  /** A status line and headers; header names are lower case, the first value of each is kept. */
  public record Response(int status, Map<String, String> headers) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private static final AtomicInteger THREAD_NUMBERS = new AtomicInteger();
  private static final Object END_OF_BODY = new Object();
  /** Put by {@link #wake()}: the waiting thread returns as if its wait had timed out. */
  private static final Object WAKE = new Object();
  private static final int MAX_LINE_BYTES = 1 << 20;
  private static final int MAX_HEADER_LINES = 100;
  private static final int CONNECT_TIMEOUT_MILLIS = 30_000;

  private final URI url;
  private final byte[] request;
  private final Socket socket = new Socket();
  /** First the {@link Response} (or the failure), then lines, then {@link #END_OF_BODY} or the failure. */
  private final BlockingQueue<Object> pushed = new ArrayBlockingQueue<>(64);
  private final Thread reader;
  private volatile boolean closed;
  private Response response;
  /** The end of the body once taken, so that every later read reports it again. */
  private Object ending;

  private HttpCall(URI url, byte[] request) {
    this.url = url;
    this.request = request;
    // Not a lambda: the first lambda of a JVM costs its start-up milliseconds.
    this.reader = new Thread("muster-client-io-" + THREAD_NUMBERS.incrementAndGet()) {
      @Override
      public void run() {
        exchange();
      }
    };
    this.reader.setDaemon(true);
  }

  /**
   * Sends {@code method url} with {@code headers} and {@code body} (JSON when not {@code null}) and
   * returns at once; the answer arrives in the background.
   */
  public static HttpCall start(String method, URI url, Map<String, String> headers, String body) {
    StringBuilder head = new StringBuilder(method).append(' ').append(target(url)).append(" HTTP/1.1\r\n")
        .append("Host: ").append(hostHeader(url)).append("\r\n")
        .append("Connection: close\r\n");
    for (Map.Entry<String, String> header : headers.entrySet()) {
      head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
    }
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    if (body != null) {
      head.append("Content-Type: application/json\r\n").append("Content-Length: ").append(content.length)
          .append("\r\n");
    }
    byte[] start = head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
    byte[] request = new byte[start.length + content.length];
    System.arraycopy(start, 0, request, 0, start.length);
    System.arraycopy(content, 0, request, start.length, content.length);
    HttpCall call = new HttpCall(url, request);
    call.reader.start();
    return call;
  }

  /**
   * Waits for the status line and headers.
   *
   * @return them, or {@code null} if they did not arrive in time
   * @throws IOException if the exchange failed (connection refused, reset, not HTTP, ...)
   */
  public Response awaitResponse(long timeoutNanos) throws IOException, InterruptedException {
    if (response != null) {
      return response;
    }
    Object first = pushed.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    if (first == null || first == WAKE) {
      return null;
    }
    if (first instanceof Response r) {
      response = r;
      return r;
    }
    ending = first;
    throw asIOException(first);
  }

  /**
   * Waits for the next line of the body, after {@link #awaitResponse}.
   *
   * @return the line without its terminator, or {@code null} if none arrived in time
   * @throws EOFException if the body ended
   * @throws IOException if the exchange failed while the body was being read
   */
  public String nextLine(long timeoutNanos) throws IOException, InterruptedException {
    Object next = ending != null ? ending : pushed.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    if (next == null || next == WAKE) {
      return null;
    }
    if (next instanceof String line) {
      return line;
    }
    ending = next;
    if (next == END_OF_BODY) {
      throw new EOFException("the response ended");
    }
    throw asIOException(next);
  }

  /**
   * Reads the rest of a short body, such as an error message, giving up on the rest after {@code
   * maxChars} characters or when {@code timeoutNanos} have passed.
   */
  public String readText(int maxChars, long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    StringBuilder text = new StringBuilder();
    try {
      String line;
      while (text.length() < maxChars && (line = nextLine(deadline - System.nanoTime())) != null) {
        text.append(line).append('\n');
      }
    } catch (IOException endedOrBroken) {
      // What arrived is all there is.
    }
    String body = text.toString().strip();
    return body.length() > maxChars ? body.substring(0, maxChars) : body;
  }

  /**
   * Ends the waiting thread's current {@link #awaitResponse} or {@link #nextLine} early, as a timeout
   * would; from any thread. (If the queue is full, the waiting thread is not waiting.)
   */
  public void wake() {
    pushed.offer(WAKE);
  }

  /** Closes the connection, which ends the exchange; safe from any thread, idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
    reader.interrupt(); // in case it is blocked handing over a line
  }

  private void exchange() {
    try (socket) {
      int port = port(url);
      socket.connect(new InetSocketAddress(url.getHost(), port), CONNECT_TIMEOUT_MILLIS);
      socket.setTcpNoDelay(true);
      Socket channel = "https".equalsIgnoreCase(url.getScheme()) ? tls(socket, url.getHost(), port) : socket;
      OutputStream out = channel.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = new BufferedInputStream(channel.getInputStream());
      Response head = readHead(in);
      hand(head);
      InputStream body = new BufferedInputStream(body(head, in), 1024); // lines need mark and reset
      for (String line; (line = readLine(body, true)) != null; ) {
        hand(line);
      }
      hand(END_OF_BODY);
    } catch (InterruptedException closing) {
      // close() ended the exchange
    } catch (IOException | RuntimeException failure) {
      if (!closed) {
        pushed.offer(failure); // the waiting side gives up on a full queue anyway
      }
    }
  }

  private void hand(Object item) throws InterruptedException {
    while (!closed && !pushed.offer(item, 1, TimeUnit.SECONDS)) {
      // the waiting side is busy (or gone: then close() sets closed)
    }
  }

  private static Socket tls(Socket plain, String host, int port) throws IOException {
    SSLSocket tls = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
        .createSocket(plain, host, port, true);
    SSLParameters parameters = tls.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS"); // check the certificate names this host
    tls.setSSLParameters(parameters);
    tls.startHandshake();
    return tls;
  }

  private static Response readHead(InputStream in) throws IOException {
    String statusLine = readLine(in, false);
    if (statusLine == null) {
      throw new EOFException("the connection closed before an HTTP answer");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !isStatusCode(parts[1])) {
      throw new IOException("not an HTTP/1.x answer: " + abbreviate(statusLine));
    }
    Map<String, String> headers = new HashMap<>();
    for (int i = 0; ; i++) {
      String line = readLine(in, false);
      if (line == null) {
        throw new EOFException("the connection closed in the answer's headers");
      }
      if (line.isEmpty()) {
        break;
      }
      if (i == MAX_HEADER_LINES) {
        throw new IOException("more than " + MAX_HEADER_LINES + " header lines");
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
    }
    return new Response(Integer.parseInt(parts[1]), Map.copyOf(headers));
  }

  private static boolean isStatusCode(String text) {
    if (text.length() != 3) {
      return false;
    }
    for (int i = 0; i < 3; i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static InputStream body(Response head, InputStream in) throws IOException {
    String encoding = head.header("Transfer-Encoding");
    if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      return new ChunkedInput(in);
    }
    String length = head.header("Content-Length");
    if (length != null) {
      try {
        return new LimitedInput(in, Long.parseLong(length));
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length: " + abbreviate(length), e);
      }
    }
    return in; // the body ends when the server closes the connection
  }

  /**
   * One line without its terminator, or {@code null} at the end of the stream. Event streams end lines
   * with CRLF, LF or CR ({@code anyTerminator}); HTTP's head with CRLF (a lone LF is accepted too).
   */
  static String readLine(InputStream in, boolean anyTerminator) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int b = in.read();
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
      }
      if (b == '\n') {
        break;
      }
      if (b == '\r') {
        in.mark(1);
        int next = in.read();
        if (next == '\n') {
          break;
        }
        if (anyTerminator) {
          if (next >= 0) {
            in.reset();
          }
          break;
        }
        line.write(b);
        if (next < 0) {
          break;
        }
        in.reset();
        continue;
      }
      if (line.size() == MAX_LINE_BYTES) {
        throw new IOException("a line longer than " + MAX_LINE_BYTES + " bytes");
      }
      line.write(b);
    }
    return line.toString(StandardCharsets.UTF_8);
  }

  private static String target(URI url) {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
  }

  private static String hostHeader(URI url) {
    String host = url.getHost().contains(":") && !url.getHost().startsWith("[") ? "[" + url.getHost() + "]" : url.getHost();
    return url.getPort() < 0 ? host : host + ":" + url.getPort();
  }

  private static int port(URI url) {
    return url.getPort() >= 0 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
  }

  private static String abbreviate(String text) {
    return text.length() > 100 ? text.substring(0, 100) + "..." : text;
  }

  private static IOException asIOException(Object failure) {
    return failure instanceof IOException io ? io
        : new IOException(String.valueOf(failure), failure instanceof Throwable t ? t : null);
  }

  /** A body of {@code Transfer-Encoding: chunked}: hex size lines, data, and a last chunk of size 0. */
  private static final class ChunkedInput extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    ChunkedInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (left == 0 && !nextChunk()) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the connection closed inside a chunk");
      }
      left--;
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      if (left == 0 && !nextChunk()) {
        return -1;
      }
      int n = in.read(buffer, offset, (int) Math.min(length, left));
      if (n < 0) {
        throw new EOFException("the connection closed inside a chunk");
      }
      left -= n;
      return n;
    }

    private boolean nextChunk() throws IOException {
      if (done) {
        return false;
      }
      String line = readLine(in, false);
      if (line != null && line.isEmpty()) {
        line = readLine(in, false); // the CRLF that ends the previous chunk's data
      }
      if (line == null) {
        throw new EOFException("the connection closed between chunks");
      }
      int extension = line.indexOf(';');
      String size = (extension < 0 ? line : line.substring(0, extension)).trim();
      try {
        left = Long.parseLong(size, 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size: " + abbreviate(line), e);
      }
      if (left < 0) {
        throw new IOException("bad chunk size: " + abbreviate(line));
      }
      if (left == 0) {
        done = true;
        for (String trailer; (trailer = readLine(in, false)) != null && !trailer.isEmpty(); ) {
          // trailers: none that we use
        }
        return false;
      }
      return true;
    }
  }

  /** A body of {@code Content-Length} bytes. */
  private static final class LimitedInput extends InputStream {
    private final InputStream in;
    private long left;

    LimitedInput(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(buffer, offset, (int) Math.min(length, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
