package dev.muster.orchestrator.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.coordinator.RunScheduler.Phase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scheduler with locks in memory and a clock moved by hand: no database, no sleeps. */
class RunSchedulerTest {
  private static final Duration CHECK = Duration.ofMillis(500);

  private final ManualClock clock = new ManualClock();
  private final FakeLocks locks = new FakeLocks();
  /** Runs under way, in the order they started; each ends when the test completes it. */
  private final Map<String, Promise<Void>> runs = new LinkedHashMap<>();
  private final List<String> started = new ArrayList<>();
  private final Set<String> wanted = new HashSet<>();

  private RunScheduler scheduler(int maxParallel) {
    return new RunScheduler(maxParallel, CHECK, locks, (schema, lease, attempt) -> {
      started.add(schema);
      Promise<Void> done = Promise.promise();
      runs.put(schema, done);
      return done.future().eventually(lease::release).map(Run.End.DONE);
    }, clock, wanted::contains);
  }

  private RunScheduler wanting(int maxParallel, String... schemas) {
    wanted.addAll(List.of(schemas));
    return scheduler(maxParallel);
  }

  /** The run of {@code schema} ends; its waiters were settled by it. */
  private void end(String schema) {
    wanted.remove(schema);
    runs.remove(schema).complete();
  }

  @Test
  void aSchemaRequestedAgainWhileItRunsRunsOnce() {
    RunScheduler s = wanting(4, "public");
    s.request("public");
    s.request("public");
    assertEquals(Phase.RUNNING, s.phase("public"));
    s.request("public");
    assertEquals(List.of("public"), started);
    assertEquals(1, locks.tries("public"));
    end("public");
    assertEquals(Phase.IDLE, s.phase("public"));
    assertFalse(locks.heldHere("public"), "the lock is let go");
    assertEquals(List.of("public"), started, "nobody waits any more: no second run");
  }

  @Test
  void aSecondRequestDuringTheTryDoesNotTryTwice() {
    locks.answerLater();
    RunScheduler s = wanting(4, "public");
    s.request("public");
    s.request("public");
    assertEquals(Phase.TRYING, s.phase("public"));
    locks.answerAll();
    assertEquals(1, locks.tries("public"));
    assertEquals(List.of("public"), started);
  }

  @Test
  void waitersThatCameDuringARunStartTheNextOne() {
    RunScheduler s = wanting(4, "public");
    s.request("public");
    runs.remove("public").complete(); // ended, but waiters remain (they need a newer version, say)
    assertEquals(List.of("public", "public"), started);
  }

  @Test
  void noMoreThanTheParallelLimitRunAtOnceAndTheRestQueueInOrder() {
    RunScheduler s = wanting(2, "a", "b", "c", "d", "e");
    for (String schema : List.of("a", "b", "c", "d", "e")) s.request(schema);
    assertEquals(List.of("a", "b"), started);
    assertEquals(Phase.QUEUED, s.phase("c"));
    assertEquals(Phase.QUEUED, s.phase("e"));
    assertEquals(2, s.active());
    end("b");
    assertEquals(List.of("a", "b", "c"), started);
    end("a");
    end("c");
    assertEquals(List.of("a", "b", "c", "d", "e"), started);
    assertEquals(2, s.active());
  }

  @Test
  void triesInFlightCountAgainstTheLimit() {
    locks.answerLater();
    RunScheduler s = wanting(2, "a", "b", "c");
    for (String schema : List.of("a", "b", "c")) s.request(schema);
    assertEquals(List.of("a", "b"), locks.tries, "a burst is not tried all at once");
    locks.answerAll();
    assertEquals(List.of("a", "b"), started);
    assertEquals(Phase.QUEUED, s.phase("c"));
  }

  @Test
  void aQueuedSchemaNobodyWaitsForAnyMoreIsSkipped() {
    RunScheduler s = wanting(1, "a", "b", "c");
    for (String schema : List.of("a", "b", "c")) s.request(schema);
    wanted.remove("b"); // its waiters went away while it queued
    end("a");
    assertEquals(List.of("a", "c"), started, "the freed slot goes to the next schema that is wanted");
    assertEquals(Phase.IDLE, s.phase("b"));
  }

  @Test
  void aSchemaAnotherReplicaRunsIsTakenOverOnceItsHolderFallsSilent() {
    locks.holdElsewhere("public");
    RunScheduler s = wanting(4, "public");
    s.request("public");
    assertEquals(List.of(), started, "another replica runs it");
    assertEquals(1, clock.pending(), "a take-over check is armed");

    clock.advance(CHECK.minusMillis(100));
    s.heardFromHolder("public"); // its migration.started: it lives
    clock.advance(CHECK.minusMillis(100));
    assertEquals(1, locks.tries("public"), "a holder that speaks is not tried");

    clock.advance(Duration.ofMillis(100)); // silent for the whole check: try again, it still holds the lock
    assertEquals(2, locks.tries("public"));
    assertEquals(List.of(), started);

    locks.freeElsewhere("public"); // the holder died; PostgreSQL dropped its lock
    clock.advance(CHECK);
    assertEquals(3, locks.tries("public"));
    assertEquals(List.of("public"), started, "taken over");
    assertEquals(0, clock.pending(), "no check while this replica runs it");
  }

  @Test
  void theOutcomeEndsTheWatch() {
    locks.holdElsewhere("public");
    RunScheduler s = wanting(4, "public");
    s.request("public");
    s.settled("public");
    wanted.remove("public");
    clock.advance(CHECK.multipliedBy(10));
    assertEquals(1, locks.tries("public"));
  }

  @Test
  void aSchemaNobodyWaitsForIsNeitherTriedNorWatched() {
    RunScheduler s = scheduler(4);
    s.request("public");
    s.heardFromHolder("public");
    assertEquals(List.of(), locks.tries);
    assertEquals(0, clock.pending());
  }

  @Test
  void aLockThatCannotBeTriedIsTriedAgainAfterTheCheck() {
    locks.unreachable(true);
    RunScheduler s = wanting(4, "public");
    s.request("public");
    assertEquals(Phase.IDLE, s.phase("public"));
    assertEquals(0, s.active(), "a failed try frees its slot");
    locks.unreachable(false);
    clock.advance(CHECK);
    assertEquals(List.of("public"), started);
  }

  @Test
  void stoppingWaitsForTheRunsUnderWayAndStartsNoMore() {
    locks.answerLater();
    RunScheduler s = wanting(1, "a", "b", "c");
    s.request("a");
    locks.answerAll();
    s.request("b");
    s.request("c");
    assertEquals(Phase.QUEUED, s.phase("b"));
    Future<Void> stopped = s.stop();
    assertFalse(stopped.isComplete(), "a's run is under way");
    end("a");
    assertTrue(stopped.succeeded());
    assertEquals(List.of("a"), started);
    s.request("b");
    assertEquals(List.of("a"), locks.tries);
  }

  @Test
  void aLockTakenAfterStoppingIsLetGoUnused() {
    locks.answerLater();
    RunScheduler s = wanting(4, "public");
    s.request("public");
    Future<Void> stopped = s.stop();
    locks.answerAll();
    assertTrue(stopped.succeeded());
    assertEquals(List.of(), started);
    assertFalse(locks.heldHere("public"));
  }
}
