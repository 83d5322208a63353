package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client can hold is bounded and configurable: body and header size, open streams in all and per
 * client, a request body that never completes, and a stream whose client takes nothing.
 */
@ExtendWith(PostgresExtension.class)
class LimitsTest {

  @Test
  void streamsAreLimitedPerClientWith429AndInAllWith503AndTheirSlotsComeBackWhenTheyClose(TestDatabase db,
      @TempDir Path dir) throws Exception {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
        .maxStreams(3).maxStreamsPerClient(2).build();
    try (Replicas replicas = Replicas.start(1, config)) {
      int port = replicas.get(0).port();
      List<Socket> held = new ArrayList<>();
      try {
        held.add(openEvents(port, "127.0.0.1"));
        held.add(openEvents(port, "127.0.0.1"));
        // A third stream from the same address, an event stream or an arrival's: 429 with the error body.
        RawHttp.Response perClient = RawHttp.exchange(port, eventsRequest());
        assertEquals(429, perClient.status(), perClient.body());
        assertEquals("too_many_streams", perClient.json().getString("error"));
        assertTrue(perClient.json().getString("message").contains("MUSTER_MAX_STREAMS_PER_CLIENT"), perClient.body());
        assertNotNull(perClient.header("Retry-After"));
        Http.Response arrival = Http.post(replicas.url(0) + "/api/v1/arrivals", "application/json",
            ArrivalModesTest.arrival("third").encode(), "Accept", "text/event-stream");
        assertEquals(429, arrival.status(), arrival.body());

        // Another client still gets its share until the replica is full; then 503, also for ?wait=true.
        held.add(openEvents(port, "127.0.0.2"));
        assertEquals(3, gauge(replicas.url(0), "muster_http_streams_open"));
        RawHttp.Response full = exchangeFrom("127.0.0.3", port, eventsRequest());
        assertEquals(503, full.status(), full.body());
        assertEquals("too_many_streams", full.json().getString("error"));
        assertTrue(full.json().getString("message").contains("MUSTER_MAX_STREAMS"), full.body());
        String body = ArrivalModesTest.arrival("waiter").encode();
        RawHttp.Response waiting = exchangeFrom("127.0.0.3", port, "POST /api/v1/arrivals?wait=true HTTP/1.1\r\nHost: x\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        assertEquals(503, waiting.status(), waiting.body());
        assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE data->>'instance' IN ('third', 'waiter')"),
            "a refused stream is no arrival");
        // Requests that hold nothing are not limited.
        assertEquals(200, Http.get(replicas.url(0) + "/api/v1/schemas").status());

        // A closed stream gives its slot back.
        held.remove(0).close();
        Poll.until("the closed stream's slot is freed", () -> gauge(replicas.url(0), "muster_http_streams_open") == 2);
        held.add(openEvents(port, "127.0.0.3"));
        assertEquals(2.0, counter(replicas.url(0), "muster_http_streams_rejected_total{reason=\"per_client\"}"));
        assertEquals(2.0, counter(replicas.url(0), "muster_http_streams_rejected_total{reason=\"total\"}"));
      } finally {
        for (Socket s : held) s.close();
      }
      Poll.until("every slot is freed", () -> gauge(replicas.url(0), "muster_http_streams_open") == 0);
    }
  }

