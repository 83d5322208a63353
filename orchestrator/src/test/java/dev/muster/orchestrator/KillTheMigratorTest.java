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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Issue 5.1: SIGKILL the orchestrator process that is mid-migration while a second replica runs. */
@ExtendWith(PostgresExtension.class)
class KillTheMigratorTest {

  @Test
  void theSurvivorTakesOverAndEveryWaiterIsReleasedWithEachVersionAppliedOnce(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE backfill (id int);\nSELECT pg_sleep(3);");
    try (OrchestratorProcess a = OrchestratorProcess.start("replica-a", db.url(), migrations.dir(), Map.of());
        OrchestratorProcess b = OrchestratorProcess.start("replica-b", db.url(), migrations.dir(), Map.of())) {
      List<OrchestratorProcess> both = List.of(a, b);
      try (Http.Sse events = Http.Sse.events(b.url(), 0L)) {
        List<CompletableFuture<Ready>> waiters = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          OrchestratorProcess home = both.get(i % 2);
          OrchestratorProcess other = both.get((i + 1) % 2);
          waiters.add(MusterClient.builder().url(home.url() + "," + other.url()).service("app").instance("app-" + i)
              .timeout(Duration.ofSeconds(60)).build().readyAsync());
        }
        String holder = null;
        holder = events.await("schema.lock_acquired", null).getString("orchestrator");
        events.await("migration.started", "2");
        assertNotNull(holder);
        OrchestratorProcess migrator = holder.equals(a.name()) ? a : b;
        OrchestratorProcess survivor = migrator == a ? b : a;
        assertEquals("muster-lock:" + migrator.name(), db.query("SELECT a.application_name AS n FROM pg_locks l"
            + " JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.classid = 1297437524"
            + " AND l.granted AND a.datname = current_database()").get(0).get("n"), "pg_locks names the holder");
        long killedAt = System.currentTimeMillis();
        migrator.kill();

        for (CompletableFuture<Ready> waiter : waiters) {
          assertEquals("3", waiter.get(60, TimeUnit.SECONDS).version(), survivor.log());
        }
        // Measured, not asserted (docs/guarantees.md records it): kill to the survivor's lock.
        long tookOverAt = db.queryLong("SELECT (extract(epoch FROM at) * 1000)::bigint FROM muster.events"
            + " WHERE type = 'schema.lock_acquired' AND data->>'orchestrator' = ?", survivor.name());
        System.out.printf("take-over: %s held the lock %d ms after %s was killed%n", survivor.name(),
            tookOverAt - killedAt, migrator.name());
        assertEquals(survivor.name(), db.query("SELECT data->>'orchestrator' AS o FROM muster.events"
            + " WHERE type = 'schema.ready'").get(0).get("o"), "the survivor finished the run");
      }
      assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
      assertEquals(3, db.queryLong("SELECT count(DISTINCT version) FROM public.flyway_schema_history"));
      assertEquals(3, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.applied'"),
          "each version applied once; the killed run of V2 was rolled back, not recorded");
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'backfill'"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
          + " AND classid = 1297437524 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
          "no lock is left behind");
    }
  }
}
