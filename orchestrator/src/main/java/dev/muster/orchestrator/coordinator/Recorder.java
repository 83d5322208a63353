package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventLog;
import dev.muster.orchestrator.events.Payload;
import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes the coordinator's events to the log, and says in this replica's own log what could not be written. */
final class Recorder {
  private static final Logger log = LoggerFactory.getLogger(Recorder.class);

  private final EventLog events;

  Recorder(EventLog events) {
    this.events = events;
  }

  Future<Event> append(Payload payload) {
    return events.append(payload).onFailure(e -> couldNot(payload, e));
  }

  /** From a worker thread: waits until the event is written, so that progress is recorded in order. */
  void appendAndWait(Payload payload) {
    try {
      events.append(payload).toCompletionStage().toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      couldNot(payload, e);
    } catch (Exception e) {
      couldNot(payload, e);
    }
  }

  void appendInTransaction(Connection transaction, Payload payload) throws SQLException {
    events.appendInTransaction(transaction, payload);
  }

  private static void couldNot(Payload payload, Throwable e) {
    log.warn("Could not record {} for schema {}: {}", payload.typeName(), payload.schema(), String.valueOf(e.getMessage()));
  }
}
