package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.events.EventPruner;
import dev.muster.orchestrator.events.Retention;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A bounded log through the API: a replay from before the horizon says so; a replica prunes on its own. */
@ExtendWith(PostgresExtension.class)
class RetentionTest {

  private static long prune(TestDatabase db, Retention retention) {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = PgBuilder.pool().connectingTo(DatabaseUrl.parse(db.url()).connectOptions()).using(vertx).build();
      return new EventPruner(pool, retention).prune().await();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aReplayFromBeforeTheHorizonStartsWithLogPrunedThenWhatTheLogStillHas(TestDatabase db, @TempDir Path dir) {
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()))) {
      String url = replicas.url(0);
      for (int i = 1; i <= 4; i++) {
        try (Http.Sse s = Http.Sse.arrival(url, ArrivalModesTest.arrival("a" + i), null)) {
          s.await(i == 1 ? "schema.ready" : "service.released", null);
        }
      }
      assertTrue(prune(db, new Retention(null, 2L)) > 0);
      long horizon = db.queryLong("SELECT seq FROM muster.event_horizon");
      long ready = db.queryLong("SELECT seq FROM muster.events WHERE type = 'schema.ready'");
      assertTrue(ready < horizon, "the outcome is older than the horizon, and kept");
      // The first replica still holds every event in memory and would replay them all, nothing missing; a replica
      // started now reads a replay from the log.
      replicas.add();
      url = replicas.url(1);

      try (Http.Sse s = Http.Sse.events(url, 0L)) {
        JsonObject pruned = s.next();
        assertEquals("log.pruned", pruned.getString("type"), pruned.encode());
        assertNull(pruned.getValue("seq"), "not an event of the log");
        assertEquals(0L, pruned.getLong("after"));
        assertEquals(horizon, pruned.getLong("horizon"));
        assertNull(pruned.getValue("schema"));
        JsonObject next = s.next();
        assertEquals(db.queryLong("SELECT min(seq) FROM muster.events"), next.getLong("seq"), "then what the log has");
      }
      // The same with ?since=, and on an arrival's stream resumed from before the horizon.
      try (Http.Sse s = Http.Sse.open(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(url + "/api/v1/events?since=1&schema=public")).GET().build())) {
        JsonObject pruned = s.next();
        assertEquals("log.pruned", pruned.getString("type"));
        assertEquals("public", pruned.getString("schema"));
        assertEquals(1L, pruned.getLong("after"));
      }
      try (Http.Sse s = Http.Sse.arrival(url, ArrivalModesTest.arrival("a1"), 1L)) {
        JsonObject pruned = s.next();
        assertEquals("log.pruned", pruned.getString("type"), pruned.encode());
        s.await("schema.ready", "2"); // the kept outcome settles the resumed stream
      }
      // From the horizon on the log is whole: no log.pruned.
      try (Http.Sse s = Http.Sse.events(url, horizon)) {
        JsonObject first = s.next();
        assertNotEquals("log.pruned", first.getString("type"));
        assertEquals(horizon + 1, first.getLong("seq"));
      }
    }
  }

  @Test
  void aServingReplicaWithRetentionPrunesOnItsOwnAndStillKnowsEachSchemasLastRun(TestDatabase db, @TempDir Path dir) {
    var config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir());
    try (Replicas replicas = Replicas.start(1, config)) {
      for (int i = 1; i <= 4; i++) {
        try (Http.Sse s = Http.Sse.arrival(replicas.url(0), ArrivalModesTest.arrival("a" + i), null)) {
          s.await(i == 1 ? "schema.ready" : "service.released", null);
        }
      }
    }
    long events = db.queryLong("SELECT count(*) FROM muster.events");
    try (Replicas replicas = Replicas.start(1, config.toBuilder().eventsRetention(Retention.parse("1")).build())) {
      Poll.until("the replica pruned", () -> db.queryLong("SELECT seq FROM muster.event_horizon") > 0);
      assertTrue(db.queryLong("SELECT count(*) FROM muster.events") < events);
      JsonObject schema = Http.get(replicas.url(0) + "/api/v1/schemas/public").json();
      assertEquals("ready", schema.getString("state"));
      assertEquals("replica-1", schema.getJsonObject("lastRun").getString("orchestrator"));
      List<String> kept = db.query("SELECT type FROM muster.events WHERE seq <= (SELECT seq FROM muster.event_horizon)"
          + " ORDER BY seq").stream().map(r -> (String) r.get("type")).toList();
      assertEquals(List.of("schema.lock_acquired", "migration.started", "migration.applied", "migration.started",
          "migration.applied", "schema.ready"), kept, "below the horizon: the latest run only");
    }
  }
}
