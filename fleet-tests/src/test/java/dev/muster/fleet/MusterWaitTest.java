package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/muster-wait} under {@code sh}, against a real orchestrator on a real PostgreSQL: each exit code
 * of the contract, and the command run with exec once the schema is ready.
 */
@ExtendWith(PostgresExtension.class)
class MusterWaitTest {
  static final String TOKEN = TestOrchestrator.TOKEN;

  @TempDir
  Path dir;
  private TestOrchestrator orchestrator;
  private String url;

  record Result(int exitCode, String stdout, String stderr, long pid) {}

  @BeforeAll
  static void curlIsInstalled() throws Exception {
    Process curl = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
    curl.getInputStream().readAllBytes();
    assertEquals(0, curl.waitFor(), "muster-wait needs curl, and so does this test");
  }

  @AfterEach
  void stopOrchestrator() {
    if (orchestrator != null) orchestrator.close();
  }

  @Test
  void readySchemaExecsTheCommandWithItsArgumentsAndPid(TestDatabase db) throws Exception {
    start(db, migrations("V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);",
        "V2__add_title.sql", "ALTER TABLE reports ADD COLUMN title text;"));

    Result r = run(env(), "--timeout", "30", "--", "sh", "-c", "echo \"ran with $1 as $$\"; exit 7", "sh", "an argument");

    assertEquals(7, r.exitCode, "the command's own exit code, because muster-wait became the command\n" + r.stderr);
    assertEquals("ran with an argument as " + r.pid, r.stdout.strip(), "exec keeps the PID");
    assertTrue(r.stderr.contains("schema public is ready at version 2"), r.stderr);
    assertEquals(1, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE version = '2' AND success"));
  }

  @Test
  void failedMigrationExits3WithTheSqlErrorAndDoesNotRunTheCommand(TestDatabase db) throws Exception {
    start(db, migrations("V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);",
        "V2__copy_from_legacy.sql", "INSERT INTO reports SELECT id FROM legacy_reports;"));

    Result r = run(env(), "--timeout", "30", "--", "echo", "should not run");

    assertAll(
        () -> assertEquals(3, r.exitCode, r.stderr),
        () -> assertEquals("", r.stdout),
        () -> assertTrue(r.stderr.contains("SQLSTATE 42P01"), r.stderr),
        () -> assertTrue(r.stderr.contains("legacy_reports"), r.stderr),
        () -> assertTrue(r.stderr.contains("at V2 (copy from legacy)"), r.stderr));
  }

  @Test
  void migrationThatCannotStartInTimeExits4(TestDatabase db) throws Exception {
    start(db, migrations("V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);"));
    // Another session holds the schema's Muster lock, as a stuck migrator would: no run can begin.
    Connection stuckMigrator = TestOrchestrator.holdSchemaLock(db, "public");
    try {
      Result r = run(env(), "--timeout", "1", "--", "echo", "should not run");

      assertEquals(4, r.exitCode, r.stderr);
      assertEquals("", r.stdout);
      assertTrue(r.stderr.contains("gave up waiting for schema public"), r.stderr);
    } finally {
      stuckMigrator.close();
    }
    // The answer comes first and the record after it (the waiter is never held up by the log): allow it a moment.
    String gaveUp = "SELECT count(*) FROM muster.events WHERE type = 'service.gave_up'";
    for (long end = System.nanoTime() + 10_000_000_000L; db.queryLong(gaveUp) == 0 && System.nanoTime() < end; ) {
      Thread.sleep(50);
    }
    assertEquals(1, db.queryLong(gaveUp));
  }

  @Test
  void nothingListeningExits5(TestDatabase db) throws Exception {
    Map<String, String> env = env();
    env.put("MUSTER_URL", "http://127.0.0.1:" + Paths.freePort());

    Result r = run(env, "--timeout", "1", "--", "echo", "should not run");

    assertEquals(5, r.exitCode, r.stderr);
    assertEquals("", r.stdout);
    assertTrue(r.stderr.contains("could not reach the orchestrator"), r.stderr);
  }

  @Test
  void triesTheNextUrlWhenTheFirstIsDown(TestDatabase db) throws Exception {
    start(db, migrations("V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);"));
    Map<String, String> env = env();
    env.put("MUSTER_URL", "http://127.0.0.1:" + Paths.freePort() + ", " + url);

    Result r = run(env, "--timeout", "30", "--", "echo", "ran");

    assertEquals(0, r.exitCode, r.stderr);
    assertEquals("ran", r.stdout.strip());
  }

  @Test
  void badUsageAndRefusedArrivalsExit2(TestDatabase db) throws Exception {
    start(db, migrations("V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);"));
    Map<String, String> noService = env();
    noService.remove("MUSTER_SERVICE");
    Map<String, String> wrongToken = env();
    wrongToken.put("MUSTER_TOKEN", "not-the-token");

    List<Result> results = List.of(
        run(env(), "--timeout", "30"),
        run(env(), "--frobnicate", "--", "echo"),
        run(noService, "--", "echo"),
        run(env(), "--schema", "Public; DROP", "--", "echo"),
        run(env(), "--timeout", "soon", "--", "echo"),
        run(env(), "--version-from", "exit 9", "--", "echo"),
        // A skew is final once the timeout passes (or 30 s of them): a roll-out may be under way.
        run(env(), "--version", "99", "--timeout", "2", "--", "echo"),
        run(wrongToken, "--timeout", "30", "--", "echo"));

    for (Result r : results) {
      assertEquals(2, r.exitCode, r.stderr);
      assertEquals("", r.stdout, "the command never runs");
    }
    assertTrue(results.get(0).stderr.contains("no command to run"), results.get(0).stderr);
    assertTrue(results.get(1).stderr.contains("unknown option --frobnicate"), results.get(1).stderr);
    assertTrue(results.get(2).stderr.contains("MUSTER_SERVICE is required"), results.get(2).stderr);
    assertTrue(results.get(5).stderr.contains("--version-from \"exit 9\" failed with exit code 9"), results.get(5).stderr);
    assertTrue(results.get(6).stderr.contains("version_skew"), results.get(6).stderr);
    assertTrue(results.get(7).stderr.contains("401 unauthorized"), results.get(7).stderr);
    assertFalse(db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.started'") > 0,
        "no arrival that was refused started a migration");
  }

  @Test
  void migrateWithOnAFlywaySchemaOnlyWaits(TestDatabase db) throws Exception {
    start(db, migrations("V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);"));

    Path marker = dir.resolve("migrated");

    Result r = run(env(), "--timeout", "30", "--migrate-with", "touch '" + marker + "'", "--", "echo", "ran");

    assertEquals(0, r.exitCode, r.stderr);
    assertEquals("ran", r.stdout.strip());
    assertFalse(Files.exists(marker), "the orchestrator migrates a Flyway schema itself: the command did not run");
    assertEquals(1, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE version = '1' AND success"));
  }

  @Test
  void theTokenIsOnNoCommandLineWhileMusterWaitWaits(TestDatabase db) throws Exception {
    start(db, migrations("V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);"));
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, TOKEN + "\n");
    Map<String, String> fromAFile = env();
    fromAFile.remove("MUSTER_TOKEN");
    fromAFile.put("MUSTER_TOKEN_FILE", tokenFile.toString());
    Connection stuckMigrator = TestOrchestrator.holdSchemaLock(db, "public");
    List<Process> waiting = new ArrayList<>();
    try {
      for (Map<String, String> env : List.of(env(), fromAFile)) {
        waiting.add(MusterWaitRun.builder(env, "--timeout", "60", "--", "true")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start());
      }
      // Both wait in curl now: the orchestrator cannot migrate while the lock is held.
      List<String> curls = CommandLines.awaitMatching(line -> line.startsWith("curl ") && line.contains(url), 2);

      List<String> all = CommandLines.all();
      assertEquals(List.of(), all.stream().filter(line -> line.contains(TOKEN)).toList(), "no command line shows the token");
      assertTrue(curls.stream().allMatch(line -> line.contains("-K -")), "curl reads its config from stdin: " + curls);
    } finally {
      stuckMigrator.close();
    }
    for (Process p : waiting) {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "muster-wait went on once the lock was free");
      assertEquals(0, p.exitValue(), "the orchestrator took the token");
    }
  }

  private void start(TestDatabase db, Path migrations) {
    orchestrator = TestOrchestrator.start(db, migrations);
    url = orchestrator.url;
  }

  private Path migrations(String... namesAndSql) throws IOException {
    return TestOrchestrator.migrations(dir, namesAndSql);
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("MUSTER_URL", url == null ? "http://127.0.0.1:1" : url);
    env.put("MUSTER_SERVICE", "report");
    env.put("MUSTER_TOKEN", TOKEN);
    return env;
  }

  private Result run(Map<String, String> env, String... args) throws Exception {
    MusterWaitRun r = MusterWaitRun.run(dir, env, args);
    return new Result(r.exitCode(), r.stdout(), r.stderr(), r.pid());
  }

}
