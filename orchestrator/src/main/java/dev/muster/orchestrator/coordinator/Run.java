package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.lock.Locks;
import dev.muster.orchestrator.projection.SchemaInfo;
import dev.muster.orchestrator.runner.MigrationFailure;
import dev.muster.orchestrator.runner.Runner;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of one schema, while this replica holds its lock: re-read the schema under the lock (another replica
 * may just have finished it; an index build a dead holder left half done is dropped first), then — when
 * something is pending — {@code schema.lock_acquired}, the runner with its progress in the log, and the outcome,
 * {@code schema.ready} or {@code schema.failed}. The lock is let go at the end, whatever happened.
 *
 * <p>When the database goes away under it, the run ends without an outcome: nothing is wrong with the
 * migration, PostgreSQL rolled back what was under way, and the waiters stay for the next run.
 */
final class Run {
  private static final Logger log = LoggerFactory.getLogger(Run.class);

  /** What the coordinator learns from a run. */
  interface Listener {
    /** Under the lock, the schema is as {@code info} says. */
    void inspected(SchemaInfo info);

    /** Under the lock, nothing was pending: no run was needed, nobody runs it. */
    void upToDate(SchemaInfo info);

    /** The run's outcome is in the log. */
    void settled(Event outcome);
  }

  private final String schema;
  private final Locks.Lease lease;
  private final Runner runner;
  private final Recorder recorder;
  private final Clock clock;
  private final Listener listener;
  private long startedNanos;

  Run(String schema, Locks.Lease lease, Runner runner, Recorder recorder, Clock clock, Listener listener) {
    this.schema = schema;
    this.lease = lease;
    this.runner = runner;
    this.recorder = recorder;
    this.clock = clock;
    this.listener = listener;
  }

  /** Runs; completes (never fails) once the lock is let go. */
  Future<Void> start() {
    startedNanos = clock.nanoTime();
    return runner.prepare(schema)
        .compose(prepared -> {
          SchemaInfo info = prepared.info();
          if (!prepared.droppedInvalidIndexes().isEmpty()) {
            log.warn("Schema {}: dropped {} left INVALID by an interrupted CREATE INDEX CONCURRENTLY", schema,
                prepared.droppedInvalidIndexes());
          }
          if (info.upToDate()) {
            listener.upToDate(info);
            return Future.<Void>succeededFuture();
          }
          listener.inspected(info);
          return recorder.append(new Payload.LockAcquired(schema, info.current(), info.latest(), info.pending().size(),
                  lease.session(), prepared.droppedInvalidIndexes()))
              .compose(v -> runner.migrate(schema, new Progress()))
              .transform(this::outcome)
              .compose(outcome -> {
                long returned = clock.nanoTime();
                return recorder.append(outcome).onSuccess(e -> log.debug("Schema {}: runner returned → {} appended in {} µs",
                    schema, e.typeName(), (clock.nanoTime() - returned) / 1_000));
              })
              .onSuccess(listener::settled)
              .<Void>mapEmpty();
        })
        .onFailure(e -> {
          if (e instanceof RunInterrupted) {
            log.warn("Run of schema {} interrupted: the database went away ({}); it runs again when the database is back",
                schema, e.getMessage());
          } else {
            log.error("Run of schema {} ended abnormally", schema, e);
          }
        })
        .eventually(lease::release)
        .otherwiseEmpty()
        .mapEmpty();
  }

  /** The runner's result as the outcome to record; a lost connection is no outcome. */
  private Future<Payload> outcome(AsyncResult<Runner.Result> ar) {
    long durationMs = (clock.nanoTime() - startedNanos) / 1_000_000;
    if (ar.succeeded()) {
      return Future.succeededFuture(new Payload.SchemaReady(schema, ar.result().version(), ar.result().executed(),
          durationMs));
    }
    if (!(ar.cause() instanceof MigrationFailure f)) return Future.failedFuture(ar.cause());
    if (f.connectionLost()) return Future.failedFuture(new RunInterrupted(f)); // run it again later
    log.warn("Migration of schema {} failed at {}: [{}] {}", schema, f.version(), f.sqlState(), f.getMessage());
    return Future.succeededFuture(new Payload.SchemaFailed(schema, f.version(), f.description(), f.schemaVersion(),
        new Payload.RunError(f.sqlState(), f.getMessage()), durationMs));
  }

  /** Each migration's start and end in the log, from the runner's thread, in order. */
  private final class Progress implements Runner.Progress {
    @Override
    public void started(String version, String description) {
      recorder.appendAndWait(new Payload.MigrationStarted(schema, version, description));
    }

    @Override
    public void applied(Connection migration, String version, String description, long durationMs)
        throws SQLException {
      // In the migration's own transaction: a crash before its commit leaves no 'applied' behind.
      recorder.appendInTransaction(migration, new Payload.MigrationApplied(schema, version, description, durationMs));
    }
  }

  /** The database went away under a run; its waiters stay, and the run is tried again. */
  private static final class RunInterrupted extends RuntimeException {
    RunInterrupted(MigrationFailure cause) {
      super(cause.getMessage(), cause);
    }
  }
}
