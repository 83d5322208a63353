package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.ArrivalRejectedException;
import dev.muster.client.MusterClient;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class ArrivalModesTest {

  static Migrations twoMigrations(Path dir) {
    return new Migrations(dir.resolve("migrations"))
        .write("V1__accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);")
        .write("V2__orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY);");
  }

  static JsonObject arrival(String instance) {
    return new JsonObject().put("service", "app").put("instance", instance).put("schema", "public");
  }

  @Test
  void anArrivalForAReadySchemaIsReleasedAtOnce(TestDatabase db, @TempDir Path dir) throws Exception {
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, twoMigrations(dir).dir()))) {
      MusterClient.builder().url(replicas.url(0)).service("app").instance("first").build().awaitReady();

      try (Http.Sse stream = Http.Sse.arrival(replicas.url(0), arrival("late"), null)) {
        assertEquals(200, stream.status);
        // Other instances' service events (the first service's late release) are not carried.
        List<String> types = stream.rest().stream().map(e -> e.getString("type") + " " + e.getString("instance"))
            .collect(Collectors.toList());
        assertEquals(List.of("service.starting late", "service.released late"), types);
      }
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"), "nothing ran again");
    }
  }

  @Test
  void aServiceNeedingANewerVersionThanTheMigrationsReachGetsTheSkewError(TestDatabase db, @TempDir Path dir) {
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, twoMigrations(dir).dir()))) {
      Http.Response r = Http.postJson(replicas.url(0) + "/api/v1/arrivals", arrival("new").put("requiredVersion", "7"));
      assertEquals(409, r.status());
      assertEquals("version_skew", r.json().getString("error"));
      assertEquals("app requires public ≥ 7; the orchestrator's migrations end at 2", r.json().getString("message"));

      ArrivalRejectedException e = org.junit.jupiter.api.Assertions.assertThrows(ArrivalRejectedException.class,
          () -> MusterClient.builder().url(replicas.url(0)).service("app").requiredVersion("7").build().awaitReady());
      assertEquals(409, e.status());
      assertEquals(2, e.exitCode());
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.lock_acquired'"));
    }
  }

  @Test
  void waitTrueAnswersOnceTheSchemaIsReadyAndThePlainPostAnswers202(TestDatabase db, @TempDir Path dir) {
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, twoMigrations(dir).dir()))) {
      Http.Response accepted = Http.postJson(replicas.url(0) + "/api/v1/arrivals", arrival("a-1"));
      assertEquals(202, accepted.status());
      assertEquals("public", accepted.json().getString("schema"));
      assertTrue(accepted.json().getString("arrival").matches("[0-9]+"), accepted.body());

      Http.Response ready = Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true", arrival("a-2"));
      assertEquals(200, ready.status(), ready.body());
      assertEquals(new JsonObject().put("schema", "public").put("state", "ready").put("version", "2"), ready.json());
    }
  }

  @Test
  void waitTrueGivesUpWith504AfterItsTimeoutAndLogsIt(TestDatabase db, @TempDir Path dir) {
    Migrations slow = twoMigrations(dir).write("V3__slow.sql", "SELECT pg_sleep(3);");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, slow.dir()))) {
      Http.Response r = Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true&timeout=1", arrival("impatient"));
      assertEquals(504, r.status(), r.body());
      assertEquals("timeout", r.json().getString("error"));
      // Answered first, recorded after (the waiter is never held up by the log): the record follows, once.
      String gaveUp = "SELECT count(*) FROM muster.events WHERE type = 'service.gave_up' AND data->>'instance' = 'impatient'";
      Poll.until("service.gave_up is recorded", java.time.Duration.ofSeconds(10), () -> db.queryLong(gaveUp) > 0);
      assertEquals(1, db.queryLong(gaveUp));
    }
  }

  @Test
  void aCutArrivalStreamResumedWithLastEventIdMissesNothingAndRepeatsNothing(TestDatabase db, @TempDir Path dir) {
    Migrations chain = new Migrations(dir.resolve("migrations")).chain(6);
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, chain.dir()))) {
      long before = db.queryLong("SELECT coalesce(max(seq), 0) FROM muster.events");
      long lastSeen;
      List<Long> seen = new java.util.ArrayList<>();
      try (Http.Sse first = Http.Sse.arrival(replicas.url(0), arrival("resumer"), null)) {
        for (int i = 0; i < 3; i++) seen.add(first.next().getLong("seq"));
        lastSeen = seen.get(seen.size() - 1);
      } // cut
      try (Http.Sse resumed = Http.Sse.arrival(replicas.url(1), arrival("resumer"), lastSeen)) {
        resumed.rest().forEach(e -> seen.add(e.getLong("seq")));
      }
      List<Long> logged = db.query("SELECT seq FROM muster.events WHERE seq > ? AND schema_name = 'public'"
              + " AND seq <= (SELECT seq FROM muster.events WHERE type = 'schema.ready') ORDER BY seq", before)
          .stream().map(row -> ((Number) row.get("seq")).longValue()).collect(Collectors.toList());
      assertEquals(logged, seen);
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.starting'"),
          "a resumed stream is not a second arrival");
    }
  }

  @Test
  void theEventsEndpointReplaysFromTheLogAndContinuesLive(TestDatabase db, @TempDir Path dir) throws Exception {
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, twoMigrations(dir).dir()))) {
      MusterClient.builder().url(replicas.url(0)).service("app").instance("one").build().awaitReady();
      long total = db.queryLong("SELECT count(*) FROM muster.events");
      try (Http.Sse all = Http.Sse.events(replicas.url(0), 0L)) {
        for (long seq = 1; seq <= total; seq++) assertEquals(seq, all.next().getLong("seq"));
        MusterClient.builder().url(replicas.url(0)).service("worker").instance("two").build().awaitReady();
        // Live now, still in order (the first service's release may have been logged after the count).
        long seq = total;
        JsonObject live;
        do {
          live = all.next();
          assertEquals(++seq, live.getLong("seq"));
        } while (!"two".equals(live.getString("instance")));
        assertEquals("service.starting", live.getString("type"));
        assertNull(live.getString("error"));
      }
    }
  }
}
