package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventLog;
import dev.muster.orchestrator.events.Payload;
import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A log that passes each call on to another, for a test to change one of them. Many-at-once appends go through
 * {@link #append}, one by one ({@link EventLog}'s own way), unless the test says otherwise.
 */
class ForwardingLog implements EventLog {
  private final EventLog to;

  ForwardingLog(EventLog to) {
    this.to = to;
  }

  @Override
  public Future<Event> append(Payload payload) {
    return to.append(payload);
  }

  @Override
  public Event appendInTransaction(Connection transaction, Payload payload) throws SQLException {
    return to.appendInTransaction(transaction, payload);
  }

  @Override
  public long transaction(Connection transaction) throws SQLException {
    return to.transaction(transaction);
  }

  @Override
  public Future<Boolean> committed(long transaction) {
    return to.committed(transaction);
  }

  @Override
  public Future<List<Event>> lastOutcomes() {
    return to.lastOutcomes();
  }
}
