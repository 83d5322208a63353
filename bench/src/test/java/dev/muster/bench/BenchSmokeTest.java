package dev.muster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every scenario at a trivial size on the test database: the behaviour each one relies on (every client
 * released, every waiter failed, every append delivered, each migration applied once). Durations are
 * printed by the bench, never asserted here.
 */
@ExtendWith(PostgresExtension.class)
class BenchSmokeTest {

  @BeforeAll
  static void quiet() {
    Main.quietLogs(false);
    Progress.quiet(true);
  }

  @Test
  void fanOutReleasesEveryClientOnEveryReplica(TestDatabase test, @TempDir Path work) throws Exception {
    try (BenchDatabase db = BenchDatabase.external(DatabaseUrl.parse(test.url()))) {
      List<FanOut.Result> results = FanOut.run(db, work, 2, List.of(3), 1, false);

      FanOut.Result r = results.get(0);
      assertEquals(3, r.expected());
      assertEquals(3, r.released());
      assertEquals(3, r.fromReady().count());
      assertEquals(3, r.fromMigrationEnd().count());
    }
    assertEquals(0, test.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench\\_%'"),
        "the bench drops the schemas it made");
  }

  @Test
  void theBenchRunsTheOrchestratorAsItsImageDoes() throws Exception {
    String dockerfile = java.nio.file.Files.readString(Path.of("..", "orchestrator", "Dockerfile"));
    String entrypoint = dockerfile.lines().filter(l -> l.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
    for (String option : OrchestratorProcess.IMAGE_JVM_OPTIONS) {
      assertTrue(entrypoint.contains("\"" + option + "\""), "the image's " + entrypoint + " has " + option);
    }
    OrchestratorProcess.IMAGE_ENVIRONMENT.forEach((name, value) -> assertTrue(
        dockerfile.lines().anyMatch(l -> l.equals("ENV " + name + "=" + value)), "the image sets " + name + "=" + value));
  }

  @Test
  void fleetFanOutReleasesEveryClientProcessAndMeasuresTheBaselines(TestDatabase test, @TempDir Path work)
      throws Exception {
    try (BenchDatabase db = BenchDatabase.external(DatabaseUrl.parse(test.url()))) {
      FleetFanOut.Result r = FleetFanOut.run(db, work, List.of(3), false, List.of());

      FleetFanOut.Round round = r.rounds().get(0);
      assertEquals(3, round.released());
      assertEquals(3, round.fromReady().count());
      assertEquals(FleetFanOut.POLLERS, round.poll1s().count());
      assertEquals(FleetFanOut.POLLERS, round.poll100ms().count());
      assertTrue(round.rssKiB() > 0);
      assertTrue(r.notifyFloor().count() > 0);
    }
  }

  @Test
  void fleetStartsEveryInstanceBothWaysAndAppliesEachMigrationOnce(TestDatabase test, @TempDir Path work)
      throws Exception {
    try (BenchDatabase db = BenchDatabase.external(DatabaseUrl.parse(test.url()))) {
      FleetStart.Result r = FleetStart.run(db, work, 2, 3, 1, false, null);

      assertEquals(3, r.muster().succeeded(), () -> "muster: " + r.muster().errors());
      assertEquals(3, r.flyway().succeeded(), () -> "flyway: " + r.flyway().errors());
      assertEquals(List.of(), r.muster().errors());
      assertEquals(List.of(), r.flyway().errors());
      assertEquals(11, r.migrations(), "the sample app's set, bundled at build time");
      assertEquals(1, r.muster().fleetReadyPerRun().size());
      assertEquals(1, r.flyway().fleetReadyPerRun().size());
    }
  }

  @Test
  void failureReachesEveryWaiterWithTheSqlState(TestDatabase test, @TempDir Path work) throws Exception {
    try (BenchDatabase db = BenchDatabase.external(DatabaseUrl.parse(test.url()))) {
      FailurePropagation.Result r = FailurePropagation.run(db, work, 2, List.of(3), 1, false).get(0);

      assertEquals(3, r.failedAsExpected(), () -> "surprises: " + r.surprises());
      assertEquals(3, r.fromFailed().count());
    }
  }

  @Test
  void eventLogDeliversEveryAppendAndAcceptsEveryArrival(TestDatabase test, @TempDir Path work) throws Exception {
    try (BenchDatabase db = BenchDatabase.external(DatabaseUrl.parse(test.url()))) {
      EventLog.Result r = EventLog.run(db, work, 1, 20, 100, List.of(4), 20, 4, false);

      assertEquals(20, r.delivered().count());
      assertTrue(r.throughput().size() >= 1);
      for (EventLog.Throughput t : r.throughput()) assertEquals(100, t.delivered(), t.toString());
      assertEquals(20, r.arrivals().accepted(), () -> "errors: " + r.arrivals().errors());
      assertEquals(40, r.arrivals().events(), "service.starting and service.released for each arrival");
    }
  }

  @Test
  void lockQueueMigratesBothWaysAndEveryReadOfTheLockSafeRunIsServed(TestDatabase test, @TempDir Path work)
      throws Exception {
    try (BenchDatabase db = BenchDatabase.external(DatabaseUrl.parse(test.url()))) {
      List<LockQueue.Result> r = LockQueue.run(db, work, 1);

      assertEquals(2, r.size(), "the baseline and Muster's defaults, each migrated");
      assertEquals(0, r.get(1).readsFailed());
      assertTrue(r.get(1).reads() > 0 && r.get(1).attempts() >= 1);
    }
  }

  @Test
  void sdkReadyStartsEveryServiceJvmAndReleasesEveryWarmWait(TestDatabase test, @TempDir Path work) throws Exception {
    try (BenchDatabase db = BenchDatabase.external(DatabaseUrl.parse(test.url()))) {
      SdkReady.Result r = SdkReady.run(db, work, 2, 3, false, List.of(), null);

      // A waiting JVM exits 0 only once the SDK read its release; curl's run counts only if its stream had it.
      assertEquals(0, r.coldFailures(), "every service JVM exited 0, curl saw its release");
      assertEquals(2, r.emptyJvm().count());
      assertEquals(2, r.sdkJvm().count());
      assertEquals(2, r.pairedCost().count());
      assertEquals(0, r.warmFailures());
      assertEquals(3, r.warm().count());
      assertEquals("1", r.version());
    }
  }

  @Test
  void commandLinePrintsJsonAndExitsZero(TestDatabase test) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new Main()).execute("--database-url", test.url(), "--scenario", "fan-out",
          "--clients", "2", "--replicas", "1", "--no-warmup", "--json");
    } finally {
      System.setOut(original);
    }

    assertEquals(0, exit);
    JsonObject json = new JsonObject(bytes.toString(StandardCharsets.UTF_8));
    assertEquals(2, json.getJsonArray("fanOut").getJsonObject(0).getInteger("released"));
    assertTrue(json.getJsonObject("machine").getString("postgres").matches("\\d+.*"));
  }
}
