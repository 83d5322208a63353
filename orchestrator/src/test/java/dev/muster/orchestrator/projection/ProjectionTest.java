package dev.muster.orchestrator.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventCodec;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The projection driven by event sequences alone: no database, no clock. */
class ProjectionTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  private final List<Event> log = new ArrayList<>();

  /** Appends to this test's log, as replica {@code orchestrator}. */
  private Event append(String orchestrator, Payload payload) {
    Event e = Event.logged(log.size() + 1, T0.plusMillis(10L * log.size()), orchestrator, payload);
    log.add(e);
    return e;
  }

  private Event append(Payload payload) {
    return append("replica-a", payload);
  }

  private static SchemaInfo info(String current, String... pending) {
    List<SchemaInfo.Migration> migrations = new ArrayList<>();
    for (String v : pending) migrations.add(new SchemaInfo.Migration(v, "step " + v, "V" + v + "__step.sql"));
    return new SchemaInfo("public", current, pending.length == 0 ? current : pending[pending.length - 1], migrations);
  }

  /** A whole run of V2 and V3 with two services waiting, one of which started after the run began. */
  private void aRun() {
    append(new Payload.ServiceStarting("public", "app", "app-1", "3"));
    append(new Payload.ServiceStarting("public", "worker", "worker-1", "3"));
    append(new Payload.LockAcquired("public", "1", "3", 2, 4711, null));
    append(new Payload.MigrationStarted("public", "2", "step 2"));
    append(new Payload.MigrationApplied("public", "2", "step 2", 12L));
    append(new Payload.MigrationStarted("public", "3", "step 3"));
    append(new Payload.MigrationApplied("public", "3", "step 3", 8L));
    append(new Payload.SchemaReady("public", "3", 2, 40L));
    append(new Payload.ServiceReleased("public", "app", "app-1", "3", 45L));
    append(new Payload.ServiceReleased("public", "worker", "worker-1", "3", 44L));
  }

  private static Projection fed(List<Event> events) {
    Projection p = new Projection();
    p.observe(info("1", "2", "3"));
    events.forEach(p::apply);
    return p;
  }

  @Test
  void aRunTakesTheSchemaFromPendingThroughMigratingToReady() {
    Projection p = new Projection();
    p.observe(info("1", "2", "3"));
    assertEquals(SchemaStatus.PENDING, p.view("public").status());
    aRun();
    p.apply(log.get(0));
    p.apply(log.get(1));
    assertEquals(2, p.view("public").waiting());
    p.apply(log.get(2));
    p.apply(log.get(3));
    SchemaView midRun = p.view("public");
    assertEquals(SchemaStatus.MIGRATING, midRun.status());
    assertEquals("replica-a", midRun.lockHolder());
    assertEquals("2", midRun.runningMigration());
    p.apply(log.get(4));
    assertEquals("2", p.view("public").version());
    assertEquals(List.of("3"), p.view("public").pending().stream().map(SchemaInfo.Migration::version).toList());
    log.subList(5, log.size()).forEach(p::apply);

    SchemaView ready = p.view("public");
    assertEquals(SchemaStatus.READY, ready.status());
    assertEquals("3", ready.version());
    assertEquals(List.of(), ready.pending());
    assertEquals(0, ready.waiting());
    assertNull(ready.lockHolder());
    assertNull(ready.runningMigration());
    assertEquals(new SchemaView.LastRun(log.get(7).at(), 40L, "replica-a", SchemaStatus.READY), ready.lastRun());
    assertNull(ready.error());
  }

  @Test
  void eventsTakenTwiceChangeNothing() {
    aRun();
    SchemaView once = fed(log).view("public");
    List<Event> twice = new ArrayList<>();
    for (Event e : log) {
      twice.add(e);
      twice.add(e);
    }
    assertEquals(once, fed(twice).view("public"));
  }

  @Test
  void aReplayOverlappingTheLiveEdgeChangesNothing() {
    aRun();
    // Live up to #6, then a replay from #3 (a stream resumed, a reconnect that re-reads), then the rest.
    List<Event> delivered = new ArrayList<>(log.subList(0, 6));
    delivered.addAll(log.subList(2, log.size()));
    assertEquals(fed(log).view("public"), fed(delivered).view("public"));
  }

  @Test
  void aReconnectThatReReadsCatchesUpOnWhatWasMissedWhileDown() {
    aRun();
    Projection p = fed(log.subList(0, 3));
    assertEquals(SchemaStatus.MIGRATING, p.view("public").status());
    // Disconnected: #4-#10 happen. The re-read after the reconnect brings them all, from the last one taken.
    log.subList(0, log.size()).forEach(p::apply);
    assertEquals(fed(log).view("public"), p.view("public"));
    assertEquals(SchemaStatus.READY, p.view("public").status());
  }

  @Test
  void aFailureStaysTheStateUntilARunGetsPastIt() {
    append(new Payload.ServiceStarting("public", "app", "app-1", "3"));
    append(new Payload.LockAcquired("public", "1", "3", 2, 4711, null));
    append(new Payload.MigrationStarted("public", "2", "step 2"));
    append(new Payload.MigrationApplied("public", "2", "step 2", 5L));
    append(new Payload.MigrationStarted("public", "3", "broken"));
    append(new Payload.SchemaFailed("public", "3", "broken", "2", new Payload.RunError("42P01", "relation missing"), 30L));
    Projection p = fed(log);
    SchemaView failed = p.view("public");
    assertEquals(SchemaStatus.FAILED, failed.status());
    assertEquals("2", failed.version());
    assertEquals(new Payload.FailureReport("42P01", "relation missing", "3", "broken"), failed.error());
    assertEquals(new JsonObject().put("sqlState", "42P01").put("message", "relation missing").put("version", "3")
        .put("description", "broken"), failed.toJson().getJsonObject("error"));
    assertEquals(0, failed.waiting(), "the failure told every waiter");

    p.observe(info("2", "3")); // read again: still behind
    assertEquals(SchemaStatus.FAILED, p.view("public").status());

    p.apply(append("replica-b", new Payload.LockAcquired("public", "2", "3", 1, 4712, null)));
    assertEquals(SchemaStatus.MIGRATING, p.view("public").status());
    assertNull(p.view("public").error(), "a new run is under way");
    p.apply(append("replica-b", new Payload.SchemaReady("public", "3", 1, 9L)));
    assertEquals(SchemaStatus.READY, p.view("public").status());
    assertEquals("replica-b", p.view("public").lastRun().orchestrator());
  }

  @Test
  void theFleetsWaitingInstancesAreCountedUntilTheyLeaveOrTheRunEnds() {
    Projection p = fed(List.of());
    p.apply(append(new Payload.ServiceStarting("public", "app", "app-1", "3")));
    p.apply(append(new Payload.ServiceStarting("public", "app", "app-2", "3")));
    p.apply(append("replica-b", new Payload.ServiceStarting("public", "worker", "app-1", "3")));
    p.apply(append(new Payload.ServiceStarting("public", "app", "app-1", "3"))); // the same instance again
    assertEquals(3, p.view("public").waiting());
    p.apply(append(new Payload.ServiceGaveUp("public", "app", "app-2", "3", 1000L)));
    assertEquals(2, p.view("public").waiting());
    p.apply(append(new Payload.SchemaReady("public", "3", 2, 9L)));
    assertEquals(0, p.view("public").waiting());
  }

  @Test
  void aVersionNeverGoesBack() {
    Projection p = fed(List.of());
    p.apply(append(new Payload.MigrationApplied("public", "2", "step 2", 5L)));
    p.observe(info("1", "2", "3")); // a read from before the event's commit
    assertEquals("2", p.view("public").version());
    assertEquals(List.of("3"), p.view("public").pending().stream().map(SchemaInfo.Migration::version).toList());
  }

  @Test
  void aRunWhoseHolderIsGoneIsNoLongerShownUnderWay() {
    Projection p = fed(List.of());
    p.apply(append("replica-a", new Payload.LockAcquired("public", "1", "3", 2, 4711, null)));
    p.apply(append("replica-a", new Payload.MigrationStarted("public", "2", "step 2")));
    p.observe(info("1", "2", "3"));
    assertEquals(SchemaStatus.MIGRATING, p.view("public").status(), "the log says a run is under way");
    p.observeHolder("public", null); // replica-a died: nobody holds the lock
    SchemaView view = p.view("public");
    assertEquals(SchemaStatus.PENDING, view.status());
    assertNull(view.lockHolder());
    assertNull(view.runningMigration());
    p.observeHolder("public", "replica-b");
    assertEquals(SchemaStatus.MIGRATING, p.view("public").status());
    assertEquals("replica-b", p.view("public").lockHolder());
  }

  @Test
  void anOlderOutcomeReadAfterANewerOneChangesNothing() {
    // A replica starting: the live feed delivers #2 before its read of the last outcomes returns #1.
    Event older = append(new Payload.SchemaFailed("public", "2", "broken", "1", new Payload.RunError("P0001", "x"), 3L));
    Event newer = append(new Payload.SchemaReady("public", "3", 2, 9L));
    Projection p = new Projection();
    p.apply(newer);
    p.apply(older);
    p.observe(info("3"));
    assertEquals(SchemaStatus.READY, p.view("public").status());
  }

  @Test
  void whatTheProjectionCannotPlaceChangesNothing() {
    Projection p = new Projection();
    assertNull(p.view("public"));
    p.apply(EventCodec.decode(new JsonObject().put("seq", 1).put("type", "tool.elected").put("schema", "public").encode()));
    p.apply(Event.unlogged(T0, "replica-a", new Payload.SchemaReady("public", "3", 1, 1L)));
    assertNull(p.view("public"));
    p.observe(info("1", "2"));
    assertEquals(SchemaStatus.PENDING, p.view("public").status());
  }

  @Test
  void aSchemaReadOnceIsReadyWhenNothingIsPending() {
    SchemaView view = Projection.of(info("3"));
    assertEquals(SchemaStatus.READY, view.status());
    assertEquals(true, view.readyFor(null));
    assertEquals(true, view.readyFor("2"));
    assertEquals(false, view.readyFor("4"));
    assertEquals(false, Projection.of(info("1", "2")).readyFor(null));
    assertEquals(true, Projection.of(info("1", "2")).readyFor("1"));
  }

  @Test
  void anInterruptedRunLeavesNobodyMigratingAndDriftOutranksReadyUntilRepaired() {
    append(new Payload.LockAcquired("public", "1", "3", 2, 4711, null));
    append(new Payload.MigrationStarted("public", "2", "step 2"));
    append(new Payload.SchemaInterrupted("public", "2", 1, 3, new Payload.RunError("57P01", "terminated")));
    SchemaView interrupted = fed(log).view("public");
    assertEquals(SchemaStatus.PENDING, interrupted.status());
    assertEquals(null, interrupted.lockHolder());
    assertEquals(null, interrupted.runningMigration());

    Projection p = new Projection();
    p.observe(new SchemaInfo("public", "3", "3", List.of(), "checksum mismatch for migration version 2"));
    assertEquals(SchemaStatus.DRIFTED, p.view("public").status());
    assertEquals(false, p.view("public").readyFor("3"));
    p.apply(Event.logged(1, T0, "muster-repair", new Payload.SchemaRepaired("public", "checksum mismatch", null, 1, 0, 0)));
    assertEquals(SchemaStatus.READY, p.view("public").status());
    assertEquals(null, p.view("public").drift());
  }
}
