package dev.muster.orchestrator.broadcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.db.MusterSchema;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventSink;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replay of a long log into a sink that fills up (a stream whose client reads slowly): it reads a page, hands it
 * over, and reads the next only once the sink has room — whatever commits meanwhile is read from the log, not held —
 * then goes live with nothing missed or repeated.
 */
@ExtendWith(PostgresExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplayTest {
  /** More than four pages of the replay's (500 events each). */
  private static final int LOGGED = 2_300;

  private Vertx vertx;
  private Context context;
  private EventStore store;
  private Broadcaster broadcaster;

  @BeforeEach
  void start(TestDatabase db) throws Exception {
    DatabaseUrl url = DatabaseUrl.parse(db.url());
    MusterSchema.migrate(url);
    // The log a deploy leaves: arrivals of services over schemas s0..s9, numbered from the counter on.
    db.execute("WITH c AS (UPDATE muster.event_counter SET seq = seq + " + LOGGED + " RETURNING seq - " + LOGGED + " AS base)"
        + " INSERT INTO muster.events (seq, type, schema_name, data)"
        + " SELECT c.base + g, 'service.starting', 's' || (g % 10), jsonb_build_object('type', 'service.starting',"
        + "   'schema', 's' || (g % 10), 'service', 'app', 'instance', 'app-' || g, 'requiredVersion', '1',"
        + "   'orchestrator', 'test')"
        + " FROM c, generate_series(1, " + LOGGED + ") g");
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    onContext(() -> {
      Pool pool = PgBuilder.pool().connectingTo(url.connectOptions()).using(vertx).build();
      store = new EventStore(pool, "test");
      broadcaster = new Broadcaster(vertx, url.connectOptions(), pool, store, "test");
      return broadcaster.start();
    });
  }

  @AfterEach
  void stop() {
    if (broadcaster != null) onContext(broadcaster::close);
    vertx.close().await();
  }

  @Test
  void aReplayReadsOnePageEachTimeTheSinkHasRoomAndThenGoesLiveWithoutGapOrRepeat() throws Exception {
    GatedSink sink = new GatedSink();
    onContext(() -> Future.succeededFuture(broadcaster.stream(0, null, sink)));

    // The first page, and nothing more until the sink says it has room.
    Runnable ready = sink.awaitAsked();
    assertEquals(500, sink.size(), "one page");
    ready = sink.release(ready);
    assertEquals(1_000, sink.size(), "one more page");

    // Events that commit while the replay waits: the replica delivers them live, but not into the full sink.
    LiveCount live = new LiveCount(30);
    onContext(() -> Future.succeededFuture(broadcaster.subscribe(live)));
    appendLive(30, "s3");
    live.await();
    assertEquals(1_000, sink.size(), "nothing is pushed into a full sink while it replays");

    // The rest of the log, a page at a time, the live events among them; then live.
    while (sink.size() < LOGGED + 30) {
      int before = sink.size();
      ready = sink.release(ready);
      assertTrue(sink.size() - before <= 500 && sink.size() > before, "a page each time: " + before + " → " + sink.size());
    }
    sink.open(ready); // room again: the replay goes live
    appendLive(20, "s4");
    sink.awaitSize(LOGGED + 50);

    assertRunsFrom(1, LOGGED + 50, sink.events());
    assertEquals(LOGGED + 50, sink.size(), "each once");
    assertEquals("app-1", sink.events().get(0).json().getString("instance"), "the stored event, as it was written");
    assertEquals("s3", sink.events().get(LOGGED).payload().schema(), "live events decoded as ever");
  }

  @Test
  void aReplayOfOneSchemaAcrossPagesGetsThatSchemaOnlyThenItsLiveEvents() throws Exception {
    GatedSink sink = new GatedSink();
    onContext(() -> Future.succeededFuture(broadcaster.stream(0, "s7", sink)));
    Runnable ready = sink.awaitAsked();
    // The log has 230 events of s7; they come in one page. Meanwhile other schemas' events and s7's commit.
    LiveCount live = new LiveCount(40);
    onContext(() -> Future.succeededFuture(broadcaster.subscribe(live)));
    appendLive(10, "s7");
    appendLive(20, "s1");
    appendLive(10, "s7");
    live.await();
    sink.open(ready);
    appendLive(5, "s7");
    sink.awaitSize(LOGGED / 10 + 25);

    List<Long> seqs = sink.events().stream().map(Event::seq).toList();
    assertTrue(sink.events().stream().allMatch(e -> e.schema().equals("s7")), "s7 only");
    for (int i = 1; i < seqs.size(); i++) assertTrue(seqs.get(i) > seqs.get(i - 1), "in order, each once: " + seqs);
    assertEquals(7L, seqs.get(0));
    assertEquals(LOGGED / 10 + 25, seqs.size());
  }

  /**
   * An arrival's stream starts a little behind the live edge (a storm's arrivals all start from about the same number):
   * what it reads back of that gap is its schema's run events and its own events from its start on — not the others'
   * arrivals, not an earlier start of the same instance's, not another schema's — and then it is live, each once.
   */
  @Test
  void anArrivalReadsBackItsSchemasEventsAndItsOwnOnlyThenGoesLive() throws Exception {
    long position = onContext(() -> Future.succeededFuture(broadcaster.lastSeq()));
    LiveCount live = new LiveCount(64);
    onContext(() -> Future.succeededFuture(broadcaster.subscribe(live)));
    append(new Payload.ServiceReleased("s1", "app", "me", "1", 0L)); // the same instance's earlier start
    appendLive(30, "s1");
    Event started = append(new Payload.MigrationStarted("s1", "2", "two"));
    append(new Payload.MigrationStarted("s2", "2", "two"));
    Event mine = append(new Payload.ServiceStarting("s1", "app", "me", "2"));
    appendLive(30, "s1");
    live.await();

    BlockingQueue<Event> got = new LinkedBlockingQueue<>();
    onContext(() -> Future.succeededFuture(broadcaster.subscribeArrival(position, "s1", "app", "me", mine.seq(), got::add)));
    List<Long> back = new ArrayList<>();
    for (Event e = got.poll(); e != null; e = got.poll()) back.add(e.seq());
    assertEquals(List.of(started.seq(), mine.seq()), back, "read back at once, in order");

    Event released = append(new Payload.ServiceReleased("s1", "app", "me", "2", 5L));
    appendLive(3, "s1");
    Event ready = append(new Payload.SchemaReady("s1", "2", 1, 5L));
    assertEquals(released.seq(), got.poll(30, TimeUnit.SECONDS).seq());
    assertEquals(ready.seq(), got.poll(30, TimeUnit.SECONDS).seq(), "live, the others' arrivals left out");
    assertEquals(null, got.poll(), "each once");
  }

  private Event append(Payload payload) {
    return onContext(() -> store.append(payload));
  }

  /** What a replay frames without decoding is the text the decoded event has: spaces, quotes and escapes included. */
  @Test
  void aStoredEventReadsAsTheDecodedOne() {
    String tricky = "a, b: \"c\" \\ d\n\tü € \u0001 {\"x\": [1, 2]}";
    Event appended = onContext(() -> store.append(new Payload.SchemaFailed("s1", "2", tricky, "1",
        new Payload.RunError("42P01", tricky), 12L)));
    Event stored = onContext(() -> store.page(appended.seq() - 1, null, 1)).events().get(0);
    Event decoded = onContext(() -> store.after(appended.seq() - 1, null, 1)).get(0);
    assertEquals(decoded.encoded(), stored.encoded());
    assertEquals("schema.failed", stored.typeName());
    assertEquals("s1", stored.schema());
    assertEquals(tricky, ((Payload.SchemaFailed) stored.payload()).description(), "decoded when asked");
    assertEquals(decoded.at(), stored.at());
  }

  private void appendLive(int n, String schema) {
    for (int i = 0; i < n; i++) {
      String instance = "live-" + i;
      onContext(() -> store.append(new Payload.ServiceStarting(schema, "app", instance, "1")));
    }
  }

  private static void assertRunsFrom(long first, long last, List<Event> events) {
    assertEquals(last - first + 1, events.size());
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      assertEquals(first + i, e.seq(), "#" + (first + i) + " in its place");
      assertEquals(e.seq(), e.json().getLong("seq"), "its text is its own");
    }
  }

  /** Runs {@code action} on the broadcaster's context and waits for what it returns. */
  private <T> T onContext(Supplier<Future<T>> action) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> action.get().onComplete(ar -> {
      if (ar.succeeded()) done.complete(ar.result());
      else done.completeExceptionally(ar.cause());
    }));
    return done.orTimeout(60, TimeUnit.SECONDS).join();
  }

  /** Counts live deliveries, to know when the replica has seen the events a test appended. */
  private static final class LiveCount implements java.util.function.Consumer<Event> {
    private final CountDownLatch latch;

    LiveCount(int n) {
      latch = new CountDownLatch(n);
    }

    @Override
    public void accept(Event event) {
      if (event.seq() > LOGGED) latch.countDown();
    }

    void await() throws InterruptedException {
      assertTrue(latch.await(60, TimeUnit.SECONDS), "the live events were delivered");
    }
  }

  /**
   * A sink that is full after each page until the test lets it have room: as a client that reads a page and then
   * nothing until told to.
   */
  private static final class GatedSink implements EventSink {
    private final List<Event> events = new ArrayList<>();
    private final BlockingQueue<Runnable> asked = new LinkedBlockingQueue<>();
    private volatile boolean full;

    @Override
    public synchronized void send(Event event) {
      events.add(event);
      notifyAll();
    }

    @Override
    public synchronized void sendAll(List<Event> page) {
      events.addAll(page);
      full = true;
      notifyAll();
    }

    @Override
    public boolean full() {
      return full;
    }

    @Override
    public void whenReady(Runnable ready) {
      asked.add(ready);
    }

    /** The replay's call to be told when there is room: it is waiting. */
    Runnable awaitAsked() throws InterruptedException {
      Runnable ready = asked.poll(60, TimeUnit.SECONDS);
      assertNotNull(ready, "the replay waits for room");
      return ready;
    }

    /** Gives room; returns the replay's next request for room, once it has sent its next page. */
    Runnable release(Runnable ready) throws InterruptedException {
      open(ready);
      return awaitAsked();
    }

    /** Gives room, for good. */
    void open(Runnable ready) {
      full = false;
      ready.run();
    }

    synchronized int size() {
      return events.size();
    }

    synchronized List<Event> events() {
      return List.copyOf(events);
    }

    synchronized void awaitSize(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (events.size() < n) {
        long left = deadline - System.nanoTime();
        assertTrue(left > 0, "only " + events.size() + " of " + n + " events came");
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }
}
