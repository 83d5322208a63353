package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.testing.Postgres15;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines are local (issue 9): a PostgreSQL 15 of the test's own is stopped under three waiters with an 8 s
 * deadline — a {@code ?wait=true} arrival, an SSE arrival and {@code scripts/muster-wait}. Each is told on the
 * orchestrator's clock while the database is still down: 504 naming the database, the stream ended with an
 * unlogged {@code service.gave_up}, muster-wait's exit 4 naming the database. Once the database is back, the three
 * {@code service.gave_up} are in the log, once each.
 */
class DeadlineWhileDatabaseDownTest {

  @Test
  void waitersAreToldAtTheirDeadlineWhileTheDatabaseIsDownAndTheLogHasItOnceItIsBack(@TempDir Path dir)
      throws Exception {
    Assumptions.assumeTrue(Postgres15.available(), "needs PostgreSQL 15 in " + Postgres15.BIN);
    Path migrations = Files.createDirectories(dir.resolve("migrations"));
    Files.writeString(migrations.resolve("V1__accounts.sql"), "CREATE TABLE accounts (id bigserial PRIMARY KEY);");
    Files.writeString(migrations.resolve("V2__forever.sql"), "SELECT pg_sleep(600);");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (Postgres15 pg = Postgres15.start()) {
      Vertx vertx = Vertx.vertx();
      try {
        MusterConfig config = MusterConfig.defaults().toBuilder()
            .database(DatabaseUrl.parse(pg.url()))
            .migrations(List.of("filesystem:" + migrations.toAbsolutePath()))
            .schemas(SchemaNames.parse("public"))
            .httpPort(0)
            .heartbeat(Duration.ofSeconds(1))
            .build();
        Orchestrator orchestrator = Orchestrator.start(vertx, config, true).await();
        String url = "http://127.0.0.1:" + orchestrator.port();

        // The SSE arrival first: once it carries migration.started 2, the run is under way.
        HttpResponse<InputStream> sse = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/arrivals"))
            .header("Content-Type", "application/json").header("Accept", "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("service", "app").put("instance", "sse")
                .put("timeoutSeconds", 8).encode())).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, sse.statusCode());
        BufferedReader stream = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8));
        List<JsonObject> streamed = new ArrayList<>();
        for (JsonObject e; (e = next(stream)) != null; ) {
          streamed.add(e);
          if ("migration.started".equals(e.getString("type")) && "2".equals(e.getString("version"))) break;
        }
        CompletableFuture<HttpResponse<String>> wait = http.sendAsync(
            HttpRequest.newBuilder(URI.create(url + "/api/v1/arrivals?wait=true&timeout=8"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("service", "app").put("instance", "wait")
                    .encode())).build(), HttpResponse.BodyHandlers.ofString());
        Process musterWait = MusterWaitRun.builder(Map.of("MUSTER_URL", url, "MUSTER_SERVICE", "app",
                "MUSTER_INSTANCE", "script"), "--timeout", "8", "--", "true")
            .redirectError(dir.resolve("muster-wait.err").toFile()).redirectOutput(dir.resolve("muster-wait.out").toFile())
            .start();
        // Both are waiting (on record) before the database goes.
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl())) {
          for (int i = 0; i < 200 && count(c, "service.starting") < 3; i++) Thread.sleep(50);
          assertEquals(3, count(c, "service.starting"));
        }

        pg.stop();
        try {
          HttpResponse<String> answer = wait.get(30, TimeUnit.SECONDS);
          assertEquals(504, answer.statusCode(), answer.body());
          assertEquals("timeout", new JsonObject(answer.body()).getString("error"));
          assertTrue(answer.body().contains("database"), answer.body());

          JsonObject last = null;
          for (JsonObject e; (e = next(stream)) != null; ) last = e;
          assertTrue(last != null && "service.gave_up".equals(last.getString("type")), "stream ended with " + last);
          assertTrue(last.containsKey("seq"));
          assertNull(last.getValue("seq"), "pushed before the log has it");

          assertTrue(musterWait.waitFor(30, TimeUnit.SECONDS), "muster-wait ended");
          String err = Files.readString(dir.resolve("muster-wait.err"));
          assertEquals(4, musterWait.exitValue(), err);
          assertTrue(err.contains("database"), err);

          try (Connection ignored = DriverManager.getConnection(pg.jdbcUrl())) {
            throw new AssertionError("the database was down all along");
          } catch (java.sql.SQLException expected) {
            // told while it was down
          }
        } finally {
          pg.startAgain();
        }

        try (Connection c = DriverManager.getConnection(pg.jdbcUrl())) {
          for (int i = 0; i < 600 && count(c, "service.gave_up") < 3; i++) Thread.sleep(50);
          assertEquals(3, count(c, "service.gave_up"), "recorded once the database is back");
          try (ResultSet rs = c.createStatement().executeQuery("SELECT string_agg(data->>'instance', ',' ORDER BY"
              + " data->>'instance') FROM muster.events WHERE type = 'service.gave_up'")) {
            rs.next();
            assertEquals("script,sse,wait", rs.getString(1));
          }
          Thread.sleep(1000);
          assertEquals(3, count(c, "service.gave_up"), "once each");
          assertFalse(count(c, "service.released") > 0);
        }
        orchestrator.stop().await();
      } finally {
        vertx.close().await();
      }
    }
  }

  private static long count(Connection c, String type) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery(
        "SELECT count(*) FROM muster.events WHERE type = '" + type + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The next event's data, or null at the stream's end. */
  private static JsonObject next(BufferedReader reader) {
    try {
      String data = null;
      for (String line; (line = reader.readLine()) != null; ) {
        if (line.isEmpty()) {
          if (data != null) return new JsonObject(data);
        } else if (line.startsWith("data:")) {
          data = line.substring(5).trim();
        }
      }
      return null;
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
