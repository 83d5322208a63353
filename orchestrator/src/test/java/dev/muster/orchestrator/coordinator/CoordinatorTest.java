package dev.muster.orchestrator.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventLog;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.projection.SchemaView;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The coordinator with its log, lock and runner in memory and a clock moved by hand: arrivals, waiters and their
 * timers, runs and their outcomes, without PostgreSQL.
 */
class CoordinatorTest {
  private final ManualClock clock = new ManualClock();
  private final MemoryLog log = new MemoryLog(clock);
  private final FakeLocks locks = new FakeLocks();
  private final FakeRunner runner = new FakeRunner("public", 3, 1);
  private final MusterConfig config = MusterConfig.defaults().toBuilder().takeoverCheck(Duration.ofMillis(500)).build();

  private Coordinator replica(String id) {
    Coordinator c = new Coordinator(config, log.writer(id), log, locks, schema -> runner, clock);
    c.start();
    return c;
  }

  private static Arrival.Request request(String instance, Duration timeout) {
    return new Arrival.Request("app", instance, "public", null, timeout, null);
  }

  @Test
  void arrivalsForASchemaThatIsBehindWaitForOneRunAndAreAllReleased() {
    runner.holdRuns();
    Coordinator c = replica("replica-a");
    List<Future<Arrival>> arrivals = new ArrayList<>();
    for (int i = 1; i <= 3; i++) arrivals.add(c.arrive(request("app-" + i, null)));
    log.deliver();
    assertTrue(arrivals.stream().allMatch(Future::succeeded));
    assertEquals(SchemaStatus.MIGRATING, c.statusOf("public"));
    runner.release();
    log.deliver();

    assertEquals(List.of("service.starting app-1", "schema.lock_acquired", "service.starting app-2",
        "service.starting app-3", "migration.started 2", "migration.applied 2", "migration.started 3",
        "migration.applied 3", "schema.ready 3", "service.released app-1", "service.released app-2",
        "service.released app-3"), log.lines());
    assertEquals(1, runner.runs);
    assertEquals(SchemaStatus.READY, c.statusOf("public"));
    assertEquals(0, c.views().get(0).waiting());
    assertEquals("replica-a", c.views().get(0).lastRun().orchestrator());
    assertTrue(!locks.heldHere("public"), "the lock is let go");
  }

  @Test
  void anArrivalForASchemaAlreadyAtItsVersionIsReleasedAtOnce() {
    runner.appliedElsewhere(3);
    Coordinator c = replica("replica-a");
    c.arrive(request("app-1", null));
    assertEquals(List.of("service.starting app-1", "service.released app-1"), log.lines());
    assertEquals(List.of(), locks.tries, "no run was tried");
  }

  @Test
  void aWaiterGivesUpWhenItsTimeoutPassesAndTheRunGoesOnForTheOthers() {
    runner.holdRuns();
    Coordinator c = replica("replica-a");
    c.arrive(request("impatient", Duration.ofSeconds(10)));
    c.arrive(request("patient", null));
    clock.advance(Duration.ofSeconds(9));
    assertEquals(0, log.count(EventType.SERVICE_GAVE_UP));
    clock.advance(Duration.ofSeconds(1));
    Payload.ServiceGaveUp gaveUp = (Payload.ServiceGaveUp) log.events().stream()
        .filter(e -> e.type() == EventType.SERVICE_GAVE_UP).findFirst().orElseThrow().payload();
    assertEquals("impatient", gaveUp.instance());
    assertEquals(10_000L, gaveUp.durationMs());

    runner.release();
    log.deliver();
    assertEquals(List.of("patient"), log.events().stream().filter(e -> e.type() == EventType.SERVICE_RELEASED)
        .map(e -> ((Payload.ServiceReleased) e.payload()).instance()).toList());
  }

