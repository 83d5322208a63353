package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Notifications sent while the listening session is down are lost; the log makes up for them. */
@ExtendWith(PostgresExtension.class)
class ListenerReconnectTest {

  @Test
  void aWaiterIsReleasedAndNoEventIsMissedWhenTheListeningSessionIsKilledMidRun(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "SELECT pg_sleep(1);");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()));
        Http.Sse events = Http.Sse.events(replicas.url(0), 0L)) {
      CompletableFuture<Ready> waiter = MusterClient.builder().url(replicas.url(0)).service("app").instance("app-1")
          .timeout(Duration.ofSeconds(60)).build().readyAsync();
      long seq = 0;
      for (JsonObject e; (e = events.next()) != null; ) {
        assertEquals(++seq, e.getLong("seq"));
        if ("migration.started".equals(e.getString("type")) && "2".equals(e.getString("version"))) break;
      }
      assertEquals(1, db.queryLong("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
          + " WHERE application_name LIKE 'muster-listen:%' AND datname = current_database()"));

      assertEquals("3", waiter.get(30, TimeUnit.SECONDS).version());
      // The dashboard's stream saw every event in order, none twice, through schema.ready.
      for (JsonObject e; (e = events.next()) != null; ) {
        assertEquals(++seq, e.getLong("seq"));
        if ("schema.ready".equals(e.getString("type"))) break;
      }
      assertEquals(seq, db.queryLong("SELECT seq FROM muster.events WHERE type = 'schema.ready'"));
    }
  }
}