  @Test
  void bodyAndHeaderSizesAreConfigurable(TestDatabase db, @TempDir Path dir) {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
        .maxBodyBytes(2048).maxHeaderBytes(2048).build();
    try (Replicas replicas = Replicas.start(1, config)) {
      String url = replicas.url(0) + "/api/v1/arrivals";
      Http.Response big = Http.postJson(url, ArrivalModesTest.arrival("big").put("padding", "p".repeat(2100)));
      assertEquals(413, big.status(), big.body());
      assertEquals("payload_too_large", big.json().getString("error"));
      assertTrue(big.json().getString("message").contains("2048"), big.body());
      Http.Response fits = Http.postJson(url, ArrivalModesTest.arrival("fits").put("padding", "p".repeat(1500)));
      assertEquals(202, fits.status(), fits.body());

      int port = replicas.get(0).port();
      RawHttp.Response head = RawHttp.exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(2100) + "\r\n\r\n");
      assertEquals(431, head.status(), head.body());
      assertEquals("headers_too_large", head.json().getString("error"));
      assertTrue(head.json().getString("message").contains("MUSTER_MAX_HEADER_BYTES"), head.body());
      RawHttp.Response smaller = RawHttp.exchange(port,
          "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(1500) + "\r\nConnection: close\r\n\r\n");
      assertEquals(200, smaller.status(), smaller.body());
    }
  }

