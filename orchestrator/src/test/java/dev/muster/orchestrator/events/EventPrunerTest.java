package dev.muster.orchestrator.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.db.MusterSchema;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Pruning the log: what stays, under live appends from other connections, and that neither waits on the other. */
@ExtendWith(PostgresExtension.class)
class EventPrunerTest {
  private static final List<String> SCHEMAS = List.of("a", "b", "c");

  private Vertx vertx;
  private Pool pool;
  private EventStore store;

  @BeforeEach
  void open(TestDatabase db) {
    DatabaseUrl url = DatabaseUrl.parse(db.url());
    MusterSchema.migrate(url);
    vertx = Vertx.vertx();
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(8)).connectingTo(url.connectOptions()).using(vertx).build();
    store = new EventStore(pool, "test");
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** One run of {@code schema}: its lock, one migration, its outcome; and a service that came and went. */
  private Future<Event> run(String schema, int i, Map<String, Long> runStarts) {
    return store.append(new Payload.ServiceStarting(schema, "app", "i" + i, "1"))
        .compose(e -> store.append(new Payload.LockAcquired(schema, null, "1", 1, null, null)))
        .compose(lock -> {
          runStarts.put(schema + "#" + i, lock.seq());
          return store.append(new Payload.MigrationStarted(schema, "1", "one"));
        })
        .compose(e -> store.append(new Payload.MigrationApplied(schema, "1", "one", 1L)))
        .compose(e -> i % 3 == 0
            ? store.append(new Payload.SchemaFailed(schema, "2", "two", "1", new Payload.RunError("42P01", "x"), 2L))
            : store.append(new Payload.SchemaReady(schema, "1", 1, 2L)))
        .compose(outcome -> store.append(new Payload.ServiceReleased(schema, "app", "i" + i, "1", 3L)).map(outcome));
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void pruningUnderLiveAppendsKeepsWhatRemainsGaplessInOrderAndEachSchemasLatestRun(TestDatabase db) throws Exception {
    EventPruner pruner = new EventPruner(pool, new Retention(null, 60L), 25);
    Map<String, Long> runStarts = new ConcurrentHashMap<>();
    Map<String, Event> latest = new ConcurrentHashMap<>();
    Map<String, Long> latestRunStart = new ConcurrentHashMap<>();
    // Live appends: one appender per schema, each run after the other, on the pool's connections.
    List<Future<Void>> appenders = new ArrayList<>();
    for (String schema : SCHEMAS) {
      Future<Void> chain = Future.succeededFuture();
      for (int i = 0; i < 60; i++) {
        int n = i;
        chain = chain.compose(v -> run(schema, n, runStarts)).map(outcome -> {
          latest.put(schema, outcome);
          latestRunStart.put(schema, runStarts.get(schema + "#" + n));
          return null;
        });
      }
      appenders.add(chain);
    }
    Future<Void> appending = Future.all(appenders).mapEmpty();
    // Prune pass after pass while they append.
    AtomicLong deleted = new AtomicLong();
    AtomicLong passes = new AtomicLong();
    AtomicBoolean done = new AtomicBoolean();
    appending.onComplete(ar -> done.set(true));
    Future<Void> pruning = loop(pruner, done, deleted, passes);
    appending.await();
    pruning.await();
    deleted.addAndGet(pruner.prune().await()); // and once more after the last append

    long counter = db.queryLong("SELECT seq FROM muster.event_counter");
    long horizon = db.queryLong("SELECT seq FROM muster.event_horizon");
    assertEquals(SCHEMAS.size() * 60 * 6, counter, "every append got its number");
    assertTrue(deleted.get() > 0 && horizon > 0, "pruned during the appends: " + deleted + " in " + passes + " passes");
    // After the horizon the log is whole and in order: numbers horizon+1 .. counter, each once.
    assertEquals(counter - horizon, db.queryLong("SELECT count(*) FROM muster.events WHERE seq > ?", horizon));
    assertEquals(counter, db.queryLong("SELECT max(seq) FROM muster.events"));
    // At most 60 beyond the count limit, plus what the schemas' state needs.
    assertTrue(db.queryLong("SELECT count(*) FROM muster.events WHERE seq <= ?", counter - 60)
        <= SCHEMAS.size() * 6L, "only what the state needs stays below the limit");
    for (String schema : SCHEMAS) {
      Event outcome = latest.get(schema);
      long from = latestRunStart.get(schema);
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE seq = ? AND type = ?", outcome.seq(),
          outcome.typeName()), schema + "'s latest outcome is kept");
      assertEquals(4, db.queryLong("SELECT count(*) FROM muster.events WHERE schema_name = ? AND seq BETWEEN ? AND ?"
          + " AND type NOT LIKE 'service.%'", schema, from, outcome.seq()), schema + "'s latest run is kept whole");
    }
    // What a replica reads at start: each schema's latest outcome, as before pruning.
    Map<String, Long> outcomes = new TreeMap<>();
    for (Event e : store.lastOutcomes().await()) outcomes.put(e.schema(), e.seq());
    Map<String, Long> expected = new TreeMap<>();
    latest.forEach((schema, e) -> expected.put(schema, e.seq()));
    assertEquals(expected, outcomes);
  }

  @Test
  void aDelegatedRunIsKeptFromItsElection(TestDatabase db) {
    for (int i = 0; i < 3; i++) {
      store.append(new Payload.ServiceStarting("legacy", "web", "web-" + i, "3f2a")).await();
      store.append(new Payload.MigratorElected("legacy", "web", "web-" + i, null, 15, null, "3f2a", null)).await();
      store.append(new Payload.SchemaReady("legacy", "3f2a", 1, 5L)).await();
      store.append(new Payload.ServiceReleased("legacy", "web", "web-" + i, "3f2a", 9L)).await();
    }
    assertTrue(new EventPruner(pool, new Retention(null, 1L)).prune().await() > 0);
    assertEquals(List.of("migrator.elected", "schema.ready", "service.released"), db.query(
        "SELECT type FROM muster.events ORDER BY seq").stream().map(r -> (String) r.get("type")).toList());
    assertEquals("web-2", db.query("SELECT data->>'instance' AS i FROM muster.events WHERE type = 'migrator.elected'")
        .get(0).get("i"), "the latest election");
  }

  private Future<Void> loop(EventPruner pruner, AtomicBoolean done, AtomicLong deleted, AtomicLong passes) {
    if (done.get()) return Future.succeededFuture();
    return pruner.prune().compose(n -> {
      deleted.addAndGet(n);
      passes.incrementAndGet();
      return loop(pruner, done, deleted, passes);
    });
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void pruningDoesNotWaitForAnAppendThatHoldsTheCounterAndAppendsDoNotWaitForPruning(TestDatabase db) throws Exception {
    for (int i = 0; i < 5; i++) run("a", i, new ConcurrentHashMap<>()).await();
    try (Connection append = db.connect()) {
      append.setAutoCommit(false);
      store.appendInTransaction(append, new Payload.ServiceStarting("a", "app", "slow", "1")); // holds the counter row
      long deleted = new EventPruner(pool, new Retention(null, 5L)).prune().await();
      assertTrue(deleted > 0, "pruned while an append held the counter");
      append.commit();
    }
    // A pruning transaction left open (holding the horizon row, rows deleted): appends go on, a second pruner skips.
    try (Connection prune = db.connect()) {
      prune.setAutoCommit(false);
      prune.createStatement().execute("SELECT seq FROM muster.event_horizon FOR UPDATE");
      prune.createStatement().execute("DELETE FROM muster.events WHERE seq = (SELECT min(seq) FROM muster.events"
          + " WHERE type LIKE 'service.%')");
      Event appended = store.append(new Payload.ServiceStarting("a", "app", "next", "1")).await();
      assertTrue(appended.seq() > 0);
      assertEquals(0L, new EventPruner(pool, new Retention(Duration.ofSeconds(1), 1L)).prune().await(),
          "another replica's pass is under way: this one skips");
      prune.rollback();
    }
  }
}