  @Test
  void aDeadlineHoldsWhileTheLogIsDownAndTheGiveUpIsRecordedWhenItIsBack() {
    runner.holdRuns();
    boolean[] down = {false};
    EventLog writer = log.writer("replica-a");
    EventLog flaky = new ForwardingLog(writer) {
      @Override
      public Future<Event> append(Payload payload) {
        return down[0] ? Future.failedFuture("Connection refused") : writer.append(payload);
      }
    };
    Coordinator c = new Coordinator(config, flaky, log, locks, schema -> runner, clock);
    c.start();
    Arrival arrival = c.arrive(request("impatient", Duration.ofSeconds(8))).result();
    List<Event> pushed = new ArrayList<>();
    c.attach(arrival, pushed::add);
    down[0] = true;

    clock.advance(Duration.ofSeconds(8));
    assertEquals(1, pushed.size(), "told at its deadline, with the log down");
    assertEquals(EventType.SERVICE_GAVE_UP, pushed.get(0).type());
    assertFalse(pushed.get(0).logged());
    assertEquals(0, log.count(EventType.SERVICE_GAVE_UP));

    clock.advance(Duration.ofSeconds(30));
    assertEquals(0, log.count(EventType.SERVICE_GAVE_UP), "still down: kept, not lost");
    down[0] = false;
    clock.advance(Duration.ofSeconds(3));
    assertEquals(1, log.count(EventType.SERVICE_GAVE_UP), "written once the log is back, once");
    clock.advance(Duration.ofSeconds(30));
    assertEquals(1, log.count(EventType.SERVICE_GAVE_UP));
    assertEquals(1, pushed.size());
  }

  @Test
  void manyWaitersAreReleasedInOneAppendAfterTheOutcome() {
    runner.holdRuns();
    List<Integer> batches = new ArrayList<>();
    EventLog writer = log.writer("replica-a");
    EventLog counting = new ForwardingLog(writer) {
      @Override
      public Future<Event> append(Payload payload) {
        batches.add(1);
        return writer.append(payload);
      }

      @Override
      public Future<List<Event>> appendAll(List<Payload> payloads) {
        if (payloads.size() == 1) return append(payloads.get(0)).map(List::of);
        batches.add(payloads.size());
        List<Event> all = new ArrayList<>();
        for (Payload p : payloads) all.add(log.add("replica-a", p));
        return Future.succeededFuture(all);
      }
    };
    Coordinator c = new Coordinator(config, counting, log, locks, schema -> runner, clock);
    c.start();
    for (int i = 0; i < 50; i++) c.arrive(request("app-" + i, null));
    log.deliver();
    batches.clear();
    runner.release();
    log.deliver();
    assertEquals(51, log.count(EventType.SERVICE_STARTING) + log.count(EventType.SCHEMA_READY));
    assertEquals(50, log.count(EventType.SERVICE_RELEASED));
    assertEquals(List.of(1, 1, 1, 50), batches, "two migrations started and the outcome, then every release in one append");
  }

  @Test
  void aServiceNeedingMoreThanTheMigrationsReachIsRefusedAndNothingIsRecorded() {
    Coordinator c = replica("replica-a");
    Future<Arrival> refused = c.arrive(new Arrival.Request("app", "app-1", "public", "7", null, null));
    ArrivalRefused e = (ArrivalRefused) refused.cause();
    assertEquals(ArrivalRefused.Reason.VERSION_SKEW, e.reason());
    assertEquals("app requires public ≥ 7; the orchestrator's migrations end at 3", e.getMessage());
    assertEquals("3", e.latestVersion());
    assertEquals(List.of(), log.lines());
  }

  @Test
  void aFailedRunFailsTheWaitersItLeftBehindAndReleasesThoseItReached() {
    runner.failAt(3);
    runner.holdRuns();
    Coordinator c = replica("replica-a");
    c.arrive(new Arrival.Request("app", "needs-2", "public", "2", null, null));
    c.arrive(request("needs-3", null));
    runner.release();
    log.deliver();
    assertEquals(SchemaStatus.FAILED, c.statusOf("public"));
    assertEquals("42P01", c.views().get(0).error().sqlState());
    assertEquals(List.of("service.released needs-2"), log.lines().stream().filter(l -> l.startsWith("service.released")).toList(),
        "needs-3 hears of the failure itself");
    Payload.SchemaFailed failed = (Payload.SchemaFailed) log.events().stream()
        .filter(e -> e.type() == EventType.SCHEMA_FAILED).findFirst().orElseThrow().payload();
    assertEquals("2", failed.schemaVersion());
  }

