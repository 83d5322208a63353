package dev.muster.bench;

import dev.muster.orchestrator.events.EventType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One round of the fan-out and failure scenarios: a fresh schema whose second migration waits at a gate;
 * {@code clients} services arrive and wait; once every one of them is streaming, the gate opens and the run
 * finishes (or fails) while all of them listen.
 */
final class GatedRound {
  static final Duration WAIT_TIMEOUT = Duration.ofMinutes(5);

  final String schema;
  final List<Waiters.Outcome> outcomes;
  /** When every client was streaming and the gate opened. */
  final Instant gateOpened;

  private GatedRound(String schema, List<Waiters.Outcome> outcomes, Instant gateOpened) {
    this.schema = schema;
    this.outcomes = outcomes;
    this.gateOpened = gateOpened;
  }

  static GatedRound run(BenchDatabase db, ReplicaSet replicas, String scenario, int clients) throws Exception {
    String schema = db.newSchema(scenario);
    try (Gate gate = Gate.close(db, schema)) {
      Waiters waiters = Waiters.start(clients, replicas, schema, "svc", WAIT_TIMEOUT);
      try {
        waiters.awaitStreaming(WAIT_TIMEOUT);
        Instant opened = Instant.now();
        gate.open();
        return new GatedRound(schema, waiters.await(WAIT_TIMEOUT), opened);
      } catch (Exception e) {
        waiters.abandon();
        throw e;
      }
    }
  }

  /** The {@code at} of the schema's one event of {@code type}: when PostgreSQL began appending it. */
  Instant eventAt(BenchDatabase db, EventType type) {
    return db.queryInstant("SELECT at FROM muster.events WHERE schema_name = ? AND type = ?", schema, type.wire());
  }

  static double millisBetween(Instant from, Instant to) {
    return Duration.between(from, to).toNanos() / 1e6;
  }
}
