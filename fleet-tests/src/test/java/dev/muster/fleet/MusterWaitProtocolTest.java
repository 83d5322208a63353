package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fleet.StubOrchestrator.Answer;
import dev.muster.fleet.StubOrchestrator.Request;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/muster-wait} against answers as docs/api.md defines them, from a stub: the orchestrator
 * without its database, replicas of different versions during a roll-out, and the delegated-run protocol
 * (elected migrator, heartbeats, report, lost lease), which the real orchestrator's tests cover once its
 * delegated-runs work is in ({@link MusterWaitDelegatedTest}).
 */
class MusterWaitProtocolTest {
  private static final String READY = "{\"schema\":\"public\",\"state\":\"ready\",\"version\":\"1\"}";
  private static final String SKEW = "{\"error\":\"version_skew\",\"message\":\"report requires public ≥ 9; the"
      + " orchestrator's migrations end at 5\",\"schema\":\"public\",\"requiredVersion\":\"9\",\"latestVersion\":\"5\"}";
  private static final String ELECTED = "{\"schema\":\"legacy\",\"state\":\"migrating\",\"role\":\"migrator\","
      + "\"run\":7,\"leaseSeconds\":3,\"version\":null}";

  @TempDir
  Path dir;

  private static Map<String, String> env(String urls) {
    return Map.of("MUSTER_URL", urls, "MUSTER_SERVICE", "report", "MUSTER_INSTANCE", "report-1");
  }

  @Test
  void databaseUnavailableIsWaitedOutThenExits4NamingTheDatabase() throws Exception {
    try (var orchestrator = StubOrchestrator.start(r -> new Answer(503,
        "{\"error\":\"database_unavailable\",\"message\":\"the orchestrator cannot reach its database; try again\"}"))) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(orchestrator.url()), "--timeout", "2", "--", "echo", "never");

