package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
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
    Migrations migrations = new Migrations(dir.resolve("migrations"))
        .write("V1__accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);")
        .write("V2__slow_backfill.sql", "SELECT pg_sleep(2);")
        .write("V3__orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()));
        Http.Sse events = Http.Sse.events(replicas.url(1), 0L)) {
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        waiters.add(MusterClient.builder().url(replicas.urlsFrom(i % 2)).service("app").instance("app-" + i)
            .timeout(Duration.ofSeconds(60)).build().readyAsync());
      }
      // Pushed, not polled: block on the event stream until the slow migration runs, then stop its runner.
      String holder = null;
      for (JsonObject e; (e = events.next()) != null; ) {
        if ("schema.lock_acquired".equals(e.getString("type"))) holder = e.getString("orchestrator");
        if ("migration.started".equals(e.getString("type")) && "2".equals(e.getString("version"))) break;
      }
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
