package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code muster-wait --migrate-with} against a real orchestrator that delegates schema {@code legacy} to its
 * services: instances started at the same instant, exactly one runs the command, all start. Tagged so that it
 * can be selected alone ({@code -Dgroups=delegated-runs}).
 */
@Tag("delegated-runs")
@ExtendWith(PostgresExtension.class)
class MusterWaitDelegatedTest {
  private static final Duration WITHIN = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  private TestOrchestrator orchestrator;

  @AfterEach
  void stop() {
    if (orchestrator != null) orchestrator.close();
  }

  @Test
  void ofThreeInstancesStartedTogetherExactlyOneRunsTheCommandAndAllStart(TestDatabase db) throws Exception {
    start(db);
    Path marker = dir.resolve("runs");
    List<Child> fleet = startTogether(3, "echo applying; echo run >> '" + marker + "'; sleep 1; echo applied");
    try {
      for (Child instance : fleet) {
        assertEquals(0, instance.awaitExit(WITHIN), instance.output());
        assertTrue(instance.output().contains("started " + instance.name), instance.output());
      }
      assertEquals(List.of("run"), Files.readAllLines(marker), "one run for three instances");
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migrator.elected'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"
          + " AND schema_name = 'legacy' AND data->>'version' = '3f2a1b9c0d1e'"));
      long migrators = fleet.stream().filter(c -> c.output().contains("muster-wait: migrate: applied")).count();
      assertEquals(1, migrators, "the command's output, prefixed, from the migrator only");

      // The next start of the same code finds its version recorded: released at once, no run.
      try (Child late = startTogether(1, "echo run >> '" + marker + "'").get(0)) {
        assertEquals(0, late.awaitExit(WITHIN), late.output());
      }
      assertEquals(List.of("run"), Files.readAllLines(marker));
    } finally {
      fleet.forEach(Child::close);
    }
  }

  @Test
  void aFailingCommandReachesEveryInstanceWithItsExitCode(TestDatabase db) throws Exception {
    start(db);
    List<Child> fleet = startTogether(3, "echo 'ERROR: relation accounts already exists' >&2; exit 5");
    try {
      for (Child instance : fleet) {
        assertEquals(3, instance.awaitExit(WITHIN), instance.output());
        assertTrue(instance.output().contains("exit code 5"), instance.output());
        assertTrue(!instance.output().contains("started "), "the command never runs: " + instance.output());
      }
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed' AND schema_name = 'legacy'"));
    } finally {
      fleet.forEach(Child::close);
    }
  }

  private void start(TestDatabase db) throws Exception {
    Path migrations = TestOrchestrator.migrations(dir, "V1__create_reports.sql", "CREATE TABLE reports (id bigserial PRIMARY KEY);");
    orchestrator = TestOrchestrator.fromEnvironment(db, migrations,
        Map.of("MUSTER_SCHEMAS", "public,legacy", "MUSTER_RUNNER", "flyway,legacy=delegate"));
  }

  private List<Child> startTogether(int count, String migrateWith) {
    Map<String, List<String>> commands = new LinkedHashMap<>();
    Map<String, Map<String, String>> environments = new LinkedHashMap<>();
    for (int i = 1; i <= count; i++) {
      String name = "report-" + i + "-" + System.nanoTime();
      commands.put(name, List.of("sh", Paths.root().resolve("scripts/muster-wait").toString(), "--schema", "legacy",
          "--timeout", "50", "--migrate-with", migrateWith, "--version-from", "echo '3f2a1b9c0d1e (head)'",
          "--", "echo", "started " + name));
      environments.put(name, Map.of("MUSTER_URL", orchestrator.url, "MUSTER_SERVICE", "report",
          "MUSTER_INSTANCE", name, "MUSTER_TOKEN", TestOrchestrator.TOKEN));
    }
    return Child.startTogether(commands, environments, dir);
  }
}
