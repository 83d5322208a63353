package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deploy on one machine: the packaged orchestrator and eleven sample services of all three roles, each an
 * OS process, all started in the same instant on an empty database. Nobody runs the migrations first.
 */
@ExtendWith(PostgresExtension.class)
class FleetIT {
  static final Duration START = Duration.ofSeconds(120);
  static final String TOKEN = "fleet-test-token";
  static final Pattern SERVING = Pattern.compile("serving (http://\\S+/)");
  static final Pattern DONE = Pattern.compile("done job ([0-9]+) (\\S+)");

  @Test
  void elevenServicesStartedWithTheOrchestratorAllStartMigrateOnceAndWorkTogether(TestDatabase db, @TempDir Path dir)
      throws Exception {
    int port = Paths.freePort();
    String orchestratorUrl = "http://127.0.0.1:" + port;
    Map<String, List<String>> commands = new LinkedHashMap<>();
    Map<String, Map<String, String>> environments = new LinkedHashMap<>();
    commands.put("orchestrator", List.of(Paths.java(), "-jar", Paths.orchestratorJar().toString(), "serve"));
    environments.put("orchestrator", Map.of(
        "MUSTER_DATABASE_URL", db.url(),
        "MUSTER_MIGRATIONS", "filesystem:" + Paths.migrations(),
        "MUSTER_HTTP_PORT", String.valueOf(port),
        "MUSTER_TOKEN", TOKEN,
        "MUSTER_REPLICA", "fleet-orchestrator"));
    List<String> services = new ArrayList<>();
    for (String role : List.of("app", "app", "app", "worker", "worker", "worker", "worker", "worker", "beat", "beat",
        "beat")) {
      String name = role + "-" + (services.stream().filter(s -> s.startsWith(role + "-")).count() + 1);
      services.add(name);
      commands.put(name, List.of(Paths.java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx96m", "-jar",
          Paths.sampleAppJar().toString(), role));
      environments.put(name, Map.of(
          "MUSTER_URL", orchestratorUrl,
          "MUSTER_SERVICE", role,
          "MUSTER_INSTANCE", name,
          "MUSTER_TOKEN", TOKEN,
          "MUSTER_TIMEOUT", "120",
          "DATABASE_URL", db.url(),
          "APP_PORT", "0",
          "BEAT_INTERVAL_SECONDS", "1"));
    }

    List<Child> fleet = Child.startTogether(commands, environments, dir);
    try {
      Map<String, Child> byName = fleet.stream().collect(Collectors.toMap(c -> c.name, c -> c));

      // All start: each one waited for the schema, then began its work.
      Map<String, String> appUrls = new LinkedHashMap<>();
      for (String name : services) {
        String started = byName.get(name).await(l -> l.contains("started: " + name + " "), "its started line", START);
        Matcher serving = SERVING.matcher(started);
        if (serving.find()) appUrls.put(name, serving.group(1));
      }
      assertEquals(3, appUrls.size(), "every app serves HTTP: " + appUrls);

      // Each migration ran once, by the orchestrator, for all eleven.
      long migrations = migrationFiles();
      assertTrue(migrations >= 8, "a realistic set of migrations");
      assertEquals(migrations, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE success"));
      assertEquals(migrations, db.queryLong("SELECT count(DISTINCT version) FROM public.flyway_schema_history"));
      assertEquals(migrations, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.started'"));
      assertEquals(migrations, db.queryLong(
          "SELECT count(DISTINCT data->>'version') FROM muster.events WHERE type = 'migration.applied'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));
      assertEquals(11, db.queryLong(
          "SELECT count(DISTINCT data->>'instance') FROM muster.events WHERE type = 'service.starting'"));
      assertEquals(0, db.queryLong(
          "SELECT count(*) FROM muster.events WHERE type IN ('schema.failed', 'service.gave_up')"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_index WHERE indexrelid = 'public.jobs_dedupe_key_idx'::regclass"
          + " AND indisvalid AND indisunique"), "the index built CONCURRENTLY is valid");
      assertEquals(0, db.queryLong("SELECT count(*) FROM accounts WHERE display_name IS NULL"), "the backfill ran");

      // Real work after the gate: workers take the jobs beat enqueued...
      List<Child> workers = services.stream().filter(s -> s.startsWith("worker-")).map(byName::get).toList();
      awaitDone(workers, "refresh_account_stats", 3);

      // ...and the job an app enqueues when an account is created.
      String app = appUrls.values().iterator().next();
      HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(app + "accounts"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"ada@example.com\",\"displayName\":\"Ada\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, created.statusCode(), created.body());
      awaitDone(workers, "welcome_email", 1);
      assertNotNull(db.query("SELECT welcomed_at FROM accounts WHERE email = 'ada@example.com'").get(0).get("welcomed_at"));

      // Each job was done once, by one of the workers, whichever took it first.
      assertEquals(0, db.queryLong("SELECT count(*) FROM jobs WHERE state = 'done' AND attempts <> 1"));
      List<Object> doers = db.query("SELECT DISTINCT worker FROM jobs WHERE state = 'done'").stream()
          .map(r -> r.get("worker")).collect(Collectors.toList());
      assertTrue(services.containsAll(doers) && doers.stream().allMatch(w -> w.toString().startsWith("worker-")),
          doers.toString());
      // Three beats, one job per slot: the slot key is unique.
      assertEquals(db.queryLong("SELECT count(*) FROM jobs WHERE kind = 'refresh_account_stats'"),
          db.queryLong("SELECT count(DISTINCT dedupe_key) FROM jobs WHERE kind = 'refresh_account_stats'"));

      assertEquals(List.of(), byName.get("orchestrator").linesMatching(l -> l.contains(" ERROR ")),
          "the orchestrator logged no error");
    } finally {
      fleet.forEach(Child::close);
    }
    for (Child c : fleet) {
      if (!c.name.equals("orchestrator")) {
        assertTrue(c.output().contains(c.name + " stopped"), c.name + " stopped cleanly on SIGTERM:\n" + c.output());
      }
    }
  }

  /** Waits until the workers together have done {@code count} jobs of the kind. */
  private static void awaitDone(List<Child> workers, String kind, int count) throws InterruptedException {
    Child.awaitTotal(workers, l -> isDone(l, kind), count, kind + " jobs done", START);
  }

  private static boolean isDone(String line, String kind) {
    Matcher m = DONE.matcher(line);
    return m.find() && m.group(2).equals(kind);
  }

  private static long migrationFiles() throws Exception {
    try (var files = Files.list(Paths.migrations())) {
      return files.filter(f -> f.getFileName().toString().matches("V[0-9]+__.*\\.sql")).count();
    }
  }
}
