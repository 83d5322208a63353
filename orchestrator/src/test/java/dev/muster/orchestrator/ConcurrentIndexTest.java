package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5.2: non-transactional migrations. {@code CREATE INDEX CONCURRENTLY} waits for every transaction
 * that holds an older snapshot; a test transaction holds one, which pins the build mid-way, exactly where a
 * blocking {@code pg_advisory_lock} waiter would deadlock it.
 */
@ExtendWith(PostgresExtension.class)
class ConcurrentIndexTest {

  static Migrations withConcurrentIndex(Path dir) {
    return new Migrations(dir.resolve("migrations"))
        .write("V1__items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY, sku text NOT NULL);\n"
            + "INSERT INTO items (sku) SELECT 'sku-' || g FROM generate_series(1, 5000) g;")
        // IF NOT EXISTS: a build a killed holder's session finished after all must not fail the re-run.
        .write("V2__index_sku.sql", "CREATE INDEX CONCURRENTLY IF NOT EXISTS items_sku ON items (sku);")
        .write("V2__index_sku.sql.conf", "executeInTransaction=false\n")
        .write("V3__orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY, item_id bigint REFERENCES items(id));");
  }

  @Test
  void aConcurrentIndexBuildCompletesWhileOtherReplicasAndServicesWait(TestDatabase db, @TempDir Path dir)
      throws Exception {
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, withConcurrentIndex(dir).dir()));
        Connection snapshot = db.connect();
        Http.Sse events = Http.Sse.events(replicas.url(0), 0L)) {
      Statement st = snapshot.createStatement();
      snapshot.setAutoCommit(false);
      st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      st.executeQuery("SELECT 1 FROM pg_class LIMIT 1").close(); // holds a snapshot: the build must wait for us

      List<CompletableFuture<Ready>> waiters = waiters(replicas.urlsFrom(0), replicas.urlsFrom(1));
      events.await("migration.started", "2");
      awaitBuildWaiting(db);
      snapshot.commit(); // the only thing the build waited for

      for (CompletableFuture<Ready> w : waiters) assertEquals("3", w.get(60, TimeUnit.SECONDS).version());
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
          + " WHERE i.relname = 'items_sku' AND x.indisvalid"));
      assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
    }
  }

  @Test
  void aBuildKilledHalfwayLeavesAnInvalidIndexThatTheTakeoverDropsAndBuildsAgain(TestDatabase db, @TempDir Path dir)
      throws Exception {
    killTheBuilder(db, dir, true);
    String dropped = db.query("SELECT data->>'droppedInvalidIndexes' AS d FROM muster.events"
        + " WHERE type = 'schema.lock_acquired' ORDER BY seq DESC LIMIT 1").get(0).get("d").toString();
    assertTrue(dropped.contains("items_sku"), "the take-over says what it dropped: " + dropped);
  }

  @Test
  void aBuildThatOutlivesItsKilledHolderAndCompletesIsNotBuiltTwice(TestDatabase db, @TempDir Path dir)
      throws Exception {
    killTheBuilder(db, dir, false);
  }

  /**
   * SIGKILLs the replica whose migration is inside CREATE INDEX CONCURRENTLY. With {@code orphanDiesFirst}
   * the orphaned backend notices its dead client while the build still waits, leaving an INVALID index;
   * otherwise the build is released at once and may complete in the orphan before it notices.
   */
  private static void killTheBuilder(TestDatabase db, Path dir, boolean orphanDiesFirst) throws Exception {
    Migrations migrations = withConcurrentIndex(dir);
    try (OrchestratorProcess a = OrchestratorProcess.start("replica-a", db.url(), migrations.dir(), Map.of());
        OrchestratorProcess b = OrchestratorProcess.start("replica-b", db.url(), migrations.dir(), Map.of());
        Connection snapshot = db.connect();
        Http.Sse events = Http.Sse.events(b.url(), 0L)) {
      Statement st = snapshot.createStatement();
      snapshot.setAutoCommit(false);
      st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      st.executeQuery("SELECT 1 FROM pg_class LIMIT 1").close();

      List<CompletableFuture<Ready>> waiters = waiters(a.url() + "," + b.url(), b.url() + "," + a.url());
      JsonObject lock = events.await("schema.lock_acquired", null);
      events.await("migration.started", "2");
      awaitBuildWaiting(db);
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "the half-built index");

      long builder = db.queryLong("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
          + " AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND state = 'active'");
      OrchestratorProcess migrator = a.name().equals(lock.getString("orchestrator")) ? a : b;
      migrator.kill();
      if (orphanDiesFirst) awaitGone(db, builder);
      snapshot.commit();

      for (CompletableFuture<Ready> w : waiters) assertEquals("3", w.get(60, TimeUnit.SECONDS).version());
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "nothing INVALID passes");
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_indexes WHERE indexname = 'items_sku'"));
      assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
      assertEquals(3, db.queryLong("SELECT count(DISTINCT version) FROM public.flyway_schema_history"));
    }
  }

  /** The killed holder's backend ends by itself (client_connection_check_interval), while its build still waits. */
  private static void awaitGone(TestDatabase db, long pid) {
    Poll.until("the orphaned CREATE INDEX CONCURRENTLY backend ends", Duration.ofSeconds(10),
        () -> db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE pid = ?", (int) pid) == 0);
  }

  private static List<CompletableFuture<Ready>> waiters(String urlsA, String urlsB) {
    List<CompletableFuture<Ready>> waiters = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      waiters.add(MusterClient.builder().url(i % 2 == 0 ? urlsA : urlsB).service("app").instance("app-" + i)
          .timeout(Duration.ofSeconds(60)).build().readyAsync());
    }
    return waiters;
  }

  /** The build is registered and waiting on our snapshot (PostgreSQL reports its phase; there is no event for it). */
  private static void awaitBuildWaiting(TestDatabase db) {
    Poll.until("CREATE INDEX CONCURRENTLY starts waiting", Duration.ofSeconds(10),
        () -> db.queryLong("SELECT count(*) FROM pg_stat_progress_create_index WHERE phase LIKE 'waiting for%'") > 0);
  }
}
