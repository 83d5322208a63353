package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.ArrivalRejectedException;
import dev.muster.client.MusterClient;
import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code MUSTER_TOKEN} set, no write succeeds without it (401, a clear message, {@code WWW-Authenticate:
 * Bearer}); reads need {@code MUSTER_READ_TOKEN} (or the write token) when it is set and are open otherwise;
 * {@code /health} and {@code /ready} are always open; a refused call runs no SQL.
 */
@ExtendWith(PostgresExtension.class)
class AuthTest {
  static final String WRITE = "w-8f2c1e0b7d9a4c35";
  static final String READ = "r-4b1d9e7f2a6c0853";

  record Reply(int status, String body, String challenge) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  @Test
  void writesNeedTheWriteTokenAndReadsTheReadTokenOrTheWriteToken(TestDatabase db, @TempDir Path dir) {
    try (SqlRecorder sql = SqlRecorder.start(db);
        Replicas replicas = Replicas.start(1, Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder()
            .database(DatabaseUrl.parse(sql.url())).token(WRITE).readToken(READ).build())) {
      String base = replicas.url(0);
      HostileInputTest.settle(sql, base, "Bearer " + READ);
      int mark = sql.mark();

      // Writes: without the write token, 401 (403 for the read token), and nothing happens.
      String arrival = ArrivalModesTest.arrival("app-1").encode();
      List<String> wrong = new ArrayList<>();
      for (String authorization : List.of("", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + WRITE + "x",
          "Bearer " + WRITE.substring(1), "Bearer " + WRITE.toUpperCase(), "Basic " + WRITE, WRITE, "Token " + WRITE,
          "Bearer ' OR '1'='1 " + HostileInputTest.CANARY, "Bearer " + "a".repeat(8000), "Bearer \u00e9\u00e8",
          "bearer  wrong  ")) {
        for (String mode : List.of("", "?wait=true", "stream")) {
          Reply r = post(base + "/api/v1/arrivals" + (mode.equals("stream") ? "" : mode), arrival, authorization,
              mode.equals("stream"));
          if (r.status() != 401 || !r.challenge().startsWith("Bearer") || !"unauthorized".equals(r.json().getString("error"))) {
            wrong.add("'" + cut(authorization) + "' " + mode + " -> " + r);
          }
        }
      }
      assertEquals(List.of(), wrong);
      Reply missing = post(base + "/api/v1/arrivals", arrival, "", false);
      assertEquals("Bearer realm=\"muster\"", missing.challenge());
      assertTrue(missing.json().getString("message").contains("MUSTER_TOKEN"), missing.body());
      Reply invalid = post(base + "/api/v1/arrivals", arrival, "Bearer wrong", false);
      assertEquals("Bearer realm=\"muster\", error=\"invalid_token\"", invalid.challenge());
      assertEquals("the bearer token is not valid for this orchestrator", invalid.json().getString("message"));
      Reply readOnly = post(base + "/api/v1/arrivals", arrival, "Bearer " + READ, false);
      assertEquals(403, readOnly.status(), readOnly.body());
      assertTrue(readOnly.challenge().contains("insufficient_scope"), readOnly.challenge());
      // A token in the URL never authorizes a write.
      assertEquals(401, post(base + "/api/v1/arrivals?access_token=" + WRITE, arrival, "", false).status());
      // Unknown writes say 401 before they say 404 or 405.
      assertEquals(401, call("DELETE", base + "/api/v1/schemas/public", "").status());
      assertEquals(401, call("PUT", base + "/api/v1/admin/anything", "").status());
      assertEquals(405, call("DELETE", base + "/api/v1/schemas/public", "Bearer " + WRITE).status());

      // Reads: the read token or the write token, in the header; the read token alone may be in an event stream's URL.
      for (String path : List.of("/api/v1/schemas", "/api/v1/schemas/public", "/metrics")) {
        assertEquals(401, call("GET", base + path, "").status(), path);
        assertEquals(401, call("GET", base + path, "Bearer nope").status(), path);
        assertEquals(401, call("GET", base + path + "?access_token=" + READ, "").status(), path + " takes no URL token");
        assertEquals(200, call("GET", base + path, "Bearer " + READ).status(), path);
        assertEquals(200, call("GET", base + path, "Bearer " + WRITE).status(), path);
      }
      Reply events = call("GET", base + "/api/v1/events", "");
      assertEquals(401, events.status());
      assertTrue(events.json().getString("message").contains("access_token"), events.body());
      assertEquals(401, call("GET", base + "/api/v1/events?access_token=" + WRITE, "").status(),
          "the write token is never accepted in a URL");
      assertEquals(401, call("GET", base + "/api/v1/events?access_token=nope", "").status());
      assertEquals(400, call("GET", base + "/api/v1/events?access_token=a&access_token=b", "").status());
      assertEquals(401, call("GET", base + "/api/v1/nothing-here", "").status(), "no probing for routes");
      assertEquals(List.of(), sql.statementsSince(mark).stream().filter(s -> !s.equals(HostileInputTest.PING))
          .collect(Collectors.toList()), "refused calls ran no SQL");
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events"));

      assertEquals(200, openStream(base + "/api/v1/events?access_token=" + READ, ""));
      assertEquals(200, openStream(base + "/api/v1/events", "Bearer " + READ));
      assertEquals(200, openStream(base + "/api/v1/events", "Bearer " + WRITE));

      // Always open: the probes, and the dashboard's files (they hold no data; the API calls they make do).
      assertEquals(200, call("GET", base + "/health", "").status());
      assertEquals(200, call("GET", base + "/ready", "").status());
      assertEquals(200, call("GET", base + "/", "").status());

      // With the write token, writes work — also through the SDK; without it the SDK is told why.
      assertEquals(202, post(base + "/api/v1/arrivals", arrival, "Bearer " + WRITE, false).status());
      ArrivalRejectedException e = assertThrows(ArrivalRejectedException.class,
          () -> MusterClient.builder().url(base).service("app").instance("no-token").build().awaitReady());
      assertEquals(401, e.status());
      assertTrue(e.getMessage().contains("MUSTER_TOKEN"), e.getMessage());
      try {
        MusterClient.builder().url(base).service("app").instance("with-token").token(WRITE).build().awaitReady();
      } catch (Exception ex) {
        throw new AssertionError(ex);
      }
      assertTrue(!sql.sentSince(0, HostileInputTest.CANARY), "a token reached PostgreSQL");
    }
  }

