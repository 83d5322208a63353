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
      return new FailureReport(error.sqlState(), error.message(), version, description, error.exitCode(),
          error.output());
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
   * A delegated run begins: the replica holding the schema's lock elected this arrival as its migrator.
   *
   * @param run          the run's id: the number of this very event ({@code null} until it is in the log)
   * @param version      the schema's version before the run, as the last {@code schema.ready} recorded it
   * @param deploy       the elected arrival's deploy ({@code null}: none said)
   */
  record MigratorElected(String schema, String service, String instance, Long run, long leaseSeconds, String version,
      String requiredVersion, String deploy) implements Payload {
    @Override
    public EventType type() {
      return EventType.MIGRATOR_ELECTED;
    }
  }

  /** The migrator of run {@code run} lost its election; {@code reason}: lease_expired, stream_closed, orchestrator_lost. */
  record MigratorLost(String schema, String service, String instance, Long run, String reason) implements Payload {
    public static final String LEASE_EXPIRED = "lease_expired";
    public static final String STREAM_CLOSED = "stream_closed";
    public static final String ORCHESTRATOR_LOST = "orchestrator_lost";

    @Override
    public EventType type() {
      return EventType.MIGRATOR_LOST;
    }
  }

  // Lock safety (issue 14).

  /**
   * A migration waits on a lock that these sessions hold (or wait for ahead of it), as {@code pg_blocking_pids}
   * and {@code pg_stat_activity} told; published when the set of blockers changes.
   *
   * @param attempt       the migration's attempt (1 for the first)
   * @param runPid        the migration session's backend pid
   * @param lockTimeoutMs its lock_timeout ({@code 0}: none — a non-transactional migration)
   */
  record MigrationBlocked(String schema, String version, String description, int attempt, Integer runPid,
      Long lockTimeoutMs, List<Blocker> blockers) implements Payload {
    public MigrationBlocked {
      blockers = blockers == null ? List.of() : List.copyOf(blockers);
    }

    @Override
    public EventType type() {
      return EventType.MIGRATION_BLOCKED;
    }
  }

  /**
   * A migration's lock wait timed out (55P03); it was rolled back and is tried again after {@code delayMs}.
   *
   * @param attempt  the attempt about to be made (2 for the first retry)
   * @param blockers who held it up in the attempt that timed out
   */
  record MigrationRetrying(String schema, String version, String description, int attempt, Long delayMs, RunError error,
      List<Blocker> blockers) implements Payload {
    public MigrationRetrying {
      blockers = blockers == null ? List.of() : List.copyOf(blockers);
      if (error == null) error = new RunError(null, null);
    }

    @Override
    public EventType type() {
      return EventType.MIGRATION_RETRYING;
    }
  }

  /**
   * Someone (or the automatic policy) acted on a blocked run: cancelled or terminated a blocker, or aborted the
   * run.
   *
   * @param pid  the blocker's pid ({@code null} for an abort)
   * @param by   who asked: a name given with the call, the CLI's user, or {@code policy}
   * @param done whether PostgreSQL signalled the session (an abort: whether a run was under way)
   */
  record MigrationIntervened(String schema, Action action, Integer pid, String by, boolean done) implements Payload {
    @Override
    public EventType type() {
      return EventType.MIGRATION_INTERVENED;
    }
  }

  /** What {@link MigrationIntervened} did. */
  enum Action {
    CANCEL("cancel"), TERMINATE("terminate"), ABORT("abort");

    private final String wire;

    Action(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    public static Action fromWire(String wire) {
      for (Action a : values()) if (a.wire.equals(wire)) return a;
      return null;
    }
  }

  /**
   * A session that holds up a migration: its backend pid, {@code application_name}, role, client address,
   * state ({@code idle in transaction}, {@code active}, ...), how long its transaction and its state have lasted
   * when it was seen, and its query's first characters.
   */
  record Blocker(int pid, String application, String user, String clientAddr, String state, Long transactionAgeMs,
      Long stateAgeMs, String query) {}

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

  /**
   * A run's error: the database's SQLSTATE ({@code null} when the failure did not come from it) and message; for a
   * delegated run, the migrator's exit code and the tail of its output ({@code null} otherwise).
   */
  record RunError(String sqlState, String message, Integer exitCode, String output) {
    public RunError(String sqlState, String message) {
      this(sqlState, message, null, null);
    }
  }

  /** A failed run as status pages and answers show it: its error, and the migration that failed. */
  record FailureReport(String sqlState, String message, String version, String description, Integer exitCode,
      String output) {
    public FailureReport(String sqlState, String message, String version, String description) {
      this(sqlState, message, version, description, null, null);
    }
  }

  /**
   * {@code muster repair} accepted a drifted schema's history under its lock (Flyway's {@code repair}).
   *
   * @param accepted  the drift it accepted, as Flyway explained it ({@code null}: there was none)
   * @param remaining drift still there afterwards ({@code null}: none; the schema is no longer drifted)
   * @param aligned   applied migrations whose checksum and description were aligned with the files
   * @param deleted   applied migrations with no file, marked deleted
   * @param removed   failed migrations' rows removed
   */
  record SchemaRepaired(String schema, String accepted, String remaining, int aligned, int deleted, int removed)
      implements Payload {
    @Override
    public EventType type() {
      return EventType.SCHEMA_REPAIRED;
    }
  }

  /**
   * A run ended without an outcome because its session died (an operator's {@code pg_terminate_backend}, a restart):
   * PostgreSQL rolled back what was under way, nobody runs the schema now, and it is tried again after a backoff
   * until {@code attempts}; the last attempt's death is a {@code schema.failed} with its cause instead.
   *
   * @param version the migration that was running ({@code null}: none had started)
   * @param attempt this run's attempt, 1-based, of {@code attempts}
   */
  record SchemaInterrupted(String schema, String version, int attempt, int attempts, RunError error) implements Payload {
    public SchemaInterrupted {
      if (error == null) error = new RunError(null, null);
    }

    @Override
    public EventType type() {
      return EventType.SCHEMA_INTERRUPTED;
    }
  }
}