      assertEquals(4, r.exitCode(), r.stderr());
      assertEquals("", r.stdout());
      assertTrue(r.stderr().contains("gave up waiting for schema public after 2 s: the orchestrator's database is"
          + " unavailable (HTTP 503 database_unavailable from " + orchestrator.url() + ")"), r.stderr());
      assertTrue(orchestrator.requests().size() >= 2, "asked again: " + orchestrator.requests().size());
    }
  }

  @Test
  void aProxysErrorsOnlyAreUnreachable() throws Exception {
    try (var proxy = StubOrchestrator.start(r -> new Answer(502, "<html>Bad Gateway</html>"))) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(proxy.url()), "--timeout", "1", "--", "echo", "never");

      assertEquals(5, r.exitCode(), r.stderr());
      assertTrue(r.stderr().contains("could not reach the orchestrator"), r.stderr());
    }
  }

  @Test
  void versionSkewFromOneReplicaTriesTheNext() throws Exception {
    try (var old = StubOrchestrator.start(r -> new Answer(409, SKEW)); var upgraded = StubOrchestrator.ready()) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(old.url() + "," + upgraded.url()), "--version", "9", "--", "echo", "ran");

      assertEquals(0, r.exitCode(), r.stderr());
      assertEquals("ran", r.stdout().strip());
    }
  }

  @Test
  void versionSkewDuringARollOutIsWaitedOut() throws Exception {
    AtomicInteger arrivals = new AtomicInteger();
    try (var replica = StubOrchestrator.start(r -> arrivals.incrementAndGet() < 3 ? new Answer(409, SKEW) : new Answer(200, READY))) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(replica.url()), "--version", "9", "--", "echo", "ran");

      assertEquals(0, r.exitCode(), r.stderr());
      assertEquals(3, replica.requests().size());
    }
  }

  @Test
  void versionSkewEverywhereIsFinalAtTheTimeout() throws Exception {
    try (var a = StubOrchestrator.start(r -> new Answer(409, SKEW)); var b = StubOrchestrator.start(r -> new Answer(409, SKEW))) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(a.url() + "," + b.url()), "--version", "9", "--timeout", "2", "--", "echo");

      assertEquals(2, r.exitCode(), r.stderr());
      assertTrue(r.stderr().contains("(HTTP 409 version_skew): report requires public ≥ 9"), r.stderr());
      assertTrue(!a.requests().isEmpty() && !b.requests().isEmpty(), "both replicas were asked");
    }
  }

  @Test
  void theElectedInstanceRunsTheCommandHeartbeatsReportsThenExecs() throws Exception {
    try (var orchestrator = StubOrchestrator.start(delegated(200))) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(orchestrator.url()), "--schema", "legacy",
          "--migrate-with", "echo applying; sleep 1.5; echo applied",
          "--version-from", "echo '3f2a1b9c0d1e (head)'", "--", "sh", "-c", "echo started as $$");

      assertEquals(0, r.exitCode(), r.stderr());
      assertEquals("started as " + r.pid(), r.stdout().strip(), "exec keeps the PID");
      assertTrue(r.stderr().contains("muster-wait: migrate: applying\nmuster-wait: migrate: applied"), r.stderr());
      JsonObject arrival = orchestrator.requests("/api/v1/arrivals").get(0).json();
      assertEquals(true, arrival.getBoolean("canMigrate"));
      assertEquals("3f2a1b9c0d1e", arrival.getString("requiredVersion"));
      List<Request> heartbeats = orchestrator.requests("/api/v1/runs/7/heartbeat");
      assertFalse(heartbeats.isEmpty(), "heartbeat every leaseSeconds / 3 = 1 s during the 1.5 s command");
      assertEquals(new JsonObject().put("service", "report").put("instance", "report-1"), heartbeats.get(0).json());
      List<Request> reports = orchestrator.requests("/api/v1/runs/7/report");
      assertEquals(1, reports.size());
      assertEquals(new JsonObject().put("service", "report").put("instance", "report-1").put("outcome", "done")
          .put("version", "3f2a1b9c0d1e"), reports.get(0).json());
    }
  }

  @Test
  void aFailedCommandIsReportedWithItsExitCodeAndOutputThenExits3() throws Exception {
    try (var orchestrator = StubOrchestrator.start(delegated(200))) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(orchestrator.url()), "--schema", "legacy",
          "--migrate-with", "echo 'upgrading \"accounts\"\tnow'; echo 'ERROR: relation exists' >&2; exit 7",
          "--", "echo", "never");

      JsonObject report = orchestrator.requests("/api/v1/runs/7/report").get(0).json();
      assertAll(
          () -> assertEquals(3, r.exitCode(), r.stderr()),
          () -> assertEquals("", r.stdout()),
          () -> assertTrue(r.stderr().contains("the migration command failed with exit code 7: ERROR: relation exists"),
              r.stderr()),
          () -> assertEquals("failed", report.getString("outcome")),
          () -> assertEquals(7, report.getInteger("exitCode")),
          () -> assertEquals("upgrading \"accounts\"\tnow\nERROR: relation exists", report.getString("output")));
    }
  }

  @Test
  void aLostLeaseStopsTheCommandAndTheInstanceWaitsForTheNextMigrator() throws Exception {
    AtomicInteger arrivals = new AtomicInteger();
    try (var orchestrator = StubOrchestrator.start(request -> {
      if (request.path().endsWith("/heartbeat")) {
        return new Answer(409, "{\"error\":\"lease_lost\",\"message\":\"run 7 was revoked\"}");
      }
      return arrivals.incrementAndGet() == 1 ? new Answer(200, ELECTED) : new Answer(200, READY);
    })) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(orchestrator.url()), "--schema", "legacy",
          "--migrate-with", "echo begun; sleep 60; echo finished", "--", "echo", "started");

      assertEquals(0, r.exitCode(), r.stderr());
      assertEquals("started", r.stdout().strip());
      assertTrue(r.stderr().contains("muster-wait: migrate: begun"), r.stderr());
      assertFalse(r.stderr().contains("migrate: finished"), "the command was stopped: " + r.stderr());
      assertTrue(r.stderr().contains("revoked"), r.stderr());
      assertEquals(List.of(), orchestrator.requests("/report"), "no report after a lost lease");
      assertEquals(2, orchestrator.requests("/api/v1/arrivals").size(), "waited again");
    }
  }

  @Test
  void anInstanceNotElectedNeverRunsTheCommand() throws Exception {
    try (var orchestrator = StubOrchestrator.ready()) {
      MusterWaitRun r = MusterWaitRun.run(dir, env(orchestrator.url()), "--migrate-with", "echo migrating", "--", "echo", "ran");

      assertEquals(0, r.exitCode(), r.stderr());
      assertEquals("ran", r.stdout().strip());
      assertFalse(r.stderr().contains("migrating"), r.stderr());
    }
  }

  /** Elects every arrival as run 7's migrator; heartbeats and reports get {@code runStatus}. */
  private static java.util.function.Function<Request, Answer> delegated(int runStatus) {
    return request -> {
      if (request.path().endsWith("/heartbeat")) return new Answer(runStatus, "{\"run\":7,\"leaseSeconds\":3}");
      if (request.path().endsWith("/report")) return new Answer(runStatus, "{\"run\":7,\"type\":\"schema.ready\",\"seq\":9}");
      return new Answer(200, ELECTED);
    };
  }
}
