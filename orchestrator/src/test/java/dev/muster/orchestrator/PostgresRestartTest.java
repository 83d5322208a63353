package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.PostgresServer;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Issue 5.3: PostgreSQL restarts while services wait. */
@ExtendWith(PostgresExtension.class)
class PostgresRestartTest {

  @Test
  void whileTheDatabaseIsDownReadyIs503AndOnceItIsBackEveryWaiterIsReleased(TestDatabase db, @TempDir Path dir)
      throws Exception {
    PostgresServer server = PostgresServer.shared();
    Assumptions.assumeTrue(server.restartable(), "needs the embedded server, which a test may stop");
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE slow (id int);\nSELECT pg_sleep(5);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()));
        Http.Sse events = Http.Sse.events(replicas.url(0), 0L)) {
      assertEquals(200, Http.get(replicas.url(0) + "/ready").status());
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        waiters.add(MusterClient.builder().url(replicas.urlsFrom(i % 2)).service("app").instance("app-" + i)
            .timeout(Duration.ofSeconds(90)).build().readyAsync());
      }
      events.await("migration.started", "2");

      server.stop();
      try {
        Http.Response ready = Http.get(replicas.url(0) + "/ready");
        assertEquals(503, ready.status(), ready.body());
        assertEquals(false, ready.json().getBoolean("database"));
        Http.Response arrival = Http.postJson(replicas.url(0) + "/api/v1/arrivals",
            new JsonObject().put("service", "app").put("instance", "during-outage"));
        assertEquals(503, arrival.status(), arrival.body());
        assertEquals("database_unavailable", arrival.json().getString("error"));
      } finally {
        server.start();
      }

      for (CompletableFuture<Ready> w : waiters) assertEquals("3", w.get(90, TimeUnit.SECONDS).version());
      assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
      assertEquals(3, db.queryLong("SELECT count(DISTINCT version) FROM public.flyway_schema_history"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed'"),
          "a run the restart cut short is run again, not reported as a failed migration");
      assertEquals(200, Http.get(replicas.url(0) + "/ready").status());
    }
  }
}