  @Test
  void anotherReplicasRunSettlesTheWaitersHereAndATakeOverFollowsItsDeath() {
    Coordinator b = replica("replica-b");
    locks.holdElsewhere("public"); // replica-a runs it
    b.arrive(request("app-1", null));
    log.add("replica-a", new Payload.LockAcquired("public", "1", "3", 2, 77, null));
    log.add("replica-a", new Payload.MigrationStarted("public", "2", "step 2"));
    log.deliver();
    assertEquals("replica-a", b.views().get(0).lockHolder());
    clock.advance(Duration.ofMillis(400));
    assertEquals(1, locks.tries("public"), "the holder spoke 400 ms ago");

    locks.freeElsewhere("public"); // replica-a dies mid-run
    clock.advance(Duration.ofMillis(500));
    log.deliver();
    assertEquals(2, locks.tries("public"));
    assertEquals(1, runner.runs, "taken over");
    assertEquals(SchemaStatus.READY, b.statusOf("public"));
    assertEquals("service.released app-1", log.lines().get(log.lines().size() - 1));
  }

  @Test
  void aRunThatFindsNothingPendingReleasesItsWaitersWithoutRecordingARun() {
    Coordinator c = replica("replica-a");
    locks.answerLater();
    c.arrive(request("app-1", null));
    runner.appliedElsewhere(3); // another replica finished a moment ago
    locks.answerAll();
    assertEquals(List.of("service.starting app-1", "service.released app-1"), log.lines());
    assertEquals(0, runner.runs);
    assertEquals(SchemaStatus.READY, c.statusOf("public"));
  }

  @Test
  void aReplicaStartingAfterAFailureReportsIt() {
    log.add("replica-a", new Payload.SchemaFailed("public", "2", "step 2", "1", new Payload.RunError("42P01", "x"), 5L));
    Coordinator c = replica("replica-b");
    assertEquals(SchemaStatus.FAILED, c.statusOf("public"));
    assertEquals("x", c.views().get(0).error().message());
  }

  @Test
  void aSchemaKnownFromTheLogAloneIsReadWithWhatTheLogSaid() {
    MusterConfig tenants = config.toBuilder().schemas(SchemaNames.parse("public,tenant_*")).build();
    Coordinator c = new Coordinator(tenants, log.writer("replica-b"), log, locks, schema -> new FakeRunner(schema, 2, 1),
        clock);
    c.start();
    log.add("replica-a", new Payload.ServiceStarting("tenant_a", "app", "app-1", "2"));
    log.deliver();
    SchemaView view = c.view("tenant_a").result();
    assertEquals(1, view.waiting(), "another replica's waiter, from the log");
    assertEquals(SchemaStatus.PENDING, view.status(), "and the files, read now");
    assertEquals(1, c.view("tenant_unheard_of").result().pending().size());
    assertEquals(2, c.views().size(), "a schema only asked about is not kept");
  }

  @Test
  void stoppingForgetsTheWaitersAndWaitsForTheRunUnderWay() {
    runner.holdRuns();
    Coordinator c = replica("replica-a");
    c.arrive(request("app-1", Duration.ofSeconds(5)));
    Future<Void> stopped = c.stop(Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(10));
    assertEquals(0, log.count(EventType.SERVICE_GAVE_UP), "a stopping replica's services move on without a word");
    assertTrue(!stopped.isComplete(), "the run may finish");
    runner.release();
    assertTrue(stopped.succeeded());
    assertEquals(1, log.count(EventType.SCHEMA_READY));
  }

  @Test
  void stoppingGivesUpOnARunThatOutlastsTheBound() {
    runner.holdRuns();
    Coordinator c = replica("replica-a");
    c.arrive(request("app-1", null));
    Future<Void> stopped = c.stop(Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(30));
    assertTrue(stopped.succeeded());
  }
}
