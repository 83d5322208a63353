package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.projection.Projection;
import dev.muster.orchestrator.projection.SchemaInfo;
import java.util.function.Consumer;

/** What this replica's own run of a schema tells the coordinator: what it read, and how it ended. */
final class RunListener implements Run.Listener {
  private final String schema;
  private final Projection projection;
  private final Waiters waiters;
  private final Known known;
  private final Consumer<Event> settle;

  RunListener(String schema, Projection projection, Waiters waiters, Known known, Consumer<Event> settle) {
    this.schema = schema;
    this.projection = projection;
    this.waiters = waiters;
    this.known = known;
    this.settle = settle;
  }

  @Override
  public void inspected(SchemaInfo info) {
    projection.observe(info);
  }

  @Override
  public void upToDate(SchemaInfo info) {
    projection.observeHolder(schema, null);
    projection.observe(info);
    waiters.settle(schema, Long.MAX_VALUE, true, known.version(schema));
  }

  @Override
  public void settled(Event outcome) {
    // Settled at once, without waiting for the log to bring the outcome back.
    settle.accept(outcome);
  }

  @Override
  public void interrupted() {
    projection.observeHolder(schema, null); // no run here now: not "migrating"
  }
}
