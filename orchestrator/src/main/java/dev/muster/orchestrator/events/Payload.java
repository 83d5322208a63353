package dev.muster.orchestrator.events;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What an event says, one record per {@link EventType}: the fields of the contract, typed. The log adds the
 * number, the time and the replica that appended it ({@link Event}); {@link EventCodec} reads and writes JSON.
 * A field the contract marks optional is {@code null} when absent.
 */
public sealed interface Payload {

  /** The type; {@code null} only for an {@link Unrecognized} event. */
  EventType type();

  /** The schema it is about; {@code null} only for an {@link Unrecognized} event without one. */
  String schema();

  /** The name of the type on the wire. */
  default String typeName() {
    return type().wire();
  }

  /** An event about one service instance ({@code service.*}). */
  sealed interface ServiceEvent extends Payload {
    String service();

    String instance();
  }

  /** The end of a run: {@code schema.ready} or {@code schema.failed}. */
  sealed interface Outcome extends Payload {
    /** The schema's version after the run ({@code null}: nothing applied). */
    String reached();

    /** How long the run took, lock to outcome. */
    Long durationMs();
  }

  /** A service instance announced it is starting; {@code requiredVersion} is resolved (the latest when it asked for none). */
  record ServiceStarting(String schema, String service, String instance, String requiredVersion) implements ServiceEvent {
    @Override
    public EventType type() {
      return EventType.SERVICE_STARTING;
    }
  }

  /** The schema is at {@code version}, new enough for the instance: it may start. */
  record ServiceReleased(String schema, String service, String instance, String version, Long durationMs)
      implements ServiceEvent {
    @Override
    public EventType type() {
      return EventType.SERVICE_RELEASED;
    }
  }

  /** The instance's timeout passed before its schema was ready. */
  record ServiceGaveUp(String schema, String service, String instance, String requiredVersion, Long durationMs)
      implements ServiceEvent {
    @Override
    public EventType type() {
      return EventType.SERVICE_GAVE_UP;
    }
  }

  /**
   * A run begins: its replica holds the schema's lock.
   *
   * @param version               the schema's version before the run
   * @param pending               how many migrations the run has to apply
   * @param lockSession           the lock session's backend pid
   * @param droppedInvalidIndexes what a take-over dropped before it began ({@code null}: nothing)
   */
  record LockAcquired(String schema, String version, String targetVersion, int pending, Integer lockSession,
      List<String> droppedInvalidIndexes) implements Payload {
    public LockAcquired {
      droppedInvalidIndexes = droppedInvalidIndexes == null || droppedInvalidIndexes.isEmpty() ? null
          : List.copyOf(droppedInvalidIndexes);
    }

    @Override
    public EventType type() {
      return EventType.SCHEMA_LOCK_ACQUIRED;
    }
  }

  record MigrationStarted(String schema, String version, String description) implements Payload {
    @Override
    public EventType type() {
      return EventType.MIGRATION_STARTED;
    }
  }

  /** Committed in the migration's own transaction: a migration rolled back never appears applied. */
  record MigrationApplied(String schema, String version, String description, Long durationMs) implements Payload {
    @Override
    public EventType type() {
      return EventType.MIGRATION_APPLIED;
    }
  }

  /** @param migrations how many migrations the run applied */
  record SchemaReady(String schema, String version, int migrations, Long durationMs) implements Outcome {
    @Override
    public EventType type() {
      return EventType.SCHEMA_READY;
    }

    @Override
    public String reached() {
      return version;
    }
  }

  /**
   * @param version       the migration that failed ({@code null}: none had started, e.g. validation)
   * @param schemaVersion where the schema stayed: its last migration that committed
   */
  record SchemaFailed(String schema, String version, String description, String schemaVersion, RunError error,
      Long durationMs) implements Outcome {
    public SchemaFailed {
      if (error == null) error = new RunError(null, null);
    }

    @Override
    public EventType type() {
      return EventType.SCHEMA_FAILED;
    }

    @Override
    public String reached() {
      return schemaVersion;
    }

    /** The failure as status pages and answers show it. */
    public FailureReport report() {
      return new FailureReport(error.sqlState(), error.message(), version, description);
    }
  }

  /**
   * Not in the log: a stream's replay began after {@code after}, but events up to {@code horizon} may have been
   * pruned ({@code MUSTER_EVENTS_RETENTION}). What follows is every event after {@code after} the log still has —
   * each schema's latest outcome among them — then live ones. A client resumes from now and re-checks the state.
   * {@code schema}: the stream's schema, or {@code null} on a stream of every schema.
   */
  record LogPruned(String schema, long after, long horizon) implements Payload {
    @Override
    public EventType type() {
      return EventType.LOG_PRUNED;
    }
  }

  /**
   * An event of a type this build does not know — a newer replica's, or a tool's that shares the log. It is
   * passed on whole and otherwise ignored.
   */
  record Unrecognized(String typeName, String schema, JsonObject fields) implements Payload {
    @Override
    public EventType type() {
      return null;
    }
  }

  /** A run's error: the database's SQLSTATE ({@code null} when the failure did not come from it) and message. */
  record RunError(String sqlState, String message) {}

  /** A failed run as status pages and answers show it: its error, and the migration that failed. */
  record FailureReport(String sqlState, String message, String version, String description) {}
}