  @Test
  void withoutAReadTokenReadsAreOpenWhileWritesStillNeedTheWriteToken(TestDatabase db, @TempDir Path dir) {
    MusterConfig config = Replicas.config(db, ArrivalModesTest.twoMigrations(dir).dir()).toBuilder().token(WRITE).build();
    try (Replicas replicas = Replicas.start(1, config)) {
      String base = replicas.url(0);
      assertEquals(200, call("GET", base + "/api/v1/schemas", "").status());
      assertEquals(200, call("GET", base + "/metrics", "").status());
      assertEquals(200, openStream(base + "/api/v1/events", ""));
      assertEquals(401, post(base + "/api/v1/arrivals", ArrivalModesTest.arrival("a").encode(), "", false).status());
      assertEquals(202, post(base + "/api/v1/arrivals", ArrivalModesTest.arrival("a").encode(), "Bearer " + WRITE, false)
          .status());
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private static Reply post(String url, String body, String authorization, boolean stream) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (stream) b.header("Accept", "text/event-stream");
    return send(b, authorization);
  }

  private static Reply call(String method, String url, String authorization) {
    return send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody()), authorization);
  }

  private static Reply send(HttpRequest.Builder b, String authorization) {
    if (!authorization.isEmpty()) {
      // Headers go out as bytes: let non-ASCII through as the raw client would send it.
      b.header("Authorization", new String(authorization.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }
    try {
      HttpResponse<String> r = Http.CLIENT.send(b.timeout(Duration.ofSeconds(15)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body(), r.headers().firstValue("WWW-Authenticate").orElse(""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Opens an event stream, returns its status and closes it. */
  private static int openStream(String url, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    if (!authorization.isEmpty()) b.header("Authorization", authorization);
    try (Http.Sse stream = Http.Sse.open(b.build())) {
      return stream.status;
    }
  }

  private static String cut(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
