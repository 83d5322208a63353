package dev.muster.client;

import static dev.muster.client.ScriptedOrchestrator.answer;
import static dev.muster.client.ScriptedOrchestrator.event;
import static dev.muster.client.ScriptedOrchestrator.eventsThenAfterReport;
import static dev.muster.client.ScriptedOrchestrator.eventsThenHeartbeats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.ScriptedOrchestrator.Arrival;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The SDK as a delegated run's migrator, against a scripted orchestrator that speaks the protocol of
 * docs/api.md ("Delegated runs"): the elected instance runs its migrator while it heartbeats, reports
 * the outcome, and stops when its lease is lost; the others only wait.
 */
class DelegatedRunTest {
  private static final String STARTING = event(1, "service.starting", "'service':'app','instance':'app-7f3c'");
  private static final String ELECTED = event(7, "migrator.elected", "'service':'app','instance':'app-7f3c','run':7,"
      + "'leaseSeconds':1,'version':'1a2b3c4d5e6f','requiredVersion':'3f2a1b9c0d1e'");
  private static final String READY = event(9, "schema.ready", "'version':'3f2a1b9c0d1e'");
  private static final Duration SOON = Duration.ofSeconds(5);

  private static MusterClient.Builder client(ScriptedOrchestrator orchestrator) {
    return AwaitReadyTest.client(orchestrator.url()).requiredVersion("3f2a1b9c0d1e").token("s3cret");
  }

