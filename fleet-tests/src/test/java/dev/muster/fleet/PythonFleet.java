package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sample-python/} as OS processes from Debian's packages: gunicorn with 3 workers ({@code web}), a Celery
 * worker, a Celery beat and the digest, all started in the same instant. In {@link Mode#NAIVE} every one of the
 * six Python processes that need the schema runs {@code alembic upgrade head} at start-up; in {@link Mode#DIY_LOCK}
 * they do too, each queued on a {@code pg_advisory_lock} in {@code env.py}; in {@link Mode#MUSTER} each waits on
 * Muster (gunicorn's {@code on_starting}, Celery's {@code worker_init} / {@code beat_init}, and
 * {@code python -m muster_client wait} for the digest), offering to run the upgrade.
 */
final class PythonFleet {
  static final List<String> SERVICES = List.of("web", "worker", "beat", "digest");
  /** Processes that migrate (or wait) at start-up: three gunicorn workers, the worker, beat and the digest. */
  static final int MIGRATING_PROCESSES = 6;
  static final String HEAD = "0006";
  static final int REVISIONS = 6;
  static final Pattern LISTENING = Pattern.compile("Listening at: (http://127\\.0\\.0\\.1:\\d+)");
  static final String TOKEN = "python-fleet-token";

  enum Mode { NAIVE, DIY_LOCK, MUSTER }

  private PythonFleet() {}

  /** A copy of sample-python in {@code dir}, so a test may change a revision without touching the tree. */
  /**
   * A service's "started: ..." line. Celery's worker and beat print it after Celery has taken over their standard
   * output, so there it comes behind Celery's log prefix ({@code [time: WARNING/MainProcess] started: worker}).
   */
  static boolean isStartedLine(String line) {
    return line.startsWith("started: ") || line.contains("] started: ");
  }

  static Path copyOfSample(Path dir) throws IOException {
    Path source = Paths.root().resolve("sample-python");
    Path target = dir.resolve("sample-python");
    Files.walkFileTree(source, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        if (d.getFileName().toString().equals("__pycache__")) return FileVisitResult.SKIP_SUBTREE;
        Files.createDirectories(target.resolve(source.relativize(d)));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
        Files.copy(f, target.resolve(source.relativize(f)));
        return FileVisitResult.CONTINUE;
      }
    });
    return target;
  }

  /** The command and environment of each service, by name, in {@link #SERVICES} order. */
  static Map<String, List<String>> commands(Path sample, Path dir, Mode mode) {
    String py = Python.forFleet();
    String alembic = py + " -m alembic -c " + sample.resolve("alembic.ini");
    Map<String, List<String>> commands = new LinkedHashMap<>();
    commands.put("web", List.of(py, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0",
        "fleet.web:application"));
    commands.put("worker", List.of(py, "-m", "celery", "-A", "fleet.tasks", "worker", "--pool", "solo", "-n",
        "worker@fleet", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"));
    commands.put("beat", List.of(py, "-m", "celery", "-A", "fleet.tasks", "beat", "-l", "INFO", "-s",
        dir.resolve("beat-schedule").toString(), "--max-interval", "1"));
    List<String> digest = new ArrayList<>();
    if (mode == Mode.MUSTER) {
      digest.addAll(List.of(py, "-m", "muster_client", "wait", "--migrate-with", alembic + " upgrade head",
          "--version-from", alembic + " heads", "--"));
    }
    digest.addAll(List.of(py, "-m", "fleet.digest"));
    commands.put("digest", digest);
    return commands;
  }

  static Map<String, Map<String, String>> environments(Path sample, TestDatabase db, String brokerUrl, Mode mode,
      String musterUrl, Map<String, String> extra) {
    Map<String, Map<String, String>> environments = new LinkedHashMap<>();
    for (String service : SERVICES) {
      Map<String, String> env = new HashMap<>();
      env.put("DATABASE_URL", db.url());
      env.put("BROKER_URL", brokerUrl);
      env.put("FLEET_MODE", mode == Mode.MUSTER ? "muster" : "naive");
      if (mode == Mode.DIY_LOCK) env.put("FLEET_ADVISORY_LOCK", "1");
      env.put("PYTHONPATH", Paths.root().resolve("client-python") + ":" + sample);
      env.put("PYTHONDONTWRITEBYTECODE", "1");
      env.put("PYTHONUNBUFFERED", "1");
      if (musterUrl != null) {
        env.put("MUSTER_URL", musterUrl);
        env.put("MUSTER_SERVICE", service);
        env.put("MUSTER_INSTANCE", service + "-1");
        env.put("MUSTER_TOKEN", TOKEN);
        env.put("MUSTER_TIMEOUT", "180");
      }
      env.putAll(extra);
      environments.put(service, env);
    }
    return environments;
  }

  /** Debian's {@code redis-server} as the Celery broker: on a free port, in memory only. */
  record Redis(Child process, String url) implements AutoCloseable {
    static Redis start(Path dir) throws InterruptedException {
      int port = Paths.freePort();
      Child redis = Child.start("redis", List.of("redis-server", "--port", String.valueOf(port), "--bind",
          "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()), Map.of(), dir);
      redis.await(l -> l.contains("Ready to accept connections"), "Ready to accept connections", Duration.ofSeconds(60));
      return new Redis(redis, "redis://127.0.0.1:" + port + "/0");
    }

    @Override
    public void close() {
      process.close();
    }
  }

  /** The web app's URL, from gunicorn's "Listening at" line. */
  static String webUrl(Child web, Duration timeout) throws InterruptedException {
    Matcher m = LISTENING.matcher(web.await(l -> LISTENING.matcher(l).find(), "Listening at", timeout));
    m.find();
    return m.group(1);
  }

  static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String url, String json) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Every revision applied exactly once, and the data they wrote there once: no duplicated seed or backfill. */
  static void assertMigratedOnce(TestDatabase db) {
    assertEquals(HEAD, db.query("SELECT version_num FROM alembic_version").get(0).get("version_num"));
    assertEquals(REVISIONS, db.queryLong("SELECT count(*) FROM migration_log"), "each revision ran once");
    assertEquals(REVISIONS, db.queryLong("SELECT count(DISTINCT revision) FROM migration_log"));
    assertEquals(3, db.queryLong("SELECT count(*) FROM accounts"
        + " WHERE email IN ('ada@example.com', 'grace@example.com', 'linus@example.com')"), "the seed ran once");
    assertEquals(3, db.queryLong("SELECT count(*) FROM plan_history"), "the backfill ran once");
    assertEquals(1, db.queryLong("SELECT count(*) FROM pg_type WHERE typname = 'account_plan' AND typtype = 'e'"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM pg_indexes WHERE indexname = 'job_runs_task_done_at_idx'"));
  }
}
