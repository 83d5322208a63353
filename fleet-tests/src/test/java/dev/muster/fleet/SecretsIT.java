package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.TestDatabase;
import dev.muster.testing.TlsPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged orchestrator and two sample services on a PostgreSQL that wants a password and TLS
 * ({@code verify-full}), with the tokens and the password handed over in files: while they run, neither the
 * tokens nor the password shows in {@code ps}, in any of their logs, or in any HTTP answer, {@code /metrics}
 * included; and every session they hold is encrypted.
 */
class SecretsIT {
  static final Duration START = Duration.ofSeconds(120);

  @Test
  void noSecretInPsLogsOrAnswersWhileTheyRun(@TempDir Path dir) throws Exception {
    try (TlsPostgres tls = TlsPostgres.start()) {
      TestDatabase db = tls.createDatabase();
      String token = "write-" + random();
      String readToken = "read-" + random();
      List<String> secrets = List.of(token, readToken, tls.password(),
          URLEncoder.encode(tls.password(), StandardCharsets.UTF_8));
      Path tokenFile = secretFile(dir, "token", token);
      Path readTokenFile = secretFile(dir, "read-token", readToken);
      Path passwordFile = secretFile(dir, "db-password", tls.password());
      // The URL holds no password: it comes from the file.
      String databaseUrl = "postgresql://" + TlsPostgres.USER + "@" + tls.host() + ":" + tls.port() + "/" + db.name()
          + "?sslmode=verify-full&sslrootcert=" + tls.ca();

      int port = Paths.freePort();
      String orchestratorUrl = "http://127.0.0.1:" + port;
      Map<String, List<String>> commands = new LinkedHashMap<>();
      Map<String, Map<String, String>> environments = new LinkedHashMap<>();
      commands.put("orchestrator", List.of(Paths.java(), "-jar", Paths.orchestratorJar().toString(), "serve"));
      environments.put("orchestrator", Map.of(
          "MUSTER_DATABASE_URL", databaseUrl,
          "MUSTER_DATABASE_PASSWORD_FILE", passwordFile.toString(),
          "MUSTER_TOKEN_FILE", tokenFile.toString(),
          "MUSTER_READ_TOKEN_FILE", readTokenFile.toString(),
          "MUSTER_MIGRATIONS", "filesystem:" + Paths.migrations(),
          "MUSTER_HTTP_PORT", String.valueOf(port),
          "MUSTER_REPLICA", "secrets-orchestrator"));
      for (String role : List.of("app", "worker")) {
        commands.put(role, List.of(Paths.java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx96m", "-jar",
            Paths.sampleAppJar().toString(), role));
        environments.put(role, Map.of(
            "MUSTER_URL", orchestratorUrl,
            "MUSTER_INSTANCE", role + "-1",
            "MUSTER_TOKEN", token,
            "MUSTER_TIMEOUT", "120",
            "DATABASE_URL", databaseUrl,
            "DATABASE_PASSWORD_FILE", passwordFile.toString(),
            "APP_PORT", "0"));
      }

      List<Child> fleet = Child.startTogether(commands, environments, dir);
      try {
        Child orchestrator = fleet.get(0);
        String appStarted = fleet.get(1).await(l -> l.contains("started: app-1 "), "its started line", START);
        fleet.get(2).await(l -> l.contains("started: worker-1 "), "its started line", START);
        Matcher serving = FleetIT.SERVING.matcher(appStarted);
        assertTrue(serving.find(), appStarted);
        String app = serving.group(1);

        List<Map<String, Object>> sessions = tls.admin().query("SELECT a.application_name, s.ssl FROM pg_stat_activity a"
            + " JOIN pg_stat_ssl s USING (pid) WHERE a.datname = ? AND a.pid <> pg_backend_pid()", db.name());
        assertTrue(sessions.stream().anyMatch(s -> "app-1".equals(s.get("application_name")))
            && sessions.stream().anyMatch(s -> "worker-1".equals(s.get("application_name"))), sessions.toString());
        assertTrue(sessions.stream().allMatch(s -> Boolean.TRUE.equals(s.get("ssl"))), "all encrypted: " + sessions);

        Map<String, String> seen = new LinkedHashMap<>();
        seen.put("ps", ps());
        for (String path : List.of("/health", "/ready", "/", "/api/v1/schemas", "/api/v1/schemas/public",
            "/api/v1/schemas/public/ready", "/metrics", "/api/v1/schemas/nope")) {
          seen.put("GET " + path, get(orchestratorUrl + path, readToken));
          seen.put("GET " + path + " without a token", get(orchestratorUrl + path, null));
        }
        seen.put("GET /api/v1/events", events(orchestratorUrl, readToken));
        seen.put("an arrival with the read token", post(orchestratorUrl + "/api/v1/arrivals", readToken,
            "{\"service\":\"probe\",\"instance\":\"p-1\",\"schema\":\"public\"}"));
        seen.put("an arrival with the write token", post(orchestratorUrl + "/api/v1/arrivals?wait=true", token,
            "{\"service\":\"probe\",\"instance\":\"p-2\",\"schema\":\"public\"}"));
        seen.put("a bad arrival", post(orchestratorUrl + "/api/v1/arrivals", token, "{\"schema\":"));
        for (String path : List.of("health", "stats", "accounts", "jobs")) seen.put("app GET /" + path, get(app + path, null));
        for (Child child : fleet) seen.put(child.name + "'s log", child.output());

        assertTrue(seen.get("GET /metrics").contains("muster_"), "metrics were read: " + seen.get("GET /metrics"));
        assertTrue(seen.get("orchestrator's log").contains("sslmode=verify-full"), seen.get("orchestrator's log"));
        seen.forEach((where, text) -> {
          for (String secret : secrets) assertFalse(text.contains(secret), "a secret in " + where + ":\n" + text);
        });
        assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));
      } finally {
        fleet.forEach(Child::close);
      }
    }
  }

  /** Every process's command line on this host. */
  private static String ps() throws IOException, InterruptedException {
    Process ps = new ProcessBuilder("ps", "-eww", "-o", "pid,args").redirectErrorStream(true).start();
    String out = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(ps.waitFor(30, TimeUnit.SECONDS));
    assertTrue(out.contains(Paths.orchestratorJar().toString()) && out.contains(Paths.sampleAppJar().toString()),
        "ps sees them: " + out);
    return out;
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private static String get(String url, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (token != null) request.header("Authorization", "Bearer " + token);
    return answer(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private static String post(String url, String token, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return answer(HTTP.send(request, HttpResponse.BodyHandlers.ofString()));
  }

  /** The event log replayed from the start, up to the schema's ready event (the stream itself stays open). */
  private static String events(String orchestratorUrl, String token) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(orchestratorUrl + "/api/v1/events?since=0"))
        .header("Authorization", "Bearer " + token).build();
    HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
    StringBuilder text = new StringBuilder(response.statusCode() + " " + response.headers().map() + "\n");
    try (InputStream in = response.body()) {
      byte[] buffer = new byte[8192];
      for (int n; !text.toString().contains("event: schema.ready") && (n = in.read(buffer)) >= 0; ) {
        text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      }
    }
    assertTrue(text.toString().contains("event: schema.ready"), text.toString());
    return text.toString();
  }

  private static String answer(HttpResponse<String> response) {
    return response.statusCode() + " " + response.headers().map() + "\n" + response.body();
  }

  private static Path secretFile(Path dir, String name, String secret) throws IOException {
    Path file = Files.writeString(dir.resolve(name), secret + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static String random() {
    byte[] bytes = new byte[16];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
