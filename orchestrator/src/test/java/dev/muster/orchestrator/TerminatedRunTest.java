package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MigrationFailedException;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9.3: a run whose backend an operator terminates is retried with backoff up to a bound, then fails with the
 * cause — never a tight loop, never "migrating" with nobody running it.
 */
@ExtendWith(PostgresExtension.class)
class TerminatedRunTest {
  private static final String RUNNING_V2 = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
      + " AND application_name = 'muster-run:public' AND state = 'active' AND query LIKE '%pg_sleep(30)%'";

  @Test
  void threeTerminationsAreRetriedWithBackoffThenFailEveryWaiterWithTheCause(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "SELECT pg_sleep(30);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()));
        Http.Sse events = Http.Sse.events(replicas.url(0), 0L)) {
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        waiters.add(MusterClient.builder().url(replicas.urlsFrom(i % 2)).service("app").instance("app-" + i)
            .timeout(Duration.ofSeconds(120)).build().readyAsync());
      }
      for (int termination = 1; termination <= 3; termination++) {
        events.await("migration.started", "2");
        Poll.until("V2 runs", Duration.ofSeconds(20), () -> db.queryLong(RUNNING_V2) == 1);
        assertEquals(1, db.queryLong("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE datname = current_database() AND application_name = 'muster-run:public' AND state = 'active'"
            + " AND query LIKE '%pg_sleep(30)%') t"));
        if (termination < 3) {
          JsonObject interrupted = events.await("schema.interrupted", null);
          assertEquals(termination, interrupted.getInteger("attempt"));
          assertEquals("57P01", interrupted.getJsonObject("error").getString("sqlState"));
        }
      }
      JsonObject failed = events.await("schema.failed", null);
      assertEquals("57P01", failed.getJsonObject("error").getString("sqlState"));
      assertTrue(failed.getJsonObject("error").getString("message").contains("administrator"), failed.encode());
      for (CompletableFuture<Ready> waiter : waiters) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
            () -> waiter.get(60, TimeUnit.SECONDS));
        MigrationFailedException f = assertInstanceOf(MigrationFailedException.class, e.getCause());
        assertEquals("57P01", f.sqlState());
        assertTrue(f.getMessage().contains("administrator"), f.getMessage());
      }

      // Bounded: three attempts in the whole fleet (two replicas), and the log says so, nothing more.
      assertEquals(3, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.lock_acquired'"));
      assertEquals(3, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.started'"
          + " AND data->>'version' = '2'"));
      assertEquals(2, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.interrupted'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed'"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"),
          "V1 stays; V2 was rolled back each time");
      for (int i = 0; i < 2; i++) {
        JsonObject view = Http.get(replicas.url(i) + "/api/v1/schemas/public").json();
        assertEquals("failed", view.getString("state"), view.encode());
        assertNull(view.getString("lockHolder"), view.encode());
      }
    }
  }
}
