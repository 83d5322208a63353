package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fleet.PythonFleet.Mode;
import dev.muster.fleet.PythonFleet.Redis;
import dev.muster.testing.PostgresServer;
import dev.muster.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up race Muster exists for, counted on the real Python fleet without Muster: six processes (gunicorn's
 * three workers, the Celery worker, beat, the digest) each run {@code alembic upgrade head} at start-up on a fresh
 * database, all started in the same instant. Each trial records which start-ups failed and with what error; the
 * count goes to the log and {@code fleet-tests/target/python-race.txt}. The do-it-yourself fix (an advisory lock
 * in {@code env.py}) is counted too, and must have no failure.
 *
 * <p>To keep the build short it runs 3 trials without Muster and 1 with the lock; {@code
 * -Dmuster.python.raceTrials=N} and {@code -Dmuster.python.diyTrials=N} change that, and {@code
 * -Dmuster.python.revisionDelaySeconds=S} makes the backfill revision take S seconds longer, as a backfill of a
 * real table does (docs/python.md records both).
 */
class PythonRaceIT {
  static final Duration SETTLE = Duration.ofSeconds(120);
  static final Pattern OUTCOME = Pattern.compile("upgrade (ok|FAILED) ");
  static final Pattern RACE_ERROR = Pattern.compile(
      "UniqueViolation|DuplicateTable|DuplicateObject|pg_type_typname_nsp_index|already exists|duplicate key");

  record Tally(Mode mode, int trials, int trialsWithFailure, int failedStartUps, Map<String, Integer> errors) {
    String summary() {
      return String.format("%s: %d of %d trials had a failed start-up; %d of %d start-ups failed; errors %s", mode,
          trialsWithFailure, trials, failedStartUps, trials * PythonFleet.MIGRATING_PROCESSES, errors);
    }
  }

  @Test
  void withoutMusterEveryProcessMigratesAtStartUpAndTheyRace(@TempDir Path dir) throws Exception {
    int trials = Integer.getInteger("muster.python.raceTrials", 3);
    int diyTrials = Integer.getInteger("muster.python.diyTrials", 1);
    String delay = System.getProperty("muster.python.revisionDelaySeconds", "0");
    Map<String, String> env = Map.of("FLEET_REVISION_DELAY_SECONDS", delay);
    Path sample = PythonFleet.copyOfSample(dir);
    try (Redis redis = Redis.start(dir)) {
      Tally naive = count(Mode.NAIVE, trials, sample, dir, redis, env);
      Tally diy = count(Mode.DIY_LOCK, diyTrials, sample, dir, redis, env);

      String record = Instant.now() + " " + PythonFleet.MIGRATING_PROCESSES + " processes a trial, backfill delay "
          + delay + " s, Python " + Python.forFleet() + "\n  " + naive.summary() + "\n  " + diy.summary() + "\n";
      System.out.println(record);
      Files.writeString(Path.of("target", "python-race.txt"), record, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      assertEquals(0, diy.failedStartUps(), "the advisory lock in env.py serialises the upgrades: " + diy.summary());
    }
  }

  private static Tally count(Mode mode, int trials, Path sample, Path dir, Redis redis, Map<String, String> env)
      throws Exception {
    int withFailure = 0;
    int failed = 0;
    Map<String, Integer> errors = new TreeMap<>();
    for (int trial = 1; trial <= trials; trial++) {
      List<String> failures = trial(mode, sample, Files.createDirectories(dir.resolve(mode + "-" + trial)), redis, env);
      if (!failures.isEmpty()) withFailure++;
      failed += failures.size();
      for (String failure : failures) errors.merge(errorName(failure), 1, Integer::sum);
    }
    return new Tally(mode, trials, withFailure, failed, errors);
  }

  /** One trial on a fresh database: the failed start-ups, each described by its error. */
  private static List<String> trial(Mode mode, Path sample, Path dir, Redis redis, Map<String, String> env)
      throws Exception {
    PostgresServer server = PostgresServer.shared();
    TestDatabase db = server.createDatabase();
    List<Child> fleet = Child.startTogether(PythonFleet.commands(sample, dir, mode),
        PythonFleet.environments(sample, db, redis.url(), mode, null, env), sample);
    try {
      Map<String, Child> by = fleet.stream().collect(Collectors.toMap(c -> c.name, Function.identity()));
      Child web = by.get("web");
      // Settled: each migrating process said how its upgrade went, or gunicorn's master halted on a worker that
      // failed to boot (and took the others down, whatever they were doing).
      Child.awaitUntil(fleet, () -> (outcomes(web) == 3 || web.exited())
          && List.of("worker", "beat", "digest").stream().allMatch(s -> outcomes(by.get(s)) >= 1),
          mode + " start-ups settled", SETTLE);

      List<String> failures = fleet.stream().flatMap(c -> c.linesMatching(l -> l.contains("upgrade FAILED ")).stream())
          .collect(Collectors.toList());
      int webSettled = outcomes(web);
      for (int i = webSettled; i < 3; i++) failures.add("upgrade FAILED web: stopped by gunicorn's master halting");
      for (String failure : failures) {
        assertTrue(RACE_ERROR.matcher(failure).find() || failure.contains("gunicorn's master"),
            "a start-up failed for another reason than the race: " + failure);
      }
      assertEquals(PythonFleet.HEAD, db.query("SELECT version_num FROM alembic_version").get(0).get("version_num"),
          "one of them reached the head");
      if (mode == Mode.DIY_LOCK) PythonFleet.assertMigratedOnce(db);
      return failures;
    } finally {
      Child.killAll(fleet); // the start-ups are what is counted: no need to wait for graceful stops
      server.dropDatabase(db);
    }
  }

  private static int outcomes(Child child) {
    return child.linesMatching(l -> OUTCOME.matcher(l).find()).size();
  }

  /** The error's class, and the constraint a duplicate key broke: {@code UniqueViolation pg_type_typname_nsp_index}. */
  private static String errorName(String failure) {
    Matcher kind = Pattern.compile("UniqueViolation|DuplicateTable|DuplicateObject|gunicorn's master").matcher(failure);
    Matcher constraint = Pattern.compile("unique constraint \"(\\w+)\"").matcher(failure);
    return (kind.find() ? kind.group() : failure) + (constraint.find() ? " " + constraint.group(1) : "");
  }
}
