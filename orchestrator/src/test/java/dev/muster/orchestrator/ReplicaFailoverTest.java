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

@ExtendWith(PostgresExtension.class)
class ReplicaFailoverTest {

  @Test
  void whenTheReplicaRunningTheMigrationStopsEveryWaiterOnBothIsReleasedAndNothingRunsTwice(TestDatabase db,
      @TempDir Path dir) throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "SELECT pg_sleep(2);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()));
        Http.Sse events = Http.Sse.events(replicas.url(1), 0L)) {
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        waiters.add(MusterClient.builder().url(replicas.urlsFrom(i % 2)).service("app").instance("app-" + i)
            .timeout(Duration.ofSeconds(60)).build().readyAsync());
      }
      // Pushed, not polled: block on the event stream until the slow migration runs, then stop its runner.
      String holder = null;
      holder = events.await("schema.lock_acquired", null).getString("orchestrator");
      events.await("migration.started", "2");
      assertNotNull(holder, "a replica took the lock");
      int running = "replica-1".equals(holder) ? 0 : 1;
      replicas.stop(running);

      for (CompletableFuture<Ready> waiter : waiters) assertEquals("3", waiter.get(60, TimeUnit.SECONDS).version());
      assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history"));
      assertEquals(3, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.started'"));
      assertEquals(20, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.starting'"),
          "services that moved to the other replica resumed their streams instead of arriving again");
    }
  }
}
