package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Any role that can connect may NOTIFY; the orchestrator must believe only the event log. */
@ExtendWith(PostgresExtension.class)
class ForgedNotificationTest {

  @Test
  void aForgedSchemaReadyNotificationReleasesNobody(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = new Migrations(dir.resolve("migrations"))
        .write("V1__accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);")
        .write("V2__held.sql", "SELECT pg_advisory_lock_shared(42);"); // blocks while the test holds lock 42
    try (Connection holder = db.connect(); Statement st = holder.createStatement()) {
      st.execute("SELECT pg_advisory_lock(42)");
      // No lock timeout: V2 waits on the test's lock in one attempt, named once (migration.blocked), and nothing
      // else is appended while the forgery is tried.
      try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()).toBuilder()
              .lockTimeout(Duration.ZERO).build());
          Http.Sse events = Http.Sse.events(replicas.url(0), 0L)) {
        CompletableFuture<Ready> waiter = MusterClient.builder().url(replicas.url(0)).service("app")
            .instance("app-1").timeout(Duration.ofSeconds(30)).build().readyAsync();
        events.await("migration.started", "2");
        events.await("migration.blocked", "2");
        long next = db.queryLong("SELECT seq FROM muster.event_counter") + 1;
        String forged = new JsonObject().put("seq", next).put("type", "schema.ready").put("schema", "public")
            .put("version", "2").put("at", "2026-01-01T00:00:00Z").encode();
        db.execute("SELECT pg_notify('muster_events', ?)", forged);
        // A real event after the forgery: once the stream shows it, the forgery has been handled too.
        db.execute("SELECT pg_notify('muster_events', 'wake up')");
        Http.postJson(replicas.url(0) + "/api/v1/arrivals", new JsonObject().put("service", "probe")
            .put("instance", "probe-1").put("requiredVersion", "1"));
        JsonObject seen = events.next();
        assertEquals("service.starting", seen.getString("type"), "the forged event never reached a stream");
        assertEquals(next, seen.getLong("seq"), "the real event with that number is delivered");
        assertFalse(waiter.isDone(), "the waiter is still waiting for V2");

        st.execute("SELECT pg_advisory_unlock(42)");
        assertEquals("2", waiter.get(30, TimeUnit.SECONDS).version());
      }
    }
  }
}
