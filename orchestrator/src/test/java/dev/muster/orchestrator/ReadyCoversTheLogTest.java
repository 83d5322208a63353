package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Issue 9.4: readiness covers the log. Muster's own schema dropped under a running replica → 503, then recovery. */
@ExtendWith(PostgresExtension.class)
class ReadyCoversTheLogTest {

  @Test
  void droppingMustersSchemaMakesTheReplicaUnreadyUntilItHasBootstrappedItAgain(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "SELECT 1;");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      String url = replicas.url(0);
      assertEquals(200, arrive(url, "app-1").status());
      assertEquals(200, Http.get(url + "/ready").status());
      long before = db.queryLong("SELECT max(seq) FROM muster.events");

      try (Connection hold = db.connect(); Statement st = hold.createStatement()) {
        // Holding the bootstrap lock keeps the replica from repairing it while the test looks.
        st.execute("SELECT pg_advisory_lock(1297437524, 0)");
        st.execute("DROP SCHEMA muster CASCADE");
        Http.Response ready = Http.get(url + "/ready");
        assertEquals(503, ready.status(), ready.body());
        assertFalse(ready.json().getBoolean("log"), ready.body());
        assertTrue(ready.json().getBoolean("database"), ready.body());
        Http.Response arrival = arrive(url, "app-2");
        assertEquals(503, arrival.status(), "not a 500: " + arrival.body());
        assertEquals("database_unavailable", arrival.json().getString("error"), arrival.body());
        st.execute("SELECT pg_advisory_unlock(1297437524, 0)");
      }

      Poll.until("the replica bootstraps its schema again", Duration.ofSeconds(20),
          () -> Http.get(url + "/ready").status() == 200);
      Http.Response again = arrive(url, "app-3");
      assertEquals(200, again.status(), again.body());
      assertTrue(db.queryLong("SELECT min(seq) FROM muster.events") > before,
          "events are numbered on from where the log was, so no replica skips them as seen");
    }
  }

  private static Http.Response arrive(String url, String instance) {
    return Http.postJson(url + "/api/v1/arrivals?wait=true&timeout=10",
        new JsonObject().put("service", "app").put("instance", instance).put("schema", "public"));
  }
}
