package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.db.MusterSchema;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/events?since=} over a log longer than any socket buffers: the replay waits for a client that
 * reads slowly instead of cutting it off, and hands over to the live events that commit meanwhile on the same
 * connection, each once, in order.
 */
@ExtendWith(PostgresExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventReplayTest {
  /**
   * 20,000 events of 1 kB: 20 MB, more than the kernel (~3 MB here) and the connection's write queue hold for a client
   * that does not read — the queue says it is full after sixteen writes, whatever their size: 40 pages of this log.
   */
  private static final int LOGGED = 20_000;

  @Test
  void aReplayWaitsForAClientThatStopsReadingAndTheEventsCommittedMeanwhileFollowOnceEach(TestDatabase db,
      @TempDir Path dir) throws Exception {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir());
    fill(db);
    try (Replicas replicas = Replicas.start(1, config); Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.setSoTimeout(30_000);
      socket.connect(new InetSocketAddress("127.0.0.1", replicas.get(0).port()));
      socket.getOutputStream().write(("GET /api/v1/events?since=0 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      Chunked in = new Chunked(new BufferedInputStream(socket.getInputStream()));
      assertTrue(in.head().startsWith("HTTP/1.1 200"));

      // The client reads the first event and then nothing for a while; 20 events commit, each in its own transaction.
      List<JsonObject> events = new ArrayList<>();
      events.add(next(in, replicas));
      for (int i = 1; i <= 20; i++) {
        db.execute("WITH c AS (UPDATE muster.event_counter SET seq = seq + 1 RETURNING seq)"
            + " INSERT INTO muster.events (seq, type, schema_name, data) SELECT c.seq, 'test.live', 'filler',"
            + " jsonb_build_object('type', 'test.live', 'schema', 'filler', 'n', " + i + ") FROM c");
        db.execute("SELECT pg_notify('muster_events', json_build_object('seq', seq)::text) FROM muster.event_counter");
      }
      // Then it reads everything: on the same connection, the log, then the live events.
      while (events.size() < LOGGED + 20) events.add(next(in, replicas));

      for (int i = 0; i < events.size(); i++) assertEquals(i + 1, events.get(i).getLong("seq"), "in order, each once");
      assertEquals("test.filler", events.get(LOGGED - 1).getString("type"));
      assertEquals(20, events.get(LOGGED + 19).getInteger("n"), "the live events, in their order");
      assertEquals(0.0, LimitsTest.counter(replicas.url(0), "muster_http_streams_dropped_total{reason=\"slow_reader\"}"),
          "the replay waited for the reader");
    }
  }

  /** A replay nobody reads holds its page and waits; after the idle timeout its slot is freed. */
  @Test
  void aReplayNobodyReadsIsCutOffAsIdleNotPushedOut(TestDatabase db, @TempDir Path dir) throws Exception {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
        .streamIdleTimeout(Duration.ofSeconds(1)).build();
    fill(db);
    try (Replicas replicas = Replicas.start(1, config); Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", replicas.get(0).port()));
      socket.getOutputStream().write(("GET /api/v1/events?since=0 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String idle = "muster_http_streams_dropped_total{reason=\"idle\"}";
      String slow = "muster_http_streams_dropped_total{reason=\"slow_reader\"}";
      Poll.until("the stream is cut off",
          () -> LimitsTest.counter(replicas.url(0), idle) + LimitsTest.counter(replicas.url(0), slow) >= 1.0);
      assertEquals(0.0, LimitsTest.counter(replicas.url(0), slow), "the replay waited: it did not push the reader out");
      assertEquals(1.0, LimitsTest.counter(replicas.url(0), idle));
      assertEquals(0, LimitsTest.gauge(replicas.url(0), "muster_http_streams_open"));
    }
  }

  private static JsonObject next(Chunked in, Replicas replicas) throws IOException {
    JsonObject event = in.nextEvent();
    if (event == null) {
      throw new AssertionError("the stream ended; streams dropped as slow readers: " + LimitsTest.counter(replicas.url(0),
          "muster_http_streams_dropped_total{reason=\"slow_reader\"}"));
    }
    return event;
  }

  /** The log before the replica starts (which then knows where it ends): schema muster as the replica makes it. */
  private static void fill(TestDatabase db) {
    MusterSchema.migrate(DatabaseUrl.parse(db.url()));
    db.execute("WITH c AS (UPDATE muster.event_counter SET seq = seq + " + LOGGED + " RETURNING seq)"
        + " INSERT INTO muster.events (seq, type, schema_name, data)"
        + " SELECT c.seq - " + LOGGED + " + g, 'test.filler', 'filler',"
        + "   jsonb_build_object('type', 'test.filler', 'schema', 'filler', 'padding', repeat('x', 1000))"
        + " FROM c, generate_series(1, " + LOGGED + ") g");
  }

  /** An HTTP/1.1 chunked response read as SSE, by hand: the test controls when it reads. */
  private static final class Chunked {
    private final InputStream in;
    private int left;

    Chunked(InputStream in) {
      this.in = in;
    }

    String head() throws IOException {
      return RawHttp.readHead(in);
    }

    /** The next event's data; null when the stream ends first. */
    JsonObject nextEvent() throws IOException {
      String data = null;
      for (String l; (l = nextLine()) != null; ) {
        if (l.isEmpty() && data != null) return new JsonObject(data);
        if (l.startsWith("data: ")) data = l.substring(6);
      }
      return null;
    }

    private String nextLine() throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      for (int b; (b = body()) >= 0; ) {
        if (b == '\n') return bytes.toString(StandardCharsets.UTF_8);
        bytes.write(b);
      }
      return null;
    }

    /** One byte of the body, across chunks; -1 at its end. */
    private int body() throws IOException {
      if (left == 0) {
        String size = crlfLine();
        if (size.isEmpty()) size = crlfLine(); // the CRLF after the previous chunk
        if (size.isEmpty()) return -1; // the connection's end
        left = Integer.parseInt(size.trim(), 16);
        if (left == 0) return -1;
      }
      int b = in.read();
      if (b < 0) return -1;
      left--;
      return b;
    }

    private String crlfLine() throws IOException {
      StringBuilder s = new StringBuilder();
      for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
        if (b != '\r') s.append((char) b);
      }
      return s.toString();
    }
  }
}
