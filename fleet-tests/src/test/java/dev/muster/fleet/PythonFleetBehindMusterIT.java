package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fleet.PythonFleet.Mode;
import dev.muster.fleet.PythonFleet.Redis;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.PostgresServer;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python fleet behind Muster ({@code MUSTER_RUNNER=delegate}): gunicorn's {@code on_starting}, Celery's
 * {@code worker_init} / {@code beat_init} and {@code python -m muster_client wait} for the digest each offer to run
 * {@code alembic upgrade head}; the orchestrator elects one, the others wait and are released by the push.
 * Orchestrator and fleet start in the same instant on a fresh database, as in a deploy.
 *
 * <p>{@code -Dmuster.python.trials=N} sets the trials of the first test: 2 in CI; the soak of docs/python.md runs
 * 20 ({@code -Dmuster.python.trials=20}).
 */
@ExtendWith(PostgresExtension.class)
class PythonFleetBehindMusterIT {
  static final Duration START = Duration.ofSeconds(180);
  static final String BROKEN_SQL = "ALTER TABLE accountz ADD COLUMN welcomed_at timestamptz";

  @TempDir
  static Path shared;
  static Redis redis;

  @TempDir
  Path dir;

  @BeforeEach
  void theOrchestratorDelegates() throws Exception {
    if (redis == null) redis = Redis.start(shared);
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) redis.close();
  }

  @Test
  void everyTrialStartsEveryProcessWithOneRunThatAppliesEachRevisionOnce() throws Exception {
    int trials = Integer.getInteger("muster.python.trials", 2);
    Path sample = PythonFleet.copyOfSample(dir);
    for (int trial = 1; trial <= trials; trial++) {
      // The last trial keeps the do-it-yourself advisory lock in env.py: it works behind Muster unchanged.
      Map<String, String> extra = trial == trials ? Map.of("FLEET_ADVISORY_LOCK", "1") : Map.of();
      TestDatabase db = PostgresServer.shared().createDatabase();
      Deploy deploy = Deploy.start(db, sample, Files.createDirectories(dir.resolve("trial-" + trial)), extra);
      try {
        deploy.awaitEveryProcessStarted();
        PythonFleet.assertMigratedOnce(db);
        assertEquals(1, db.queryLong("SELECT count(DISTINCT backend_pid) FROM migration_log"), "one run applied them");
        assertEquals(1, events(db, "migrator.elected"));
        assertEquals(1, events(db, "schema.ready"));
        assertEquals(0, events(db, "schema.failed") + events(db, "migrator.lost") + events(db, "service.gave_up"));
        assertEquals(4, db.queryLong("SELECT count(DISTINCT data->>'instance') FROM muster.events"
            + " WHERE type = 'service.starting'"));
        assertEquals(1, deploy.fleet.stream().mapToLong(c -> c.linesMatching(
            l -> l.contains("this instance migrated it")).size()).sum(), "one instance says it migrated");
        deploy.assertEveryProcessWorks();
        assertEquals(List.of(), deploy.orchestrator().linesMatching(l -> l.contains(" ERROR ")),
            "the orchestrator logged no error");
        long startUps = deploy.services().stream().mapToLong(c -> c.linesMatching(PythonFleet::isStartedLine).size()).sum();
        // The soak's record (docs/python.md): what this trial's assertions checked, counted.
        String record = String.format("%s trial %d of %d%s: %d of %d start-ups, 0 failed; migrator.elected %d,"
                + " schema.ready %d, applying backends %d, revisions logged %d, backfill rows %d%n", Instant.now(),
            trial, trials, extra.isEmpty() ? "" : " (env.py lock kept)", startUps, 6, events(db, "migrator.elected"),
            events(db, "schema.ready"), db.queryLong("SELECT count(DISTINCT backend_pid) FROM migration_log"),
            db.queryLong("SELECT count(*) FROM migration_log"), db.queryLong("SELECT count(*) FROM plan_history"));
        System.out.print(record);
        Files.writeString(Path.of("target", "python-behind-muster.txt"), record, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } finally {
        deploy.close();
        PostgresServer.shared().dropDatabase(db);
      }
    }
  }

  @Test
  void aMigratorKilledMidRevisionIsReplacedAndEveryRevisionIsAppliedOnce(TestDatabase db) throws Exception {
    Path sample = PythonFleet.copyOfSample(dir);
    // Revision 0004 sleeps, so the kill lands while it runs.
    Deploy deploy = Deploy.start(db, sample, dir, Map.of("FLEET_REVISION_DELAY_SECONDS", "3"));
    try {
      AtomicReference<Child> migrator = new AtomicReference<>();
      Child.awaitUntil(deploy.fleet, () -> {
        for (Child c : deploy.services()) {
          if (!c.linesMatching(l -> l.contains("[migrate] ") && l.contains("Running upgrade 0003 -> 0004")).isEmpty()) {
            migrator.set(c);
            return true;
          }
        }
        return false;
      }, "a migrator at revision 0004", START);
      Child killed = migrator.get();
      List<ProcessHandle> itsCommand = killed.process.descendants().toList();
      assertFalse(itsCommand.isEmpty(), "the migration command runs under the migrator");

      killed.process.destroyForcibly(); // SIGKILL to the migrator alone: its guard must take the command down

      for (ProcessHandle p : itsCommand) p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
      List<Child> survivors = deploy.services().stream().filter(c -> c != killed).toList();
      assertEquals(3, survivors.size());
      deploy.awaitStarted(survivors);
      PythonFleet.assertMigratedOnce(db);
      assertEquals(List.of("0001", "0002", "0003"), db.query("SELECT revision FROM migration_log WHERE backend_pid ="
          + " (SELECT backend_pid FROM migration_log WHERE revision = '0001') ORDER BY revision").stream()
          .map(r -> r.get("revision")).toList(), "the killed run committed 0001-0003; the next resumed at 0004");
      assertEquals(2, db.queryLong("SELECT count(DISTINCT backend_pid) FROM migration_log"));
      assertEquals(2, events(db, "migrator.elected"));
      assertEquals(1, events(db, "migrator.lost"));
      assertEquals(1, events(db, "schema.ready"));

      // Started again, the killed service is released at once: the schema is at the version its code expects.
      Child again = deploy.restart(killed);
      deploy.awaitStarted(List.of(again));
      assertEquals(2, events(db, "migrator.elected"), "no new run");
      deploy.assertEveryProcessWorks();
    } finally {
      deploy.close();
    }
  }

  @Test
  void aFailingRevisionStopsEveryProcessWithExit3AndTheFixedOneSucceedsOnTheNextStart(TestDatabase db)
      throws Exception {
    Path sample = PythonFleet.copyOfSample(dir);
    Path revision = sample.resolve("migrations/versions/0005_job_runs.py");
    String fixed = Files.readString(revision);
    Files.writeString(revision, fixed.replace("ALTER TABLE accounts ADD COLUMN welcomed_at timestamptz", BROKEN_SQL));
    Deploy deploy = Deploy.start(db, sample, dir, Map.of());
    try {
      for (Child service : deploy.services()) {
        assertEquals(3, service.awaitExit(START), service.name + " exits 3:\n" + service.output());
        assertFalse(service.linesMatching(l -> l.contains("relation \"accountz\" does not exist")).isEmpty(),
            service.name + " says why:\n" + service.output());
        assertTrue(service.linesMatching(PythonFleet::isStartedLine).isEmpty(), service.name + " never started");
      }
      assertEquals("0004", db.query("SELECT version_num FROM alembic_version").get(0).get("version_num"));
      assertEquals(4, db.queryLong("SELECT count(*) FROM migration_log"));
      // Each failed run reaches every process waiting on it; one that arrives after a failure is a new run, which
      // fails the same way (the next arrival retries). Either way each failure is recorded once.
      long failures = events(db, "schema.failed");
      assertTrue(failures >= 1 && failures == events(db, "migrator.elected"), failures + " failure(s)");

      Files.writeString(revision, fixed);
      deploy.restartServices();
      deploy.awaitEveryProcessStarted();
      PythonFleet.assertMigratedOnce(db);
      assertEquals(1, events(db, "schema.ready"));
      assertEquals(failures + 1, events(db, "migrator.elected"));
      deploy.assertEveryProcessWorks();
    } finally {
      deploy.close();
    }
  }

  private static long events(TestDatabase db, String type) {
    return db.queryLong("SELECT count(*) FROM muster.events WHERE type = ?", type);
  }

  private static Child orchestrator(TestDatabase db, int port, Path dir) {
    return Child.start("orchestrator", List.of(Paths.java(), "-jar", Paths.orchestratorJar().toString(), "serve"),
        orchestratorEnvironment(db, port), dir);
  }

  private static Map<String, String> orchestratorEnvironment(TestDatabase db, int port) {
    return Map.of("MUSTER_DATABASE_URL", db.url(), "MUSTER_RUNNER", "delegate", "MUSTER_HTTP_PORT",
        String.valueOf(port), "MUSTER_TOKEN", PythonFleet.TOKEN, "MUSTER_REPLICA", "python-fleet");
  }

  /** A deploy: the orchestrator and the four services started in the same instant. */
  static final class Deploy implements AutoCloseable {
    final List<Child> fleet = new ArrayList<>();
    /** The latest process of each service, running or not. */
    private final Map<String, Child> latest = new LinkedHashMap<>();
    private final Path sample;
    private final Map<String, List<String>> commands;
    private final Map<String, Map<String, String>> environments;

    private Deploy(Path sample, Map<String, List<String>> commands, Map<String, Map<String, String>> environments) {
      this.sample = sample;
      this.commands = commands;
      this.environments = environments;
    }

    static Deploy start(TestDatabase db, Path sample, Path dir, Map<String, String> extra) {
      int port = Paths.freePort();
      Map<String, List<String>> commands = new LinkedHashMap<>();
      Map<String, Map<String, String>> environments = new LinkedHashMap<>();
      commands.put("orchestrator", List.of(Paths.java(), "-jar", Paths.orchestratorJar().toString(), "serve"));
      environments.put("orchestrator", orchestratorEnvironment(db, port));
      commands.putAll(PythonFleet.commands(sample, dir, Mode.MUSTER));
      environments.putAll(PythonFleet.environments(sample, db, redis.url(), Mode.MUSTER, "http://127.0.0.1:" + port,
          extra));
      Deploy deploy = new Deploy(sample, commands, environments);
      deploy.add(Child.startTogether(commands, environments, sample));
      return deploy;
    }

    private void add(List<Child> started) {
      fleet.addAll(started);
      started.stream().filter(c -> PythonFleet.SERVICES.contains(c.name)).forEach(c -> latest.put(c.name, c));
    }

    Child orchestrator() {
      return fleet.get(0);
    }

    List<Child> services() {
      return new ArrayList<>(latest.values());
    }

    void awaitEveryProcessStarted() throws InterruptedException {
      awaitStarted(services());
      for (Child c : services()) assertFalse(c.exited(), c.name + " is still running:\n" + c.output());
    }

    /** Each service's "started" line(s): three web workers, the worker, beat, the digest. */
    void awaitStarted(List<Child> services) throws InterruptedException {
      for (Child c : services) {
        int expected = c.name.equals("web") ? 3 : 1;
        Child.awaitUntil(fleet, () -> c.linesMatching(PythonFleet::isStartedLine).size() >= expected,
            c.name + " started", START);
      }
    }

    /** The web app serves from the migrated tables, the worker takes beat's ticks and the app's welcome task. */
    void assertEveryProcessWorks() throws Exception {
      String url = PythonFleet.webUrl(latest.get("web"), START);
      HttpResponse<String> accounts = PythonFleet.get(url + "/accounts");
      assertEquals(200, accounts.statusCode(), accounts.body());
      assertTrue(accounts.body().contains("ada@example.com"), accounts.body());
      String email = "new-" + System.nanoTime() + "@example.org";
      HttpResponse<String> created = PythonFleet.post(url + "/accounts", "{\"email\":\"" + email + "\"}");
      assertEquals(201, created.statusCode(), created.body());
      Child worker = latest.get("worker");
      worker.await(l -> l.contains("done welcome " + email), "the welcome task done", START);
      worker.await(l -> l.contains("done tick"), "a tick from beat done", START);
      latest.get("digest").await(l -> l.startsWith("digest: "), "a digest line", START);
    }

    /** The service started again, alone, as a restarted container would be. */
    Child restart(Child service) {
      Child again = Child.start(service.name, commands.get(service.name), environments.get(service.name), sample);
      add(List.of(again));
      return again;
    }

    /** The four services started again together; the orchestrator keeps running. */
    void restartServices() {
      Map<String, List<String>> services = new LinkedHashMap<>(commands);
      services.remove("orchestrator");
      add(Child.startTogether(services, environments, sample));
    }

    @Override
    public void close() {
      Child.killAll(fleet);
    }
  }
}