  @Test
  void aRequestBodyThatNeverCompletesGets408AndItsConnectionIsClosed(TestDatabase db, @TempDir Path dir) throws Exception {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
        .streamIdleTimeout(Duration.ofSeconds(1)).build();
    try (Replicas replicas = Replicas.start(1, config); Socket socket = new Socket("127.0.0.1", replicas.get(0).port())) {
      socket.setSoTimeout(30_000); // a guard against a hang, not a measure
      OutputStream out = socket.getOutputStream();
      out.write(("POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
          + "{\"service\":").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      RawHttp.Response r = RawHttp.read(socket.getInputStream());
      assertEquals(408, r.status(), r.body());
      assertEquals("request_timeout", r.json().getString("error"));
      assertEquals(-1, socket.getInputStream().read(), "the connection is closed");
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events"), "nothing was recorded");
    }
  }

  /**
   * An HTTP/2 client that opens an event stream and grants it no flow-control window takes nothing: the stream
   * is reset after the idle timeout and its slot freed.
   */
  @Test
  void aStreamWhoseClientTakesNothingIsCutOffAfterTheIdleTimeout(TestDatabase db, @TempDir Path dir) throws Exception {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
        .heartbeat(Duration.ofMillis(200)).streamIdleTimeout(Duration.ofSeconds(1)).build();
    try (Replicas replicas = Replicas.start(1, config); Socket socket = new Socket("127.0.0.1", replicas.get(0).port())) {
      socket.setSoTimeout(30_000); // a guard against a hang, not a measure
      OutputStream out = socket.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frame(out, 0x4, 0, 0, ByteBuffer.allocate(6).putShort((short) 0x4).putInt(0).array()); // INITIAL_WINDOW_SIZE 0
      ByteArrayOutputStream headers = new ByteArrayOutputStream();
      for (String[] h : new String[][] {{":method", "GET"}, {":scheme", "http"}, {":path", "/api/v1/events"},
          {":authority", "127.0.0.1"}}) {
        headers.write(0x00); // literal, not indexed, new name
        headers.write(h[0].length());
        headers.writeBytes(h[0].getBytes(StandardCharsets.US_ASCII));
        headers.write(h[1].length());
        headers.writeBytes(h[1].getBytes(StandardCharsets.US_ASCII));
      }
      frame(out, 0x1, 0x5, 1, headers.toByteArray()); // HEADERS, END_STREAM | END_HEADERS, stream 1

      DataInputStream in = new DataInputStream(socket.getInputStream());
      boolean answered = false;
      boolean reset = false;
      while (!reset) {
        int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        in.readNBytes(length);
        if (type == 0x4 && (flags & 0x1) == 0) frame(out, 0x4, 0x1, 0, new byte[0]); // acknowledge SETTINGS
        if (type == 0x1 && stream == 1) {
          answered = true;
          assertEquals(1, gauge(replicas.url(0), "muster_http_streams_open"), "the event stream is open");
        }
        if (type == 0x0 && stream == 1) fail("no window was granted, yet DATA came");
        if (type == 0x3 && stream == 1) reset = true;
        if (type == 0x7) fail("the connection was closed (GOAWAY) instead of the stream");
      }
      assertTrue(answered, "the stream was opened first");
      Poll.until("the slot is freed", () -> gauge(replicas.url(0), "muster_http_streams_open") == 0);
      assertEquals(1.0, counter(replicas.url(0), "muster_http_streams_dropped_total{reason=\"idle\"}"));
    }
  }

  /** An HTTP/1.1 client that stops reading while events pour in is cut off, whichever bound it meets first. */
  @Test
  void anEventStreamNobodyReadsIsCutOffAndItsSlotFreed(TestDatabase db, @TempDir Path dir) throws Exception {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
        .streamIdleTimeout(Duration.ofSeconds(1)).maxStreamsPerClient(1).build();
    try (Replicas replicas = Replicas.start(1, config); Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.setSoTimeout(30_000);
      socket.connect(new InetSocketAddress("127.0.0.1", replicas.get(0).port()));
      socket.getOutputStream().write(eventsRequest().getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      assertTrue(RawHttp.readHead(in).startsWith("HTTP/1.1 200"));
      Poll.until("the stream is open", () -> gauge(replicas.url(0), "muster_http_streams_open") == 1);

      // 8 MB of events, more than any socket buffers hold, which this client never reads.
      db.execute("WITH c AS (UPDATE muster.event_counter SET seq = seq + 4000 RETURNING seq)"
          + " INSERT INTO muster.events (seq, type, schema_name, data)"
          + " SELECT c.seq - 4000 + g, 'test.filler', 'filler',"
          + "   jsonb_build_object('type', 'test.filler', 'schema', 'filler', 'padding', repeat('x', 2000))"
          + " FROM c, generate_series(1, 4000) g");
      db.execute("SELECT pg_notify('muster_events', json_build_object('seq', seq)::text) FROM muster.event_counter");

      Poll.until("the stream is cut off", () -> gauge(replicas.url(0), "muster_http_streams_open") == 0);
      double dropped = counter(replicas.url(0), "muster_http_streams_dropped_total{reason=\"slow_reader\"}")
          + counter(replicas.url(0), "muster_http_streams_dropped_total{reason=\"idle\"}");
      assertEquals(1.0, dropped);
      // Its slot is this client's again (the per-client limit is 1).
      try (Socket again = openEvents(replicas.get(0).port(), "127.0.0.1")) {
        assertTrue(again.isConnected());
      }
      // What the kernel buffered reaches the client, then the connection's end.
      try {
        while (in.read(new byte[65536]) >= 0) {
          // draining
        }
      } catch (SocketTimeoutException e) {
        fail("the connection was not closed");
      } catch (IOException e) {
        // reset: cut off
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  static String eventsRequest() {
    return "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
  }

  /** An event stream from the given local address, its response head read; the caller closes it. */
  static Socket openEvents(int port, String from) throws IOException {
    Socket socket = new Socket();
    socket.setSoTimeout(15_000);
    socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    socket.getOutputStream().write(eventsRequest().getBytes(StandardCharsets.US_ASCII));
    String head = RawHttp.readHead(socket.getInputStream());
    assertTrue(head.startsWith("HTTP/1.1 200"), head);
    return socket;
  }

  static RawHttp.Response exchangeFrom(String from, int port, String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setSoTimeout(15_000);
      socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port));
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return RawHttp.read(socket.getInputStream());
    }
  }

  private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(9);
    header.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
    header.put((byte) type).put((byte) flags).putInt(stream);
    out.write(header.array());
    out.write(payload);
    out.flush();
  }

  /** A gauge's value from {@code /metrics}. */
  static long gauge(String baseUrl, String name) {
    return (long) counter(baseUrl, name);
  }

  /** A sample's value from {@code /metrics}, 0 when it is absent; {@code name} may carry labels. */
  static double counter(String baseUrl, String name) {
    Http.Response r = Http.get(baseUrl + "/metrics");
    assertEquals(200, r.status(), r.body());
    return MetricsTest.sample(r.body(), name);
  }
}
