package dev.muster.orchestrator.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.RunnerChoice;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Delegated runs on two replicas sharing a log in memory, whose delivery the test holds back: each replica hears
 * the other's outcome late, as over NOTIFY, and still exactly one migrator is elected.
 */
class DelegationTest {
  private final ManualClock clock = new ManualClock();
  private final MemoryLog log = new MemoryLog(clock);
  private final FakeLocks locks = new FakeLocks(); // one database: both replicas share its locks
  private final MusterConfig config = MusterConfig.defaults().toBuilder()
      .takeoverCheck(Duration.ofMillis(500))
      .schemas(SchemaNames.parse("legacy"))
      .runners(RunnerChoice.parse("legacy=delegate"))
      .migratorLease(Duration.ofSeconds(15))
      .build();

  private Coordinator replica(String id) {
    Coordinator c = new Coordinator(config, log.writer(id), log, locks, schema -> {
      throw new AssertionError("a delegated schema has no runner of ours");
    }, clock);
    c.start();
    return c;
  }

  private static Arrival.Request request(String instance) {
    return new Arrival.Request("web", instance, "legacy", "v1", null, null, true, null);
  }

  private long elected() {
    List<Event> elections = log.events().stream().filter(e -> e.type() == EventType.MIGRATOR_ELECTED).toList();
    assertEquals(1, elections.size(), "exactly one migrator: " + log.lines());
    return elections.get(0).seq();
  }

  private List<String> released() {
    return log.lines().stream().filter(l -> l.startsWith("service.released")).map(l -> l.substring(17)).sorted().toList();
  }

  @Test
  void anArrivalAfterTheOutcomeOnAReplicaThatHasNotHeardItIsReleasedByItNotElected() {
    Coordinator a = replica("replica-a");
    Coordinator b = replica("replica-b");
    a.arrive(request("web-1")); // replica-a takes the lock and elects web-1
    log.deliver();
    b.arrive(request("web-2")); // waits on replica-b, the lock held by replica-a
    long run = elected();

    assertTrue(a.migrators().report(run, "web", "web-1", true, "v1", null, null).succeeded());
    b.arrive(request("web-3")); // on record after the outcome, before replica-b has heard it
    log.deliver();
    clock.advance(Duration.ofSeconds(2)); // replica-b's lock checks come and go
    log.deliver();

    elected();
    assertEquals(1, log.count(EventType.SCHEMA_READY));
    assertEquals(List.of("web-1", "web-2", "web-3"), released());
  }

  @Test
  void anArrivalOnTheReplicaThatTookTheReportIsReleasedAtOnceBeforeTheLogBringsTheOutcomeBack() {
    Coordinator a = replica("replica-a");
    a.arrive(request("web-1"));
    log.deliver();
    long run = elected();

    assertTrue(a.migrators().report(run, "web", "web-1", true, "v1", null, null).succeeded());
    a.arrive(request("web-late"));
    assertEquals("service.released web-late", log.lines().get(log.lines().size() - 1), "released with its arrival");
    log.deliver();
    clock.advance(Duration.ofSeconds(2));
    log.deliver();

    elected();
    assertEquals(List.of("web-1", "web-late"), released());
  }
}
