package dev.muster.bench;

import dev.muster.orchestrator.broadcast.Broadcaster;
import dev.muster.orchestrator.db.Bootstrap;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Scenario 4: the event log — {@code muster.events}, where every append takes the next number from a one-row
 * counter and NOTIFYs in the same statement.
 * <ul>
 *   <li><b>Delivery</b>: appends one at a time through the orchestrator's {@link EventStore}, each delivered by
 *   its {@link Broadcaster} (LISTEN, order and gap checks, JSON) to a listener: time from issuing the append
 *   to its acknowledgement (commit done) and to the listener.</li>
 *   <li><b>Throughput</b>: many appends in flight through one replica-sized pool (8 connections), all
 *   delivered; the counter row serialises them, so each costs about one commit.</li>
 *   <li><b>Arrivals over HTTP</b>: {@code POST /api/v1/arrivals} answered {@code 202} for a schema that is
 *   already ready: each arrival appends {@code service.starting} and then {@code service.released}.</li>
 * </ul>
 * The bench's own appends have type {@code bench.append} and the size of a {@code service.starting}; they land in
 * {@code muster.events} of the bench database, which is why the bench belongs on a scratch database.
 */
final class EventLog {
  static final String TYPE = "bench.append";
  private static final String ORCHESTRATOR = "bench-events";

  record Throughput(String path, int inFlight, String synchronousCommit, int appends, double perSecond, int delivered,
      Stats issueToListener) {
    JsonObject json() {
      return new JsonObject().put("path", path).put("inFlight", inFlight).put("synchronousCommit", synchronousCommit)
          .put("appends", appends).put("appendsPerSecond", Math.round(perSecond)).put("delivered", delivered)
          .put("issueToListener", issueToListener.json());
    }
  }

  record Arrivals(int arrivals, int inFlight, int replicas, int accepted, double arrivalsPerSecond, long events,
      double eventsPerSecond, Stats answer, List<String> errors) {
    JsonObject json() {
      return new JsonObject().put("arrivals", arrivals).put("inFlight", inFlight).put("replicas", replicas)
          .put("accepted", accepted).put("arrivalsPerSecond", Math.round(arrivalsPerSecond)).put("events", events)
          .put("eventsPerSecond", Math.round(eventsPerSecond)).put("answer202", answer.json()).put("errors", errors);
    }
  }

  record Result(Stats ack, Stats delivered, int paced, List<Throughput> throughput, Arrivals arrivals) {
    JsonObject json() {
      JsonObject json = new JsonObject().put("pacedAppends", paced).put("issueToAck", ack.json())
          .put("issueToListener", delivered.json());
      json.put("throughput", new io.vertx.core.json.JsonArray(throughput.stream().map(Throughput::json).toList()));
      if (arrivals != null) json.put("httpArrivals", arrivals.json());
      return json;
    }
  }

  private EventLog() {}

  static Result run(BenchDatabase db, Path work, int replicas, int paced, int appends, List<Integer> inFlight,
      int arrivals, int arrivalsInFlight, boolean warmup) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      PgConnectOptions options = db.url().connectOptions();
      Pool pool = pool(vertx, options);
      Bootstrap.run(vertx, db.url()).await();
      EventStore store = new EventStore(pool, ORCHESTRATOR);
      Listener listener = new Listener(options, pool, store);
      vertx.deployVerticle(listener).await();

