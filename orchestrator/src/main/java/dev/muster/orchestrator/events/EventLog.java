package dev.muster.orchestrator.events;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** Where a replica writes what happens, and reads what its runs ended with: {@link EventStore} on PostgreSQL. */
public interface EventLog {

  /** Appends the event, signed by this replica; completes with it numbered and timed. */
  Future<Event> append(Payload payload);

  /**
   * Appends the event inside {@code transaction}, blocking: it exists only if that transaction commits (an
   * applied migration's event commits with the migration).
   */
  void appendInTransaction(Connection transaction, Payload payload) throws SQLException;

  /** The last {@code schema.ready} or {@code schema.failed} of every schema that has one. */
  Future<List<Event>> lastOutcomes();
}
