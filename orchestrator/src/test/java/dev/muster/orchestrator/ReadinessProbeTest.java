package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.muster.client.MusterClient;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/schemas/{schema}/ready[?version=V]}, as a Kubernetes readiness probe calls it for a service
 * that embeds no client: 200 once the schema is at V or newer (its latest without V), 503 before.
 */
@ExtendWith(PostgresExtension.class)
class ReadinessProbeTest {
  static final String READ = "r-probe-5c1e7a9d";

  static Http.Response probe(String url, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
    if (authorization != null) b.header("Authorization", authorization);
    HttpResponse<String> r = Http.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Http.Response(r.statusCode(), r.body());
  }

  @Test
  void theProbeSays503UntilTheSchemaReachesTheVersionThen200(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = ArrivalModesTest.twoMigrations(dir);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      String base = replicas.url(0) + "/api/v1/schemas/public/ready";

      Http.Response before = probe(base, null);
      assertEquals(503, before.status(), before.body());
      JsonObject body = before.json();
      assertEquals("pending", body.getString("state"));
      assertNull(body.getString("version"));
      assertEquals("2", body.getString("requiredVersion"), "without ?version, the latest");
      assertEquals(false, body.getBoolean("ready"));

      MusterClient.builder().url(replicas.url(0)).service("app").instance("app-1").build().awaitReady();
      Http.Response after = probe(base, null);
      assertEquals(200, after.status(), after.body());
      assertEquals(new JsonObject().put("schema", "public").put("ready", true).put("state", "ready").put("version", "2")
          .put("requiredVersion", "2").put("latestVersion", "2"), after.json());
      assertEquals(200, probe(base + "?version=1", null).status());
      assertEquals(200, probe(base + "?version=2.0", null).status(), "Flyway's order: 2.0 = 2");

      // A newer migration file: the schema is ready for services that need 2, not for those that need the latest.
      migrations.write("V3__audit.sql", "CREATE TABLE audit (id bigserial PRIMARY KEY);");
      Http.Response v3 = probe(base + "?version=3", null);
      assertEquals(503, v3.status(), v3.body());
      assertEquals("2", v3.json().getString("version"));
      assertEquals(200, probe(base + "?version=2", null).status());
    }
  }

  @Test
  void theProbeChecksItsInputAndTheReadTokenLikeTheOtherSchemaReads(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = ArrivalModesTest.twoMigrations(dir);
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()).toBuilder().readToken(READ).build())) {
      String base = replicas.url(0) + "/api/v1/schemas/";
      String auth = "Bearer " + READ;
      assertEquals(401, probe(base + "public/ready", null).status());
      assertEquals(401, probe(base + "public/ready?access_token=" + READ, null).status(), "no token in the URL");
      assertEquals(503, probe(base + "public/ready", auth).status());
      Http.Response badVersion = probe(base + "public/ready?version=latest", auth);
      assertEquals(400, badVersion.status());
      assertEquals("invalid_request", badVersion.json().getString("error"));
      assertEquals(400, probe(base + "public/ready?version=1&version=2", auth).status());
      Http.Response badName = probe(base + "Bad%22Name/ready", auth);
      assertEquals(400, badName.status());
      assertEquals("invalid_schema", badName.json().getString("error"));
      Http.Response notAllowed = probe(base + "billing/ready", auth);
      assertEquals(404, notAllowed.status());
      assertEquals("unknown_schema", notAllowed.json().getString("error"));
      Http.Response post = Http.post(base + "public/ready", "application/json", "{}");
      assertEquals(405, post.status());
      assertEquals("method_not_allowed", post.json().getString("error"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events"), "probes record nothing");
    }
  }
}
