package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9.1: only a migration's own failure is a failure. A database that closes idle sessions, and a lock session
 * lost while its run's migration session still works, must not end a healthy run in {@code schema.failed}.
 */
@ExtendWith(PostgresExtension.class)
class SessionsKeptAliveTest {

  @Test
  void aRunLongerThanTheDatabasesIdleSessionTimeoutEndsReadyOnceOnBothReplicas(TestDatabase db, @TempDir Path dir)
      throws Exception {
    // 3 s closes an idle session; the run is idle-locked for ~15 s (five times the timeout).
    db.execute("ALTER DATABASE \"" + db.name() + "\" SET idle_session_timeout = '3s'");
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE backfill (id int);\nSELECT pg_sleep(15);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()));
        Http.Sse events = Http.Sse.events(replicas.url(1), 0L)) {
      List<CompletableFuture<Ready>> waiters = waiters(replicas, 6);
      assertNotNull(events.await("migration.started", "2"));
      for (CompletableFuture<Ready> waiter : waiters) assertEquals("3", waiter.get(90, TimeUnit.SECONDS).version());
      assertRanOnceWithoutFailure(db);
      assertEquals(2, db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
          + " AND application_name LIKE 'muster-listen:%'"), "both listening sessions outlived the idle timeout");
    }
  }

  @Test
  void whenTheLockSessionIsLostMidRunTheRunGoesOnAndTheTakeOverWaitsForIt(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE backfill (id int);\nSELECT pg_sleep(6);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()));
        Http.Sse events = Http.Sse.events(replicas.url(1), 0L)) {
      List<CompletableFuture<Ready>> waiters = waiters(replicas, 6);
      String holder = events.await("schema.lock_acquired", null).getString("orchestrator");
      events.await("migration.started", "2");
      // An operator, a proxy or a failover closes the holder's lock session; its migration session lives on.
      assertEquals(1, db.queryLong("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          + " WHERE application_name = ? AND datname = current_database()) t", "muster-lock:" + holder));
      for (CompletableFuture<Ready> waiter : waiters) assertEquals("3", waiter.get(60, TimeUnit.SECONDS).version());
      assertRanOnceWithoutFailure(db);
      assertEquals(holder, db.query("SELECT data->>'orchestrator' AS o FROM muster.events WHERE type = 'schema.ready'")
          .get(0).get("o"), "the run whose lock session was lost reported for itself");
    }
  }

  private static List<CompletableFuture<Ready>> waiters(Replicas replicas, int count) {
    List<CompletableFuture<Ready>> waiters = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      waiters.add(MusterClient.builder().url(replicas.urlsFrom(i % 2)).service("app").instance("app-" + i)
          .timeout(Duration.ofSeconds(90)).build().readyAsync());
    }
    return waiters;
  }

  private static void assertRanOnceWithoutFailure(TestDatabase db) {
    assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed'"), "no schema.failed");
    assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));
    assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
    assertEquals(3, db.queryLong("SELECT count(DISTINCT version) FROM public.flyway_schema_history"));
    assertEquals(3, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.applied'"),
        "each version applied once");
  }
}
