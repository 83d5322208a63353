package dev.muster.client;

import static dev.muster.client.ScriptedOrchestrator.answer;
import static dev.muster.client.ScriptedOrchestrator.closedPort;
import static dev.muster.client.ScriptedOrchestrator.event;
import static dev.muster.client.ScriptedOrchestrator.events;
import static dev.muster.client.ScriptedOrchestrator.eventsThenHeartbeats;
import static dev.muster.client.ScriptedOrchestrator.silence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.ScriptedOrchestrator.Arrival;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AwaitReadyTest {
  private static final String STARTING = event(1, "service.starting", "'service':'app','instance':'app-7f3c'");
  private static final String LOCKED = event(2, "schema.lock_acquired", "'orchestrator':'muster-a'");
  private static final String MIGRATING = event(3, "migration.started", "'version':'3','description':'add orders'");
  private static final String APPLIED = event(4, "migration.applied",
      "'version':'3','description':'add orders','durationMs':42");
  private static final String READY = event(5, "schema.ready", "'version':'4','durationMs':57");

  /** Short timeouts: the whole class runs in seconds. */
  static MusterClient.Builder client(URI... urls) {
    return MusterClient.builder()
        .urls(List.of(urls))
        .service("app")
        .instance("app-7f3c")
        .requiredVersion("4")
        .timeout(Duration.ofSeconds(5))
        .idleTimeout(Duration.ofSeconds(2));
  }

  @Test
  void schemaReadyEndsTheWait() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, LOCKED, MIGRATING, APPLIED, READY))) {
      List<MusterEvent> seen = new CopyOnWriteArrayList<>();

      Ready ready = client(orchestrator.url()).listener(seen::add).build().awaitReady();

      assertEquals("public", ready.schema());
      assertEquals("4", ready.version());
      assertEquals(orchestrator.url(), ready.orchestrator());
      assertFalse(ready.waited().isNegative());
      assertEquals(List.of("service.starting", "schema.lock_acquired", "migration.started", "migration.applied",
          "schema.ready"), seen.stream().map(MusterEvent::type).toList());
      MusterEvent applied = seen.get(3);
      assertEquals(4, applied.id());
      assertEquals("3", applied.version());
      assertEquals("add orders", applied.description());
      assertEquals(42L, applied.durationMs());
    }
  }

  @Test
  void ownServiceReleasedEndsTheWait() throws Exception {
    String released = event(2, "service.released", "'service':'app','instance':'app-7f3c','version':'4'");
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, released))) {
      Ready ready = client(orchestrator.url()).build().awaitReady();

      assertEquals("4", ready.version());
    }
  }

  @Test
  void anotherInstancesReleaseIsOnlyProgress() throws Exception {
    String othersRelease = event(2, "service.released", "'service':'app','instance':'app-0000','version':'4'");
    ManualClock clock = ManualClock.instant();
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING, othersRelease)).driving(clock)) {
      var failure = assertThrows(WaitTimeoutException.class,
          () -> client(orchestrator.url()).clock(clock).build().awaitReady());

      assertEquals("app-0000", failure.lastEvent().instance());
    }
  }

  @Test
  void schemaReadyBelowTheRequiredVersionIsOnlyProgress() throws Exception {
    String readyAtThree = event(2, "schema.ready", "'version':'3'");
    String readyAtFour = event(3, "schema.ready", "'version':'4'");
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, readyAtThree, readyAtFour))) {
      Ready ready = client(orchestrator.url()).build().awaitReady();

      assertEquals("4", ready.version());
    }
  }

  @Test
  void schemaFailedThrowsMigrationFailedWithSqlState() throws Exception {
    String failed = event(4, "schema.failed", "'version':'3','description':'add orders',"
        + "'error':{'sqlState':'42P01','message':'relation \\'customers\\' does not exist'}");
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, MIGRATING, failed))) {
      var failure = assertThrows(MigrationFailedException.class,
          () -> client(orchestrator.url()).build().awaitReady());

      assertEquals(3, failure.exitCode());
      assertEquals("42P01", failure.sqlState());
      assertEquals("3", failure.migrationVersion());
      assertEquals("add orders", failure.description());
      assertTrue(failure.getMessage().contains("SQLSTATE 42P01"), failure.getMessage());
      assertTrue(failure.getMessage().contains("relation \"customers\" does not exist"), failure.getMessage());
    }
  }

  @Test
  void conflictWithFailedStateThrowsMigrationFailed() throws Exception {
    String body = "{\"error\":{\"sqlState\":\"23505\",\"message\":\"duplicate key\"},\"state\":\"failed\","
        + "\"schema\":\"public\",\"version\":\"3\"}";
    try (var orchestrator = ScriptedOrchestrator.start(answer(409, body))) {
      var failure = assertThrows(MigrationFailedException.class,
          () -> client(orchestrator.url()).build().awaitReady());

      assertEquals("23505", failure.sqlState());
      assertEquals("3", failure.migrationVersion());
      assertTrue(failure.getMessage().contains("duplicate key"), failure.getMessage());
    }
  }

  @Test
  void versionSkewFromEveryReplicaIsFinalAfterTheRollOutWait() throws Exception {
    String message = "app requires public ≥ 7; the orchestrator's migrations end at 5";
    String skew = "{\"error\":\"version_skew\",\"message\":\"" + message + "\"}";
    ManualClock clock = ManualClock.instant();
    try (var first = ScriptedOrchestrator.start(answer(409, skew)); var second = ScriptedOrchestrator.start(answer(409, skew))) {
      var failure = assertThrows(ArrivalRejectedException.class, () -> client(first.url(), second.url())
          .requiredVersion("7").timeout(Duration.ofMinutes(10)).clock(clock).build().awaitReady());

      assertEquals(409, failure.status());
      assertEquals("version_skew", failure.code());
      assertEquals(2, failure.exitCode());
      assertTrue(failure.getMessage().startsWith(message), failure.getMessage());
      assertTrue(first.arrivals().size() > 1 && second.arrivals().size() > 1, "both replicas were asked again");
      long waitedNanos = clock.nanoTime() - 1_000_000_000L;
      assertTrue(waitedNanos >= MusterClient.VERSION_SKEW_WAIT.toNanos(), "gave up after " + waitedNanos + " ns");
      assertTrue(waitedNanos < MusterClient.VERSION_SKEW_WAIT.toNanos() + Duration.ofSeconds(3).toNanos(),
          "not long after the roll-out wait: " + waitedNanos + " ns");
    }
  }

  @Test
  void versionSkewFromOneReplicaTriesTheOthers() throws Exception {
    String skew = "{\"error\":\"version_skew\",\"message\":\"app requires public ≥ 4; the orchestrator's migrations end at 3\"}";
    try (var old = ScriptedOrchestrator.start(answer(409, skew)); var upgraded = ScriptedOrchestrator.start(events(READY))) {
      Ready ready = client(old.url(), upgraded.url()).clock(ManualClock.instant()).build().awaitReady();

      assertEquals(upgraded.url(), ready.orchestrator());
      assertEquals(1, old.arrivals().size());
    }
  }

  @Test
  void versionSkewDuringARollOutEndsWhenTheReplicaIsUpgraded() throws Exception {
    String skew = "{\"error\":\"version_skew\",\"message\":\"app requires public ≥ 4; the orchestrator's migrations end at 3\"}";
    try (var replica = ScriptedOrchestrator.start(answer(409, skew), answer(409, skew), events(READY))) {
      Ready ready = client(replica.url()).clock(ManualClock.instant()).build().awaitReady();

      assertEquals("4", ready.version());
      assertEquals(3, replica.arrivals().size());
    }
  }

  @Test
  void badRequestIsRejectedAtOnce() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(
        answer(400, "{\"error\":\"bad_request\",\"message\":\"schema 'nope' is not in MUSTER_SCHEMAS\"}"))) {
      var failure = assertThrows(ArrivalRejectedException.class,
          () -> client(orchestrator.url()).build().awaitReady());

      assertEquals(400, failure.status());
      assertEquals("bad_request", failure.code());
      assertTrue(failure.getMessage().contains("schema 'nope' is not in MUSTER_SCHEMAS"), failure.getMessage());
      assertEquals(1, orchestrator.arrivals().size(), "no retry");
    }
  }

  @Test
  void serverErrorIsRetried() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(
        answer(503, "{\"error\":\"unavailable\",\"message\":\"database unreachable\"}"), events(READY))) {
      Ready ready = client(orchestrator.url()).build().awaitReady();

      assertEquals("4", ready.version());
      assertEquals(2, orchestrator.arrivals().size());
    }
  }

  @Test
  void streamCutMidwayResumesAfterTheLastEventSeen() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, LOCKED), events(MIGRATING, READY))) {
      List<MusterEvent> seen = new CopyOnWriteArrayList<>();

      Ready ready = client(orchestrator.url()).listener(seen::add).build().awaitReady();

      assertEquals("4", ready.version());
      List<Arrival> arrivals = orchestrator.arrivals();
      assertEquals(2, arrivals.size());
      assertNull(arrivals.get(0).header("Last-Event-ID"));
      assertEquals("2", arrivals.get(1).header("Last-Event-ID"));
      assertEquals(arrivals.get(0).json().get("service"), arrivals.get(1).json().get("service"));
      assertEquals(List.of(1L, 2L, 3L, 5L), seen.stream().map(MusterEvent::id).toList());
    }
  }

  @Test
  void aResumeFromBeforeThePrunedHorizonAnnouncesAgainInsteadOfWaitingOnTheOldStream() throws Exception {
    String pruned = "event: log.pruned\ndata: {\"seq\":null,\"type\":\"log.pruned\",\"at\":\"2026-11-21T10:15:02Z\","
        + "\"schema\":\"public\",\"after\":2,\"horizon\":900}\n\n";
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, LOCKED), eventsThenHeartbeats(pruned),
        events(READY))) {
      List<MusterEvent> seen = new CopyOnWriteArrayList<>();

      Ready ready = client(orchestrator.url()).listener(seen::add).build().awaitReady();

      assertEquals("4", ready.version());
      List<Arrival> arrivals = orchestrator.arrivals();
      assertEquals(3, arrivals.size());
      assertEquals("2", arrivals.get(1).header("Last-Event-ID"));
      assertNull(arrivals.get(2).header("Last-Event-ID"), "a fresh arrival: the old position is gone");
      assertTrue(seen.stream().anyMatch(e -> e.type().equals("log.pruned")), "the listener saw it");
    }
  }

  @Test
  void failsOverFromARefusedUrlToTheNext() throws Exception {
    URI refusing = closedPort();
    try (var orchestrator = ScriptedOrchestrator.start(events(READY))) {
      Ready ready = client(refusing, orchestrator.url()).build().awaitReady();

      assertEquals(orchestrator.url(), ready.orchestrator());
    }
  }

  @Test
  void nothingListeningIsUnreachableAfterTheTimeout() throws Exception {
    URI first = closedPort();
    URI second = closedPort();
    ManualClock clock = ManualClock.instant();

    var failure = assertThrows(OrchestratorUnreachableException.class,
        () -> client(first, second).clock(clock).build().awaitReady());

    assertEquals(5, failure.exitCode());
    assertTrue(failure.getMessage().contains(first.toString()), failure.getMessage());
    assertTrue(failure.getMessage().contains(second.toString()), failure.getMessage());
    assertTrue(failure.getMessage().contains("ConnectException"), failure.getMessage());
    assertTrue(clock.pauses() > 2, "backed off between attempts: " + clock.pauses());
  }

  @Test
  void onlyAProxysErrorsIsUnreachable() throws Exception {
    try (var proxy = ScriptedOrchestrator.start(answer(502, "<html><body>Bad Gateway</body></html>"))) {
      var failure = assertThrows(OrchestratorUnreachableException.class,
          () -> client(proxy.url()).clock(ManualClock.instant()).build().awaitReady());

      assertTrue(failure.getMessage().contains("HTTP 502: <html><body>Bad Gateway</body></html>"), failure.getMessage());
    }
  }

  @Test
  void databaseUnavailableIsWaitedOutThenATimeoutNamingTheDatabase() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(answer(503,
        "{\"error\":\"database_unavailable\",\"message\":\"the orchestrator cannot reach its database; try again\"}"))) {
      ManualClock clock = ManualClock.instant();

      var failure = assertThrows(WaitTimeoutException.class,
          () -> client(orchestrator.url()).clock(clock).build().awaitReady());

      assertEquals(4, failure.exitCode());
      assertTrue(failure.getMessage().startsWith("app gave up waiting for schema public ≥ 4 after 5 s: "
          + "the orchestrator's database is unavailable (HTTP 503 database_unavailable from " + orchestrator.url() + ")"),
          failure.getMessage());
      assertTrue(orchestrator.arrivals().size() > 2, "kept asking: " + orchestrator.arrivals().size());
    }
  }

  @Test
  void databaseUnavailableThenReadyIsReady() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(
        answer(503, "{\"error\":\"database_unavailable\",\"message\":\"try again\"}"), events(STARTING, READY))) {
      Ready ready = client(orchestrator.url()).clock(ManualClock.instant()).build().awaitReady();

      assertEquals("4", ready.version());
    }
  }

  @Test
  void heartbeatsWithoutAnEndTimeOutNamingTheLastEvent() throws Exception {
    ManualClock clock = ManualClock.instant();
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING, MIGRATING)).driving(clock)) {
      var failure = assertThrows(WaitTimeoutException.class,
          () -> client(orchestrator.url()).clock(clock).build().awaitReady());

      assertEquals(4, failure.exitCode());
      assertEquals("migration.started", failure.lastEvent().type());
      String message = failure.getMessage();
      assertTrue(message.startsWith("app gave up waiting for schema public ≥ 4 after 5 s"), message);
      assertTrue(message.contains("last event: migration.started V3 'add orders' at 2026-11-21T10:15:02Z, from "
          + orchestrator.url()), message);
      assertEquals(1, orchestrator.arrivals().size(), "heartbeats keep the stream alive");
    }
  }

  @Test
  void silentStreamIsReconnectedByTheIdleWatchdog() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(silence(), events(READY))) {
      Ready ready = client(orchestrator.url()).idleTimeout(Duration.ofMillis(200)).build().awaitReady();

      assertEquals("4", ready.version());
      assertEquals(2, orchestrator.arrivals().size());
    }
  }

  @Test
  void orchestratorGivingUpOnThisInstanceIsATimeout() throws Exception {
    String gaveUp = event(4, "service.gave_up", "'service':'app','instance':'app-7f3c'");
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, MIGRATING, gaveUp))) {
      var failure = assertThrows(WaitTimeoutException.class,
          () -> client(orchestrator.url()).build().awaitReady());

      assertEquals("migration.started", failure.lastEvent().type());
      assertTrue(failure.getMessage().startsWith("the orchestrator gave up on app-7f3c"), failure.getMessage());
    }
  }

  @Test
  void aGaveUpWithoutAnIdIsATimeoutWhileTheDatabaseIsDown() throws Exception {
    String gaveUp = "event: service.gave_up\ndata: {\"seq\":null,\"type\":\"service.gave_up\",\"schema\":\"public\","
        + "\"service\":\"app\",\"instance\":\"app-7f3c\"}\n\n";
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, MIGRATING, gaveUp))) {
      var failure = assertThrows(WaitTimeoutException.class, () -> client(orchestrator.url()).build().awaitReady());

      assertEquals(4, failure.exitCode());
      assertTrue(failure.getMessage().contains("the orchestrator's database is unavailable"), failure.getMessage());
      assertEquals(1, orchestrator.arrivals().size());
    }
  }

  @Test
  void anOpaqueRequiredVersionIsMatchedForEquality() throws Exception {
    String readyAtOther = event(2, "schema.ready", "'version':'9e8d7c6b5a4f'");
    String readyAtOurs = event(3, "schema.ready", "'version':'3f2a1b9c0d1e'");
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, readyAtOther, readyAtOurs))) {
      Ready ready = client(orchestrator.url()).requiredVersion("3f2a1b9c0d1e").build().awaitReady();

      assertEquals("3f2a1b9c0d1e", ready.version());
    }
  }

  @Test
  void arrivalIsPostedAsTheProtocolSays() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(events(READY))) {
      client(orchestrator.url()).token("s3cret").timeout(Duration.ofSeconds(600)).build().awaitReady();

      Arrival arrival = orchestrator.arrivals().get(0);
      assertEquals("POST", arrival.method());
      assertEquals("/api/v1/arrivals", arrival.path());
      assertEquals("application/json", arrival.header("Content-Type"));
      assertEquals("text/event-stream", arrival.header("Accept"));
      assertEquals("Bearer s3cret", arrival.header("Authorization"));
      assertNull(arrival.header("Last-Event-ID"));
      Map<String, Object> body = arrival.json();
      assertEquals(List.of("service", "instance", "schema", "requiredVersion", "timeoutSeconds"),
          List.copyOf(body.keySet()));
      assertEquals("app", body.get("service"));
      assertEquals("app-7f3c", body.get("instance"));
      assertEquals("public", body.get("schema"));
      assertEquals("4", body.get("requiredVersion"));
      long timeoutSeconds = (Long) body.get("timeoutSeconds");
      assertTrue(timeoutSeconds > 590 && timeoutSeconds <= 600, "seconds left: " + timeoutSeconds);
    }
  }

  @Test
  void aMigratorAndADeployAreAnnounced() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(events(READY))) {
      client(orchestrator.url()).deploy("release-42").migrator(run -> "4").build().awaitReady();

      Map<String, Object> body = orchestrator.arrivals().get(0).json();
      assertEquals("release-42", body.get("deploy"));
      assertEquals(Boolean.TRUE, body.get("canMigrate"));
    }
  }

  @Test
  void arrivalWithoutRequiredVersionAsksForTheLatest() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(events(READY))) {
      client(orchestrator.url()).requiredVersion(null).build().awaitReady();

      Arrival arrival = orchestrator.arrivals().get(0);
      assertFalse(arrival.json().containsKey("requiredVersion"));
      assertNull(arrival.header("Authorization"));
    }
  }

  @Test
  void baseUrlWithPathAndTrailingSlashKeepsItsPath() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(events(READY))) {
      client(orchestrator.url()).url(orchestrator.url() + "/muster/").build().awaitReady();

      assertEquals("/muster/api/v1/arrivals", orchestrator.arrivals().get(0).path());
    }
  }

  @Test
  void listenerFailureEndsTheWait() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(eventsThenHeartbeats(STARTING))) {
      var failure = assertThrows(IllegalStateException.class, () -> client(orchestrator.url())
          .listener(event -> { throw new IllegalStateException("listener broke"); }).build().awaitReady());

      assertEquals("listener broke", failure.getMessage());
      assertTrue(orchestrator.sawHangUp(Duration.ofSeconds(2)), "the stream was closed");
    }
  }

  @Test
  void readyAsyncCompletesWithReady() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(events(STARTING, READY))) {
      CompletableFuture<Ready> future = client(orchestrator.url()).build().readyAsync();

      assertEquals("4", future.get(5, TimeUnit.SECONDS).version());
    }
  }

  @Test
  void readyAsyncCompletesExceptionallyWithTheFailure() throws Exception {
    try (var orchestrator = ScriptedOrchestrator.start(answer(401, "{\"error\":\"unauthorized\",\"message\":\"bad token\"}"))) {
      CompletableFuture<Ready> future = client(orchestrator.url()).build().readyAsync();

      var failure = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
      assertInstanceOf(ArrivalRejectedException.class, failure.getCause());
    }
  }
}