      if (warmup) {
        Progress.say("events: warm-up (500 appends, not counted)");
        paced(db, store, listener, 200);
        throughput(db, store, listener, "EventStore", 8, 300, "warm-up");
      }
      Progress.say("events: " + paced + " appends one at a time");
      Pace p = paced(db, store, listener, paced);
      List<Throughput> rows = new ArrayList<>();
      String sync = db.queryString("SHOW synchronous_commit");
      for (int c : inFlight) {
        Progress.say("events: " + appends + " appends, " + c + " in flight");
        rows.add(throughput(db, store, listener, "EventStore", c, appends, sync));
      }
      if (!"off".equals(sync) && !inFlight.isEmpty()) {
        // The same, without waiting for the WAL flush: how much of an append's cost is the disk.
        Pool unsynced = pool(vertx, new PgConnectOptions(options).addProperty("synchronous_commit", "off"));
        String actual = unsynced.query("SHOW synchronous_commit").execute().await().iterator().next().getString(0);
        int c = inFlight.get(inFlight.size() - 1);
        Progress.say("events: " + appends + " appends, " + c + " in flight, synchronous_commit=" + actual);
        rows.add(throughput(db, new EventStore(unsynced, ORCHESTRATOR), listener, "EventStore", c, appends, actual));
        unsynced.close().await();
      }
      Arrivals a = arrivals > 0 ? arrivals(db, work, replicas, arrivals, arrivalsInFlight) : null;
      return new Result(Stats.of(p.ack), Stats.of(p.delivered), paced, rows, a);
    } finally {
      vertx.close().await();
    }
  }

  /** Like a replica's pool: eight connections. */
  private static Pool pool(Vertx vertx, PgConnectOptions options) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(8)).connectingTo(options).using(vertx).build();
  }

  private static Payload fields(String schema, int n) {
    // As large as a service.starting: the payload size is part of the cost.
    return new Payload.Unrecognized(TYPE, schema, new JsonObject().put("service", "app")
        .put("instance", "app-7f3c9d2e-" + n).put("requiredVersion", "11").put("orchestrator", ORCHESTRATOR).put("n", n));
  }

  private record Pace(List<Double> ack, List<Double> delivered) {}

  private static Pace paced(BenchDatabase db, EventStore store, Listener listener, int count) throws Exception {
    String schema = db.newSchema("events");
    Tracker tracker = listener.track(schema, count);
    List<Double> ack = new ArrayList<>();
    List<Double> delivered = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      long t0 = System.nanoTime();
      tracker.issued.set(n, t0);
      store.append(fields(schema, n)).await();
      long t1 = System.nanoTime();
      Integer got;
      do {
        got = tracker.arrivals.poll(10, TimeUnit.SECONDS);
        if (got == null) throw new IllegalStateException("append " + n + " was not delivered within 10 s");
      } while (got != n);
      ack.add((t1 - t0) / 1e6);
      delivered.add((tracker.delivered.get(n) - t0) / 1e6);
    }
    listener.untrack(schema);
    return new Pace(ack, delivered);
  }

  private static Throughput throughput(BenchDatabase db, EventStore store, Listener listener, String path, int inFlight,
      int count, String sync) throws Exception {
    String schema = db.newSchema("events");
    Tracker tracker = listener.track(schema, count);
    Semaphore slots = new Semaphore(inFlight);
    AtomicLong lastAck = new AtomicLong();
    AtomicInteger failed = new AtomicInteger();
    CountDownLatch acked = new CountDownLatch(count);
    long start = System.nanoTime();
    for (int n = 0; n < count; n++) {
      slots.acquire();
      tracker.issued.set(n, System.nanoTime());
      store.append(fields(schema, n)).onComplete(ar -> {
        if (ar.failed()) failed.incrementAndGet();
        lastAck.accumulateAndGet(System.nanoTime(), Math::max);
        slots.release();
        acked.countDown();
      });
    }
    if (!acked.await(5, TimeUnit.MINUTES)) throw new IllegalStateException("appends not acknowledged in 5 min");
    if (failed.get() > 0) throw new IllegalStateException(failed.get() + " appends failed");
    if (!tracker.all.await(1, TimeUnit.MINUTES)) {
      throw new IllegalStateException((count - tracker.all.getCount()) + " of " + count + " appends delivered");
    }
    double seconds = (lastAck.get() - start) / 1e9;
    List<Double> latency = new ArrayList<>();
    for (int n = 0; n < count; n++) latency.add((tracker.delivered.get(n) - tracker.issued.get(n)) / 1e6);
    listener.untrack(schema);
    return new Throughput(path, inFlight, sync, count, count / seconds, count - (int) tracker.all.getCount(),
        Stats.of(latency));
  }

  /** {@code 202} arrivals over HTTP for a schema that is ready: each is two appends. */
  private static Arrivals arrivals(BenchDatabase db, Path work, int replicas, int count, int inFlight) throws Exception {
    MigrationSet set = MigrationSet.single(work.resolve("arrivals"));
    try (ReplicaSet r = ReplicaSet.start(replicas, db, set.location, "bench-events")) {
      String schema = db.newSchema("arrivals");
      dev.muster.client.MusterClient.builder().url(r.urlsFrom(0)).service("first").instance("first-1").schema(schema)
          .timeout(Duration.ofMinutes(1)).build().awaitReady(); // migrated, and loaded by the replica it used
      for (int i = 1; i < r.size(); i++) {
        dev.muster.client.MusterClient.builder().url(r.url(i)).service("first").instance("first-" + (i + 1))
            .schema(schema).timeout(Duration.ofMinutes(1)).build().awaitReady(); // every replica has loaded it
      }
      Progress.say("events: " + count + " arrivals over HTTP (202), " + inFlight + " in flight, " + r.size() + " replicas");
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      Semaphore slots = new Semaphore(inFlight);
      List<Double> answer = new ArrayList<>();
      List<String> errors = new ArrayList<>();
      AtomicInteger accepted = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(count);
      AtomicLong lastAnswer = new AtomicLong();
      long start = System.nanoTime();
      for (int n = 0; n < count; n++) {
        slots.acquire();
        String body = new JsonObject().put("service", "app").put("instance", "arrival-" + n).put("schema", schema).encode();
        HttpRequest request = HttpRequest.newBuilder(URI.create(r.url(n % r.size()) + "/api/v1/arrivals"))
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long sent = System.nanoTime();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, e) -> {
          long now = System.nanoTime();
          synchronized (answer) {
            if (e != null) {
              if (errors.size() < 5) errors.add(e.toString());
            } else if (response.statusCode() != 202) {
              if (errors.size() < 5) errors.add(response.statusCode() + " " + response.body());
            } else {
              accepted.incrementAndGet();
              answer.add((now - sent) / 1e6);
            }
          }
          lastAnswer.accumulateAndGet(now, Math::max);
          slots.release();
          done.countDown();
        });
      }
      if (!done.await(5, TimeUnit.MINUTES)) throw new IllegalStateException("arrivals not answered within 5 min");
      double arrivalsPerSecond = count / ((lastAnswer.get() - start) / 1e9);
      // Each accepted arrival appends service.starting, then (asynchronously) service.released.
      String countSql = "SELECT count(*) FROM muster.events WHERE schema_name = ? AND data->>'instance' LIKE 'arrival-%'";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      long events;
      while ((events = db.queryLong(countSql, schema)) < 2L * accepted.get() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      List<Instant> span = db.queryInstants("SELECT at FROM (SELECT min(at) AS at FROM muster.events WHERE schema_name = ?"
          + " AND data->>'instance' LIKE 'arrival-%' UNION ALL SELECT max(at) FROM muster.events WHERE schema_name = ?"
          + " AND data->>'instance' LIKE 'arrival-%') s", schema, schema);
      double seconds = Duration.between(span.get(0), span.get(1)).toNanos() / 1e9;
      return new Arrivals(count, inFlight, r.size(), accepted.get(), arrivalsPerSecond, events, events / seconds,
          Stats.of(answer), errors);
    }
  }

  /** Which appends a phase issued, and when the listener saw each. */
  private static final class Tracker {
    final AtomicLongArray issued;
    final AtomicLongArray delivered;
    final LinkedBlockingQueue<Integer> arrivals = new LinkedBlockingQueue<>();
    final CountDownLatch all;

    Tracker(int count) {
      issued = new AtomicLongArray(count);
      delivered = new AtomicLongArray(count);
      all = new CountDownLatch(count);
    }

    void deliver(Event event) {
      long now = System.nanoTime();
      Integer n = event.payload() instanceof Payload.Unrecognized u ? u.fields().getInteger("n") : null;
      if (n == null || n < 0 || n >= delivered.length() || !delivered.compareAndSet(n, 0, now)) return;
      arrivals.add(n);
      all.countDown();
    }
  }

  /** The orchestrator's Broadcaster on a context of its own, handing events to the phase that appended them. */
  private static final class Listener extends VerticleBase {
    private final PgConnectOptions options;
    private final Pool pool;
    private final EventStore store;
    private final Map<String, Tracker> trackers = new ConcurrentHashMap<>();
    private Broadcaster broadcaster;

    Listener(PgConnectOptions options, Pool pool, EventStore store) {
      this.options = options;
      this.pool = pool;
      this.store = store;
    }

    @Override
    public Future<?> start() {
      broadcaster = new Broadcaster(vertx, options, pool, store, "bench-events");
      broadcaster.subscribe(event -> {
        Tracker t = event.schema() == null ? null : trackers.get(event.schema());
        if (t != null && TYPE.equals(event.typeName())) t.deliver(event);
      });
      return broadcaster.start();
    }

    @Override
    public Future<?> stop() {
      return broadcaster.close();
    }

    Tracker track(String schema, int count) {
      Tracker t = new Tracker(count);
      trackers.put(schema, t);
      return t;
    }

    void untrack(String schema) {
      trackers.remove(schema);
    }
  }

  static void print(Result r, PrintStream out) {
    if (r == null) return;
    out.println("## event log: append → Broadcaster listener, one append at a time");
    out.println();
    Table t = new Table("measured", "count", "p50", "p90", "p99", "max");
    t.row(Table.concat(new Object[] {"issue → acknowledged (committed)"}, Table.cells(r.ack)));
    t.row(Table.concat(new Object[] {"issue → listener (NOTIFY delivered)"}, Table.cells(r.delivered)));
    t.print(out);
    out.println();
    out.println("## event log: append throughput, all delivered");
    out.println();
    Table th = new Table("path", "in flight", "synchronous_commit", "appends", "appends/s", "delivered",
        "issue → listener p50", "p99");
    for (Throughput x : r.throughput) {
      th.row(x.path, x.inFlight, x.synchronousCommit, x.appends, String.format(Locale.ROOT, "%,.0f", x.perSecond),
          x.delivered, Stats.ms(x.issueToListener.p50()), Stats.ms(x.issueToListener.p99()));
    }
    th.print(out);
    out.println();
    if (r.arrivals != null) {
      Arrivals a = r.arrivals;
      out.println("## event log: " + a.arrivals + " arrivals over HTTP (202, schema ready), " + a.inFlight
          + " in flight, " + a.replicas + " replicas");
      out.println();
      Table h = new Table("arrivals/s", "events appended", "events/s", "202 answers", "p50", "p90", "p99", "max");
      h.row(Table.concat(new Object[] {String.format(Locale.ROOT, "%,.0f", a.arrivalsPerSecond), a.events,
          String.format(Locale.ROOT, "%,.0f", a.eventsPerSecond)}, Table.cells(a.answer)));
      h.print(out);
      if (!a.errors.isEmpty() || a.accepted != a.arrivals) {
        out.println("PROBLEMS: " + (a.arrivals - a.accepted) + " arrivals not accepted: " + a.errors);
      }
      out.println();
    }
  }
}
