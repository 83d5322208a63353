package dev.muster.orchestrator.events;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** Where a replica writes what happens, and reads what its runs ended with: {@link EventStore} on PostgreSQL. */
public interface EventLog {

  /** Appends the event, signed by this replica; completes with it numbered and timed. */
  Future<Event> append(Payload payload);

  /**
   * As {@link #append(Payload)}, on {@code session} — a session of the caller's own, so that the append waits for
   * nothing else this replica has under way — when there is one ({@code null}: as {@link #append(Payload)}).
   */
  default Future<Event> append(Payload payload, SqlClient session) {
    return append(payload);
  }

  /**
   * Appends the events in one statement, in this order, with consecutive numbers; completes with them numbered
   * and timed, in the same order. A log that cannot append many at once appends them one after the other.
   */
  default Future<List<Event>> appendAll(List<Payload> payloads) {
    Future<List<Event>> chain = Future.succeededFuture(new java.util.ArrayList<>(payloads.size()));
    for (Payload p : payloads) chain = chain.compose(list -> append(p).map(e -> {
      list.add(e);
      return list;
    }));
    return chain;
  }

  /**
   * Appends the event inside {@code transaction}, blocking: it exists only if that transaction commits (an
   * applied migration's event commits with the migration). Returns it numbered and timed, as it will be if it does.
   */
  Event appendInTransaction(Connection transaction, Payload payload) throws SQLException;

  /** The id of the transaction open on {@code transaction} ({@code txid_current()}), for {@link #committed}. */
  long transaction(Connection transaction) throws SQLException;

  /**
   * Whether that transaction committed, so that what was appended in it is in the log. Asked by the transaction, not
   * by an event's number: a rolled-back append's number is taken by the next append.
   */
  Future<Boolean> committed(long transaction);

  /** The last {@code schema.ready} or {@code schema.failed} of every schema that has one. */
  Future<List<Event>> lastOutcomes();
}