  @Test
  void theElectedInstanceRunsItsMigratorWhileHeartbeatingThenReportsTheVersion() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenAfterReport(new String[] {STARTING, ELECTED}, READY))) {
      AtomicReference<MigrationRun> given = new AtomicReference<>();
      AtomicReference<String> thread = new AtomicReference<>();
      Migrator migrator = run -> {
        given.set(run);
        thread.set(Thread.currentThread().getName());
        // Runs until the wait has heartbeated twice: a lease kept by a migration that takes a while.
        long deadline = System.nanoTime() + SOON.toNanos();
        while (heartbeats(orchestrator) < 2 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        return "3f2a1b9c0d1e";
      };

      Ready ready = client(orchestrator).migrator(migrator).build().awaitReady();

      assertTrue(ready.migrated(), ready.toString());
      assertEquals("3f2a1b9c0d1e", ready.version());
      assertEquals(7, given.get().run());
      assertEquals("1a2b3c4d5e6f", given.get().versionBefore());
      assertEquals("3f2a1b9c0d1e", given.get().requiredVersion());
      assertEquals(Duration.ofSeconds(1), given.get().lease());
      assertTrue(thread.get().startsWith("muster-client-migrate-app"), thread.get());
      List<Arrival> calls = orchestrator.runCalls();
      assertTrue(heartbeats(orchestrator) >= 2, "heartbeats: " + calls);
      for (Arrival heartbeat : calls.subList(0, calls.size() - 1)) {
        assertEquals("/api/v1/runs/7/heartbeat", heartbeat.path());
        assertEquals(Map.of("service", "app", "instance", "app-7f3c"), heartbeat.json());
        assertEquals("Bearer s3cret", heartbeat.header("Authorization"));
      }
      Arrival report = calls.get(calls.size() - 1);
      assertEquals("/api/v1/runs/7/report", report.path());
      assertEquals(Map.of("service", "app", "instance", "app-7f3c", "outcome", "done", "version", "3f2a1b9c0d1e"),
          report.json());
      assertEquals(Boolean.TRUE, orchestrator.arrivals().get(0).json().get("canMigrate"));
    }
  }

  @Test
  void aMigratorWithoutVersionsReportsDoneWithoutOne() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenAfterReport(new String[] {STARTING, ELECTED},
        event(9, "schema.ready", "")))) {
      Ready ready = client(orchestrator).requiredVersion(null).migrator(run -> null).build().awaitReady();

      assertTrue(ready.migrated());
      assertNull(ready.version());
      assertEquals(Map.of("service", "app", "instance", "app-7f3c", "outcome", "done"), lastRunCall(orchestrator).json());
    }
  }

  @Test
  void aFailedCommandIsReportedWithItsExitCodeAndOutputAndEndsTheWaitWithTheFailure() throws Exception {
    String failed = event(9, "schema.failed", "'error':{'sqlState':null,'message':'the migration command exited with 2',"
        + "'exitCode':2,'output':'INFO upgrading\\nERROR relation accounts exists'}");
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenAfterReport(new String[] {STARTING, ELECTED}, failed))) {
      Migrator migrator = run -> {
        throw new MigrationCommandException(2, "x".repeat(5_000) + "\nINFO upgrading\nERROR relation accounts exists");
      };

      var failure = assertThrows(MigrationFailedException.class,
          () -> client(orchestrator).migrator(migrator).build().awaitReady());

      assertEquals(3, failure.exitCode());
      assertEquals(2, failure.commandExitCode());
      assertNull(failure.sqlState());
      assertTrue(failure.output().endsWith("ERROR relation accounts exists"), failure.output());
      assertTrue(failure.getMessage().contains("the migration command exited with 2"), failure.getMessage());
      assertTrue(failure.getMessage().contains("(last output: ERROR relation accounts exists)"), failure.getMessage());
      Map<String, Object> report = lastRunCall(orchestrator).json();
      assertEquals("failed", report.get("outcome"));
      assertEquals(2L, report.get("exitCode"));
      String output = (String) report.get("output");
      assertTrue(output.length() <= 4_096, "the last 4 KiB: " + output.length());
      assertTrue(output.endsWith("INFO upgrading\nERROR relation accounts exists"), output);
    }
  }

  @Test
  void anExceptionOfTheMigratorIsAFailureWithExitCodeOne() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenAfterReport(new String[] {STARTING, ELECTED},
        event(9, "schema.failed", "'error':{'message':'x','exitCode':1}")))) {
      Migrator migrator = run -> {
        throw new IllegalStateException("no migrations directory", new java.io.FileNotFoundException("alembic.ini"));
      };

      assertThrows(MigrationFailedException.class, () -> client(orchestrator).migrator(migrator).build().awaitReady());

      Map<String, Object> report = lastRunCall(orchestrator).json();
      assertEquals(1L, report.get("exitCode"));
      assertEquals("IllegalStateException: no migrations directory, caused by FileNotFoundException: alembic.ini",
          report.get("output"));
    }
  }

  @Test
  void aLostLeaseStopsTheMigratorAndItsOutcomeIsNotReported() throws Exception {
    String othersElection = event(10, "migrator.elected", "'service':'app','instance':'app-0001','run':10,'leaseSeconds':15");
    String othersReady = event(11, "schema.ready", "'version':'3f2a1b9c0d1e'");
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicReference<Boolean> leaseLostSeen = new AtomicReference<>();
    try (var orchestrator = ScriptedOrchestrator.start((exchange, o) -> {
      eventsThenHeartbeatsUntil(stopped, STARTING, ELECTED).play(exchange, o);
    }, eventsThenHeartbeats(othersElection, othersReady))) {
      orchestrator.answeringRuns(answer(409, "{\"error\":\"lease_lost\",\"message\":\"run 7 was revoked\"}"));
      Migrator migrator = run -> {
        try {
          Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
          leaseLostSeen.set(run.leaseLost());
          stopped.countDown();
        }
        return "3f2a1b9c0d1e";
      };

      Ready ready = client(orchestrator).migrator(migrator).build().awaitReady();

      assertFalse(ready.migrated(), "another instance migrated");
      assertEquals(Boolean.TRUE, leaseLostSeen.get());
      assertTrue(orchestrator.runCalls().stream().noneMatch(call -> call.path().endsWith("/report")),
          "no report after a lost lease: " + orchestrator.runCalls());
    }
  }

  @Test
  void aMigratorLostEventOnTheStreamStopsTheMigrator() throws Exception {
    String lost = event(8, "migrator.lost", "'service':'app','instance':'app-7f3c','run':7,'reason':'lease_expired'");
    CountDownLatch interrupted = new CountDownLatch(1);
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING, ELECTED, lost))) {
      CompletableFuture<Ready> wait = client(orchestrator).timeout(Duration.ofMinutes(1))
          .migrator(untilInterrupted(new CountDownLatch(0), interrupted)).build().readyAsync();

      assertTrue(interrupted.await(SOON.toMillis(), TimeUnit.MILLISECONDS), "the migrator was interrupted");
      assertFalse(wait.isDone(), "the wait goes on for another migrator's outcome");
      wait.cancel(true);
    }
  }

  @Test
  void anotherInstancesElectionRunsNothingHere() throws Exception {
    String othersElection = event(7, "migrator.elected", "'service':'app','instance':'app-0001','run':7,'leaseSeconds':15");
    try (var orchestrator = ScriptedOrchestrator.start(ScriptedOrchestrator.events(STARTING, othersElection, READY))) {
      Ready ready = client(orchestrator).migrator(run -> {
        throw new AssertionError("not elected");
      }).build().awaitReady();

      assertFalse(ready.migrated());
      assertEquals(List.of(), orchestrator.runCalls());
    }
  }

  @Test
  void cancellingTheWaitStopsTheMigrator() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING, ELECTED))) {
      CompletableFuture<Ready> wait = client(orchestrator).timeout(Duration.ofMinutes(1))
          .migrator(untilInterrupted(running, interrupted)).build().readyAsync();
      assertTrue(running.await(SOON.toMillis(), TimeUnit.MILLISECONDS));

      wait.cancel(true);

      assertTrue(interrupted.await(SOON.toMillis(), TimeUnit.MILLISECONDS), "the migrator was interrupted");
      assertTrue(orchestrator.sawHangUp(SOON), "the stream was closed");
    }
  }

  /** Like {@code eventsThenHeartbeats}, but ending the response once {@code until} is counted down. */
  private static ScriptedOrchestrator.Script eventsThenHeartbeatsUntil(CountDownLatch until, String... events) {
    return (exchange, orchestrator) -> {
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      var body = exchange.getResponseBody();
      for (String event : events) {
        body.write(event.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        body.flush();
      }
      while (!until.await(50, TimeUnit.MILLISECONDS)) {
        body.write(": ping\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        body.flush();
      }
    };
  }

  /** A migrator that counts {@code running} down, then runs until interrupted and counts {@code interrupted} down. */
  private static Migrator untilInterrupted(CountDownLatch running, CountDownLatch interrupted) {
    return run -> {
      running.countDown();
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        interrupted.countDown();
      }
      return null;
    };
  }

  private static long heartbeats(ScriptedOrchestrator orchestrator) {
    return orchestrator.runCalls().stream().filter(call -> call.path().endsWith("/heartbeat")).count();
  }

  private static Arrival lastRunCall(ScriptedOrchestrator orchestrator) {
    List<Arrival> calls = orchestrator.runCalls();
    return calls.get(calls.size() - 1);
  }
}
