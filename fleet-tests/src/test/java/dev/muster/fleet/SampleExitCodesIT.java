package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar muster-sample-app.jar ROLE} ends with the contract's exit code when it may not start. */
@ExtendWith(PostgresExtension.class)
class SampleExitCodesIT {
  static final Duration EXIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void badUsageOrConfigurationExits2() throws Exception {
    Map<String, String> noDatabase = env("http://127.0.0.1:1", null);
    assertEquals(2, run(List.of(), Map.of()).awaitExit(EXIT), "no role");
    assertEquals(2, run(List.of("scheduler"), Map.of()).awaitExit(EXIT), "unknown role");
    Child missing = run(List.of("worker"), noDatabase);
    assertEquals(2, missing.awaitExit(EXIT));
    assertTrue(missing.output().contains("DATABASE_URL is required"), missing.output());
  }

  @Test
  void failedMigrationExits3WithTheSqlError(TestDatabase db) throws Exception {
    Path migrations = TestOrchestrator.migrations(dir,
        "V1__create_jobs.sql", "CREATE TABLE jobs (id bigserial PRIMARY KEY);",
        "V2__bad_backfill.sql", "UPDATE jobs SET no_such_column = 1;");
    try (TestOrchestrator orchestrator = TestOrchestrator.start(db, migrations)) {
      Child worker = run(List.of("worker"), env(orchestrator.url, db));
      assertEquals(3, worker.awaitExit(EXIT), worker.output());
      assertTrue(worker.output().contains("SQLSTATE 42703"), worker.output());
      assertFalse(worker.output().contains("started: "), worker.output());
    }
  }

  @Test
  void schemaNotReadyInTimeExits4(TestDatabase db) throws Exception {
    Path migrations = TestOrchestrator.migrations(dir, "V1__create_jobs.sql", "CREATE TABLE jobs (id bigserial);");
    Connection stuckMigrator = TestOrchestrator.holdSchemaLock(db, "public");
    try (TestOrchestrator orchestrator = TestOrchestrator.start(db, migrations)) {
      Map<String, String> env = env(orchestrator.url, db);
      // Long enough for the orchestrator to accept the arrival on a busy machine (or it would be 5).
      env.put("MUSTER_TIMEOUT", "5");
      Child beat = run(List.of("beat"), env);
      assertEquals(4, beat.awaitExit(EXIT), beat.output());
      assertTrue(beat.output().contains("not ready") || beat.output().contains("gave up"), beat.output());
    } finally {
      stuckMigrator.close();
    }
  }

  @Test
  void unreachableOrchestratorExits5(TestDatabase db) throws Exception {
    Map<String, String> env = env("http://127.0.0.1:" + Paths.freePort(), db);
    env.put("MUSTER_TIMEOUT", "1");
    Child app = run(List.of("app"), env);
    assertEquals(5, app.awaitExit(EXIT), app.output());
  }

  private Child run(List<String> args, Map<String, String> env) {
    List<String> command = new ArrayList<>(List.of(Paths.java(), "-jar", Paths.sampleAppJar().toString()));
    command.addAll(args);
    return Child.start("sample " + args, command, env, dir);
  }

  private static Map<String, String> env(String url, TestDatabase db) {
    Map<String, String> env = new HashMap<>();
    env.put("MUSTER_URL", url);
    env.put("MUSTER_TOKEN", TestOrchestrator.TOKEN);
    if (db != null) env.put("DATABASE_URL", db.url());
    env.put("APP_PORT", "0");
    return env;
  }
}
