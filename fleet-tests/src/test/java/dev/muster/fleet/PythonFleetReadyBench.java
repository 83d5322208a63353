package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.fleet.PythonFleet.Mode;
import dev.muster.fleet.PythonFleet.Redis;
import dev.muster.testing.PostgresServer;
import dev.muster.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleet-ready time of the Python fleet (gunicorn with 3 workers, a Celery worker, beat, the digest; Alembic with six
 * revisions; a fresh database each trial): from the instant the four services are started to the last "started:"
 * line, behind Muster (the orchestrator already serving, as in a deploy) against the do-it-yourself fix (each process
 * queues on {@code pg_advisory_lock} in {@code env.py}, then runs {@code alembic upgrade head}), side by side in one
 * run, the two modes alternating. Not part of the build (its name is not an IT's):
 * {@code ./mvnw -B -o -pl fleet-tests -am verify -Dtest=NONE -Dit.test=PythonFleetReadyBench
 * -Dmuster.python.benchTrials=10 -Dsurefire.failIfNoSpecifiedTests=false [-Dmuster.python.revisionDelaySeconds=1]};
 * the figures go to the log and {@code fleet-tests/target/python-ready-bench.txt} (docs/benchmarks.md).
 */
class PythonFleetReadyBench {
  static final Duration START = Duration.ofSeconds(180);

  @Test
  void fleetReadyTimeBehindMusterAgainstTheAdvisoryLockInEnvPy(@TempDir Path dir) throws Exception {
    int trials = Integer.getInteger("muster.python.benchTrials", 5);
    String delay = System.getProperty("muster.python.revisionDelaySeconds", "0");
    Path sample = PythonFleet.copyOfSample(dir);
    Map<Mode, List<Long>> times = new EnumMap<>(Mode.class);
    try (Redis redis = Redis.start(dir)) {
      for (int trial = 1; trial <= trials; trial++) {
        List<Mode> order = trial % 2 == 1 ? List.of(Mode.DIY_LOCK, Mode.MUSTER) : List.of(Mode.MUSTER, Mode.DIY_LOCK);
        for (Mode mode : order) {
          long ms = trial(mode, sample, Files.createDirectories(dir.resolve(mode + "-" + trial)), redis, delay);
          times.computeIfAbsent(mode, m -> new ArrayList<>()).add(ms);
          System.out.println("trial " + trial + " " + mode + ": every process started after " + ms + " ms");
        }
      }
    }
    String record = Instant.now() + " fleet-ready time, " + trials + " trials a mode, backfill delay " + delay
        + " s, Python " + Python.forFleet() + "\n  " + summary(Mode.DIY_LOCK, times.get(Mode.DIY_LOCK)) + "\n  "
        + summary(Mode.MUSTER, times.get(Mode.MUSTER)) + "\n";
    System.out.println(record);
    Files.writeString(Path.of("target", "python-ready-bench.txt"), record, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** One deploy on a fresh database: milliseconds from the services' start to the last one started. */
  private static long trial(Mode mode, Path sample, Path dir, Redis redis, String delay) throws Exception {
    PostgresServer server = PostgresServer.shared();
    TestDatabase db = server.createDatabase();
    List<Child> all = new ArrayList<>();
    try {
      String musterUrl = null;
      if (mode == Mode.MUSTER) {
        int port = Paths.freePort();
        Child orchestrator = Child.start("orchestrator", List.of(Paths.java(), "-jar",
            Paths.orchestratorJar().toString(), "serve"), Map.of("MUSTER_DATABASE_URL", db.url(), "MUSTER_RUNNER",
            "delegate", "MUSTER_HTTP_PORT", String.valueOf(port), "MUSTER_TOKEN", PythonFleet.TOKEN,
            "MUSTER_REPLICA", "bench"), dir);
        all.add(orchestrator);
        orchestrator.await(l -> l.contains("serving on"), "serving", START);
        musterUrl = "http://127.0.0.1:" + port;
      }
      Map<String, List<String>> commands = new LinkedHashMap<>(PythonFleet.commands(sample, dir, mode));
      Map<String, Map<String, String>> environments = PythonFleet.environments(sample, db, redis.url(), mode, musterUrl,
          Map.of("FLEET_REVISION_DELAY_SECONDS", delay));
      long t0 = System.nanoTime();
      List<Child> fleet = Child.startTogether(commands, environments, sample);
      all.addAll(fleet);
      Child.awaitUntil(fleet, () -> fleet.stream().allMatch(c -> c.linesMatching(PythonFleet::isStartedLine).size()
          >= (c.name.equals("web") ? 3 : 1)), mode + ": every process started", START);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      PythonFleet.assertMigratedOnce(db);
      assertEquals(PythonFleet.HEAD, db.query("SELECT version_num FROM alembic_version").get(0).get("version_num"));
      return ms;
    } finally {
      Child.killAll(all);
      server.dropDatabase(db);
    }
  }

  private static String summary(Mode mode, List<Long> ms) {
    List<Long> sorted = new ArrayList<>(ms);
    Collections.sort(sorted);
    long median = sorted.get(sorted.size() / 2);
    return String.format("%s: median %d ms, min %d ms, max %d ms over %d trials %s",
        mode == Mode.MUSTER ? "behind Muster" : "pg_advisory_lock in env.py", median, sorted.get(0),
        sorted.get(sorted.size() - 1), sorted.size(), ms);
  }
}
