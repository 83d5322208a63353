package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MigrationFailedException;
import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: a migration that waits for its lock behind an application transaction must not queue the table's
 * readers behind it. Real PostgreSQL, real sessions: a blocker holding ACCESS SHARE, readers every 50 ms.
 */
@ExtendWith(PostgresExtension.class)
class LockSafetyTest {

  static Migrations table(Path dir) {
    return new Migrations(dir.resolve("migrations"))
        .write("V1__t.sql", "CREATE TABLE t (id bigserial PRIMARY KEY, n int);\n"
            + "INSERT INTO t (n) SELECT g FROM generate_series(1, 100) g;");
  }

  static Migrations withAlter(Path dir) {
    return table(dir).write("V2__add_column.sql", "ALTER TABLE t ADD COLUMN c int;");
  }

  /** An application session: {@code BEGIN; SELECT … FROM t}, left open; returns its backend pid. */
  static int holdAccessShare(Connection app) throws SQLException {
    app.setAutoCommit(false);
    try (Statement st = app.createStatement()) {
      st.execute("SET application_name = 'app-3'");
      st.executeQuery("SELECT count(*) FROM t").close();
      try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  static MusterClient client(String url, String instance, String version) {
    return MusterClient.builder().url(url).service("app").instance(instance).requiredVersion(version)
        .timeout(Duration.ofSeconds(60)).build();
  }

  /** Version 1 applied, V2's file added after: the next arrival needing 2 runs V2. */
  static void atVersionOne(Replicas replicas, Migrations migrations) throws Exception {
    assertEquals("1", client(replicas.url(0), "first", "1").awaitReady().version());
  }

  @Test
  void readersKeepBeingServedWhileTheMigrationWaitsAndItCompletesOnceTheBlockerEnds(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = table(dir);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()));
        Connection app = db.connect();
        Connection reader = db.connect()) {
      atVersionOne(replicas, migrations);
      withAlter(dir);
      int blocker = holdAccessShare(app);

      List<Long> reads = new CopyOnWriteArrayList<>();
      AtomicBoolean reading = new AtomicBoolean(true);
      Thread readers = new Thread(() -> {
        try (Statement st = reader.createStatement()) {
          st.execute("SET statement_timeout = '5s'");
          while (reading.get()) {
            long t0 = System.nanoTime();
            st.executeQuery("SELECT count(*) FROM t").close();
            reads.add((System.nanoTime() - t0) / 1_000_000);
            Thread.sleep(50);
          }
        } catch (Exception e) {
          reads.add(-1L); // a read that failed (its statement_timeout): the table was unavailable
        }
      });
      readers.start();
      CompletableFuture<Ready> waiter = client(replicas.url(0), "app-new", "2").readyAsync();
      Thread.sleep(8_000); // the application's transaction lasts 8 s, as in the issue
      app.commit();
      long endedAt = System.currentTimeMillis();
      assertEquals("2", waiter.get(30, TimeUnit.SECONDS).version());
      long completedAfterMs = System.currentTimeMillis() - endedAt;
      reading.set(false);
      readers.join();

      long slowest = reads.stream().mapToLong(Long::longValue).max().orElseThrow();
      System.out.printf("lock safety: %d reads while blocked, slowest %d ms; V2 done %d ms after the blocker ended%n",
          reads.size(), slowest, completedAfterMs);
      assertTrue(!reads.contains(-1L), "no read failed: " + reads);
      assertTrue(slowest < 2_000, "every read is served within the lock timeout's bound: slowest " + slowest + " ms");
      assertTrue(reads.size() > 40, "readers were served all along, not once per blocker: " + reads.size());
      assertTrue(completedAfterMs < 5_000, "V2 finished shortly after the blocker: " + completedAfterMs + " ms");

      assertEquals(1, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE version = '2'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.applied'"
          + " AND data->>'version' = '2'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'"
          + " AND column_name = 'c'"));
      assertTrue(db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.retrying'") >= 2);
      JsonArray blockers = new JsonArray(db.query("SELECT data->'blockers' AS b FROM muster.events"
          + " WHERE type = 'migration.blocked' ORDER BY seq LIMIT 1").get(0).get("b").toString());
      JsonObject first = blockers.getJsonObject(0);
      assertEquals(blocker, first.getInteger("pid"), "the event names the blocker: " + blockers);
      assertEquals("app-3", first.getString("application"));
      assertEquals("idle in transaction", first.getString("state"));
    }
  }

  static MusterConfig quickBound(TestDatabase db, Path migrations) {
    return Replicas.config(db, migrations).toBuilder().lockTimeout(Duration.ofMillis(300))
        .set(MusterConfig.LOCK_ATTEMPTS, 3).set(MusterConfig.LOCK_RETRY_DELAY, Duration.ofMillis(50))
        .set(MusterConfig.LOCK_RETRY_MAX_DELAY, Duration.ofMillis(200)).build();
  }

  @Test
  void aBlockerThatNeverEndsFailsTheRunWith55P03NamingItAndEveryWaiterGetsIt(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = table(dir);
    try (Replicas replicas = Replicas.start(2, quickBound(db, migrations.dir()));
        Connection app = db.connect()) {
      atVersionOne(replicas, migrations);
      withAlter(dir);
      int blocker = holdAccessShare(app);
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      for (int i = 0; i < 4; i++) waiters.add(client(replicas.url(i % 2), "app-" + i, "2").readyAsync());
      for (CompletableFuture<Ready> w : waiters) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> w.get(30, TimeUnit.SECONDS));
        MigrationFailedException failed = assertInstanceOf(MigrationFailedException.class, e.getCause());
        assertEquals("55P03", failed.sqlState());
        assertTrue(failed.getMessage().contains("pid " + blocker), failed.getMessage());
        assertTrue(failed.getMessage().contains("app-3"), failed.getMessage());
      }
      app.rollback();
      assertEquals("1", db.query("SELECT max(version::int)::text AS v FROM public.flyway_schema_history").get(0).get("v"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'"
          + " AND column_name = 'c'"), "nothing half-applied");
      assertEquals(2, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.retrying'"),
          "3 attempts: 2 retries");
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed'"));
    }
  }

  /** A session whose transaction holds ACCESS SHARE on t and is busy in a statement (pg_sleep): cancellable. */
  static Thread busyBlocker(Connection app, int[] pid) throws SQLException {
    pid[0] = holdAccessShare(app);
    Thread t = new Thread(() -> {
      try (Statement st = app.createStatement()) {
        st.execute("SELECT pg_sleep(60)");
      } catch (SQLException cancelled) {
        // what the cancel does: the statement fails, the transaction is aborted and lets its locks go
      }
    });
    t.start();
    return t;
  }

  static void awaitBlocked(TestDatabase db, int pid) {
    Poll.until("the run is blocked by pid " + pid, Duration.ofSeconds(20), () -> db.queryLong(
        "SELECT count(*) FROM muster.events WHERE type = 'migration.blocked' AND data->'blockers' @> ?::jsonb",
        "[{\"pid\": " + pid + "}]") > 0);
  }

  @Test
  void cancellingTheBlockerThroughMusterLetsTheRunFinish(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = table(dir);
    MusterConfig config = Replicas.config(db, migrations.dir()).toBuilder().token("s3cret").build();
    try (Replicas replicas = Replicas.start(2, config);
        Connection app = db.connect()) {
      assertEquals("1", MusterClient.builder().url(replicas.url(0)).service("app").instance("first").token("s3cret")
          .requiredVersion("1").timeout(Duration.ofSeconds(60)).build().awaitReady().version());
      withAlter(dir);
      int[] blocker = new int[1];
      Thread busy = busyBlocker(app, blocker);
      CompletableFuture<Ready> waiter = MusterClient.builder().url(replicas.url(0)).service("app").instance("app-new")
          .token("s3cret").requiredVersion("2").timeout(Duration.ofSeconds(60)).build().readyAsync();
      awaitBlocked(db, blocker[0]);

      // Any replica shows it and acts on it, not only the one that runs.
      String schemaUrl = replicas.url(1) + "/api/v1/schemas/public";
      JsonObject view = Http.get(schemaUrl).json();
      assertEquals("migrating", view.getString("state"));
      assertEquals(blocker[0], view.getJsonObject("blocked").getJsonArray("blockers").getJsonObject(0).getInteger("pid"),
          view.encodePrettily());
      assertTrue(view.getString("lockSince") != null, view.encodePrettily());
      // The run's own session, live: waiting on the table's lock (between two attempts there is none).
      Poll.until("the run session is seen waiting on its lock", Duration.ofSeconds(20), () -> {
        JsonObject backend = Http.get(schemaUrl).json().getJsonObject("runBackend");
        return backend != null && "Lock:relation".equals(backend.getString("waitEvent"))
            && "active".equals(backend.getString("state"));
      });
      String auth = "Bearer s3cret";
      assertEquals(401, Http.post(schemaUrl + "/blockers/" + blocker[0] + "/cancel", "application/json", "{}").status());
      Http.Response other = Http.post(schemaUrl + "/blockers/1/cancel", "application/json", "{}", "Authorization", auth);
      assertEquals(404, other.status(), other.body());
      assertEquals("not_a_blocker", other.json().getString("error"));

      Http.Response cancel = Http.post(schemaUrl + "/blockers/" + blocker[0] + "/cancel", "application/json",
          "{\"by\": \"alice\"}", "Authorization", auth);
      assertEquals(200, cancel.status(), cancel.body());
      assertEquals(Boolean.TRUE, cancel.json().getBoolean("done"));
      assertEquals("2", waiter.get(30, TimeUnit.SECONDS).version());
      busy.join();
      app.rollback();

      JsonObject record = new JsonObject(db.query("SELECT data::text AS d FROM muster.events"
          + " WHERE type = 'migration.intervened'").get(0).get("d").toString());
      assertEquals("cancel", record.getString("action"));
      assertEquals(blocker[0], record.getInteger("pid"));
      assertTrue(record.getString("by").startsWith("alice (from "), record.encode());
      assertEquals(1, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE version = '2'"));
      JsonObject after = Http.get(schemaUrl).json();
      assertEquals("ready", after.getString("state"));
      assertTrue(after.getValue("blocked") == null, after.encodePrettily());
    }
  }

  @Test
  void theAutomaticPolicyTerminatesABlockerIdleInTransactionTooLong(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = table(dir);
    MusterConfig config = Replicas.config(db, migrations.dir()).toBuilder()
        .set(MusterConfig.TERMINATE_IDLE_BLOCKERS, Duration.ofSeconds(1)).build();
    try (Replicas replicas = Replicas.start(1, config);
        Connection app = db.connect()) {
      atVersionOne(replicas, migrations);
      withAlter(dir);
      int blocker = holdAccessShare(app);
      assertEquals("2", client(replicas.url(0), "app-new", "2").awaitReady().version());
      JsonObject record = new JsonObject(db.query("SELECT data::text AS d FROM muster.events"
          + " WHERE type = 'migration.intervened'").get(0).get("d").toString());
      assertEquals("terminate", record.getString("action"));
      assertEquals(blocker, record.getInteger("pid"));
      assertTrue(record.getString("by").startsWith("policy"), record.encode());
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE pid = ?", blocker));
    }
  }

  @Test
  void abortingTheRunFromTheCommandLineFailsItForEveryWaiterSayingWho(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = table(dir);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()));
        Connection app = db.connect()) {
      atVersionOne(replicas, migrations);
      withAlter(dir);
      int blocker = holdAccessShare(app);
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      for (int i = 0; i < 3; i++) waiters.add(client(replicas.url(0), "app-" + i, "2").readyAsync());
      awaitBlocked(db, blocker);

      String[] common = {"--database-url", db.url(), "--migrations", "filesystem:" + migrations.dir()};
      CommandsTest.Run status = CommandsTest.run(concat(new String[] {"status", "--schema", "public"}, common));
      assertEquals(0, status.exit(), status.err());
      assertTrue(status.out().contains("V2 waits for pid " + blocker + " (app-3"), status.out());
      assertTrue(status.out().contains("lock held "), status.out());

      CommandsTest.Run wrong = CommandsTest.run(concat(new String[] {"intervene", "cancel", "--schema", "public",
          "--pid", "1"}, common));
      assertEquals(2, wrong.exit(), wrong.out());
      CommandsTest.Run abort = CommandsTest.run(concat(new String[] {"intervene", "abort", "--schema", "public",
          "--by", "bob"}, common));
      assertEquals(0, abort.exit(), abort.err());
      for (CompletableFuture<Ready> w : waiters) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> w.get(30, TimeUnit.SECONDS));
        MigrationFailedException failed = assertInstanceOf(MigrationFailedException.class, e.getCause());
        assertEquals("57014", failed.sqlState());
        assertTrue(failed.getMessage().contains("aborted by bob (cli)"), failed.getMessage());
      }
      app.rollback();
      assertEquals("1", db.query("SELECT max(version::int)::text AS v FROM public.flyway_schema_history").get(0).get("v"));
    }
  }

  @Test
  void aConcurrentIndexBuildWaitingOnAnOldTransactionIsNotCancelledByTheLockTimeout(TestDatabase db,
      @TempDir Path dir) throws Exception {
    Migrations migrations = table(dir);
    try (Replicas replicas = Replicas.start(1, quickBound(db, migrations.dir()));
        Connection snapshot = db.connect()) {
      atVersionOne(replicas, migrations);
      migrations.write("V2__index_n.sql", "CREATE INDEX CONCURRENTLY t_n ON t (n);")
          .write("V2__index_n.sql.conf", "executeInTransaction=false\n");
      snapshot.setAutoCommit(false);
      try (Statement st = snapshot.createStatement()) {
        st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        st.executeQuery("SELECT 1 FROM pg_class LIMIT 1").close(); // an old snapshot the build must wait for
      }
      CompletableFuture<Ready> waiter = client(replicas.url(0), "app-new", "2").readyAsync();
      Poll.until("CREATE INDEX CONCURRENTLY waits for the old transaction", Duration.ofSeconds(20),
          () -> db.queryLong("SELECT count(*) FROM pg_stat_progress_create_index WHERE phase LIKE 'waiting for%'") > 0);
      Thread.sleep(1_500); // five times the 300 ms lock timeout
      assertTrue(!waiter.isDone(), "still building");
      snapshot.commit();
      assertEquals("2", waiter.get(30, TimeUnit.SECONDS).version());
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
          + " WHERE i.relname = 't_n' AND x.indisvalid"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.retrying'"),
          "never cancelled, never retried");
      assertEquals(1, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE version = '2'"));
    }
  }

  @Test
  void eachMigrationRunsWithItsTimeoutsAndNamedSessionAndANonTransactionalOneWithoutTimeouts(TestDatabase db,
      @TempDir Path dir) throws Exception {
    String capture = "INSERT INTO seen SELECT '%s', current_setting('lock_timeout'), current_setting('statement_timeout'),"
        + " current_setting('idle_in_transaction_session_timeout'), current_setting('application_name');";
    Migrations migrations = new Migrations(dir.resolve("migrations"))
        .write("V1__seen.sql", "CREATE TABLE seen (v text, lock_timeout text, statement_timeout text, idle text, app text);\n"
            + String.format(capture, "1"))
        .write("V2__own_lines.sql", "-- muster:lockTimeout=5s\n-- muster:statementTimeout=0\n" + String.format(capture, "2"))
        .write("V3__concurrently.sql", String.format(capture, "3") + "\nCREATE INDEX CONCURRENTLY seen_v ON seen (v);")
        .write("V3__concurrently.sql.conf", "executeInTransaction=false\n")
        // Longer than the idle-in-transaction timeout: no session of a run sits idle in a transaction meanwhile.
        .write("V4__slow.sql", "SELECT pg_sleep(2);");
    MusterConfig config = Replicas.config(db, migrations.dir()).toBuilder()
        .set(MusterConfig.LOCK_TIMEOUT, MusterConfig.LOCK_TIMEOUT.valueFrom(f -> null, java.util.Map.of(
            "MUSTER_LOCK_TIMEOUT", "2s,tenant_*=700ms")))
        .set(MusterConfig.IDLE_IN_TRANSACTION_TIMEOUT, Duration.ofSeconds(1)).build();
    try (Replicas replicas = Replicas.start(1, config)) {
      assertEquals("4", MusterClient.builder().url(replicas.url(0)).service("app").instance("a").schema("tenant_a")
          .timeout(Duration.ofSeconds(60)).build().awaitReady().version());
      List<java.util.Map<String, Object>> seen = db.query("SELECT v, lock_timeout, statement_timeout, idle, app"
          + " FROM tenant_a.seen ORDER BY v");
      assertEquals(List.of("1", "700ms", "30min", "1s", "muster-run:tenant_a"), values(seen.get(0)),
          "the pattern's lock timeout, the default statement timeout");
      assertEquals(List.of("2", "5s", "0", "1s", "muster-run:tenant_a"), values(seen.get(1)), "its own lines win");
      assertEquals(List.of("3", "0", "0", "1s", "muster-run:tenant_a"), values(seen.get(2)),
          "nothing that could cancel CREATE INDEX CONCURRENTLY halfway");
    }
  }

  private static List<Object> values(java.util.Map<String, Object> row) {
    return List.of(row.get("v"), row.get("lock_timeout"), row.get("statement_timeout"), row.get("idle"), row.get("app"));
  }

  static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
