package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Bad requests get a 4xx with the contract's error body, and nothing happens in the database. */
@ExtendWith(PostgresExtension.class)
class BadInputTest {

  record Bad(String contentType, String body, int status, String error) {}

  static final String LONG_NAME = "s".repeat(64);

  static final List<Bad> CASES = List.of(
      new Bad("application/json", "{\"service\": \"app\", ", 400, "invalid_json"),
      new Bad("application/json", "", 400, "invalid_json"),
      new Bad("application/json", "[1, 2, 3]", 400, "invalid_json"),
      new Bad("application/json", "\"just a string\"", 400, "invalid_json"),
      new Bad("text/plain", "{\"service\":\"app\",\"instance\":\"a\"}", 415, "unsupported_media_type"),
      new Bad(null, "{\"service\":\"app\",\"instance\":\"a\"}", 415, "unsupported_media_type"),
      new Bad("application/json", "{}", 400, "invalid_request"),
      new Bad("application/json", "{\"instance\":\"a\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":42,\"instance\":\"a\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"schema\":\"billing\"}", 403, "schema_not_allowed"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"schema\":\"public\\\"; DROP SCHEMA muster; --\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"schema\":\"tenant_a;select 1\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"schema\":\"tenant_'x'\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"schema\":\"tenant_" + LONG_NAME + "\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"schema\":\"../etc\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app'; DROP TABLE x; --\",\"instance\":\"a\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"" + LONG_NAME + "\",\"instance\":\"a\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"requiredVersion\":\"1; DROP\"}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"requiredVersion\":1.5}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"timeoutSeconds\":-1}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\",\"timeoutSeconds\":99999999999}", 400, "invalid_request"),
      new Bad("application/json", "{\"service\":\"app\",\"instance\":\"a\"," + "\"x\":".repeat(1) + "\"" + "y".repeat(70_000) + "\"}", 413, "payload_too_large"));

  @Test
  void badArrivalsGetA4xxWithTheErrorBodyAndChangeNothing(TestDatabase db, @TempDir Path dir) {
    Migrations migrations = ArrivalModesTest.twoMigrations(dir);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      String url = replicas.url(0) + "/api/v1/arrivals";
      long eventsBefore = db.queryLong("SELECT count(*) FROM muster.events");
      long schemasBefore = db.queryLong("SELECT count(*) FROM pg_namespace");
      for (Bad bad : CASES) {
        Http.Response r = Http.post(url, bad.contentType(), bad.body());
        String what = bad.body().length() > 120 ? bad.body().substring(0, 120) + "..." : bad.body();
        assertEquals(bad.status(), r.status(), what + " -> " + r.body());
        JsonObject error = r.json();
        assertEquals(bad.error(), error.getString("error"), what);
        assertTrue(error.getString("message") != null && !error.getString("message").isBlank(), what);
      }
      assertEquals(eventsBefore, db.queryLong("SELECT count(*) FROM muster.events"), "no event was recorded");
      assertEquals(schemasBefore, db.queryLong("SELECT count(*) FROM pg_namespace"), "no schema was created");
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'flyway_schema_history'"),
          "no migration ran");

      Map<String, Integer> reads = Map.of(
          "/api/v1/schemas/Bad%22Name", 400,
          "/api/v1/schemas/billing", 404,
          "/api/v1/events?since=abc", 400,
          "/api/v1/nothing-here", 404);
      reads.forEach((path, status) -> {
        Http.Response r = Http.get(replicas.url(0) + path);
        assertEquals(status, r.status(), path + " -> " + r.body());
        assertTrue(r.json().containsKey("error"), path);
      });

      // The orchestrator serves normally afterwards.
      Http.Response ok = Http.postJson(url + "?wait=true", new JsonObject().put("service", "app").put("instance", "fine"));
      assertEquals(200, ok.status(), ok.body());
    }
  }
}
