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
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of one schema, while this replica holds its lock: re-read the schema under the lock (another replica
 * may just have finished it; an index build a dead holder left half done is dropped first), then — when
 * something is pending — {@code schema.lock_acquired}, the runner with its progress in the log, and the outcome,
 * {@code schema.ready} or {@code schema.failed}. The lock is let go at the end, whatever happened.
 *
 * <p>When its session dies under it (the database went away, an operator terminated the backend), the run ends
 * without an outcome: PostgreSQL rolled back what was under way, and the waiters stay for the next attempt — unless
 * this was the {@link RetryPolicy}'s last, when the cause is the outcome. When Flyway could not take its own lock
 * (another session still works on the schema), the run ends without an outcome and without counting as an attempt.
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

    /** The run ended without an outcome; nobody runs the schema now. */
    default void interrupted() {}
  }

  /** How a run ended, for the scheduler. */
  enum End {
    /** With an outcome in the log, or nothing to do, or abnormally (said in the log): nothing to retry. */
    DONE,
    /** Its session died: an attempt spent; try again after a backoff. */
    INTERRUPTED,
    /** Another session held Flyway's lock, or the run ended abnormally: no attempt spent; try again after a backoff. */
    AGAIN
  }

  /** How often a long run says it is still under way. */
  static final Duration PROGRESS_LOG = Duration.ofSeconds(30);

  private final String schema;
  private final Locks.Lease lease;
  private final Runner runner;
  private final Recorder recorder;
  private final Clock clock;
  private final Listener listener;
  private final int attempt;
  private final RetryPolicy retries;
  private long startedNanos;
  /** Who aborted the run; set once, from the coordinator's context, read on the runner's thread. */
  private volatile String abortedBy;
  private final CountDownLatch abort = new CountDownLatch(1);
  private volatile Runnable cancel;
  private volatile String running;
  private Clock.Timer progressLog;
  /** The last pending migration's version, when it is a versioned one: its transaction can carry the outcome. */
  private volatile String target;
  /** Migrations this run applied so far (on the runner's thread). */
  private int executed;
  /** The {@code schema.ready} written in the last migration's transaction (on the runner's thread), if it was. */
  private volatile EarlyReady early;

  /**
   * An outcome written ahead of the run's end, and its transaction: whether it committed is asked by the transaction's
   * id, not by the event's number — a rolled-back append's number is taken by the next append.
   */
  private record EarlyReady(Event event, long transaction) {
    String version() {
      return ((Payload.SchemaReady) event.payload()).version();
    }
  }

  /** @param attempt this run's attempt (1-based) since the schema's last outcome, as {@code retries} counts */
  Run(String schema, Locks.Lease lease, Runner runner, Recorder recorder, Clock clock, int attempt, RetryPolicy retries,
      Listener listener) {
    this.attempt = attempt;
    this.retries = retries;
    this.schema = schema;
    this.lease = lease;
    this.runner = runner;
    this.recorder = recorder;
    this.clock = clock;
    this.listener = listener;
  }

  /** Runs; completes (never fails) once the lock is let go, with how it ended. */
  Future<End> start() {
    startedNanos = clock.nanoTime();
    End[] end = {End.DONE};
    return runner.prepare(schema)
        .compose(prepared -> {
          SchemaInfo info = prepared.info();
          if (!prepared.droppedInvalidIndexes().isEmpty()) {
            log.warn("Schema {}: dropped {} left INVALID by an interrupted CREATE INDEX CONCURRENTLY", schema,
                prepared.droppedInvalidIndexes());
          }
          if (info.drifted()) {
            // Never run (Flyway would refuse) and never ready: the waiters get the drift as the run's failure.
            listener.inspected(info);
            log.warn("Schema {} has drifted from its migration files: {}", schema, info.drift());
            return recorder.append(new Payload.SchemaFailed(schema, null, null, info.current(),
                    new Payload.RunError(null, "drifted: " + info.drift()), (clock.nanoTime() - startedNanos) / 1_000_000))
                .onSuccess(listener::settled)
                .<Void>mapEmpty();
          }
          if (info.upToDate()) {
            listener.upToDate(info);
            return Future.<Void>succeededFuture();
          }
          listener.inspected(info);
          SchemaInfo.Migration last = info.pending().get(info.pending().size() - 1);
          target = last.version(); // null when the last is a repeatable migration: its outcome is written after
          return recorder.append(new Payload.LockAcquired(schema, info.current(), info.latest(), info.pending().size(),
                  lease.session(), prepared.droppedInvalidIndexes()))
              .compose(v -> {
                scheduleProgressLog();
                return runner.migrate(schema, new Progress());
              })
              .transform(ar -> {
                if (progressLog != null) progressLog.cancel();
                EarlyReady ready = early;
                return ready != null ? settledEarly(ready, ar) : recordOutcome(ar);
              })
              .onSuccess(listener::settled)
              .<Void>mapEmpty();
        })
        .onFailure(e -> {
          if (e instanceof RunInterrupted i) {
            end[0] = i.busy ? End.AGAIN : End.INTERRUPTED;
            listener.interrupted();
            if (i.busy) {
              log.warn("Run of schema {} waits: another session holds Flyway's lock on its history table ({}); trying again"
                  + " later", schema, e.getMessage());
            } else {
              log.warn("Run of schema {} interrupted (attempt {} of {}): its session ended [{}] {}; it is tried again",
                  schema, attempt, retries.attempts(), i.failure.sqlState(), e.getMessage());
            }
          } else {
            end[0] = End.AGAIN;
            log.error("Run of schema {} ended abnormally", schema, e);
          }
        })
        .eventually(lease::release)
        .otherwiseEmpty()
        .map(v -> end[0]);
  }

  /** One line every {@link #PROGRESS_LOG} while the runner works, instead of silence (or a blocked-thread warning). */
  private void scheduleProgressLog() {
    progressLog = clock.schedule(PROGRESS_LOG, () -> {
      log.info("Schema {}: run under way for {} s{}", schema, (clock.nanoTime() - startedNanos) / 1_000_000_000L,
          running == null ? "" : ", migration " + running + " running");
      scheduleProgressLog();
    });
  }

  /**
   * Stops the run at its next step: a pause between attempts ends at once, and a statement under way is
   * cancelled; the outcome is a {@code schema.failed} that says who aborted it.
   */
  void abort(String by) {
    if (abortedBy != null) return;
    abortedBy = by;
    abort.countDown();
    Runnable c = cancel;
    if (c != null) c.run();
  }

  /**
   * The run's {@code schema.ready} was written in its last migration's transaction: the outcome is that event if
   * the transaction committed — whatever the runner met after its commit (Flyway's own bookkeeping, its unlock) —
   * unless the run went further than the migrations it was started for (files added meanwhile).
   */
  private Future<Event> settledEarly(EarlyReady ready, AsyncResult<Runner.Result> ar) {
    if (ar.succeeded()) {
      return ready.version().equals(ar.result().version()) ? Future.succeededFuture(ready.event()) : recordOutcome(ar);
    }
    // Not known to have committed (the database went away too): the run ends as any failed run does, and the next
    // one reads the schema as it is.
    return recorder.committed(ready.transaction()).otherwise(false).compose(committed -> {
      // A migration after the last versioned one (a repeatable added meanwhile) failed: that is news.
      boolean later = ar.cause() instanceof MigrationFailure f && !ready.version().equals(f.version());
      if (!committed || later) return recordOutcome(ar);
      log.warn("Schema {} is ready at {} (#{}, committed with its last migration); after that commit the runner"
          + " failed: {}", schema, ready.version(), ready.event().seq(), String.valueOf(ar.cause().getMessage()));
      return Future.succeededFuture(ready.event());
    });
  }

  /** The runner's result, appended as the run's outcome. */
  private Future<Event> recordOutcome(AsyncResult<Runner.Result> ar) {
    return outcome(ar).compose(outcome -> {
      long returned = clock.nanoTime();
      return recorder.append(outcome).onSuccess(e -> log.debug("Schema {}: runner returned → {} appended in {} µs",
          schema, e.typeName(), (clock.nanoTime() - returned) / 1_000));
    });
  }

  /** The runner's result as the outcome to record; a lost connection is no outcome. */
  private Future<Payload> outcome(AsyncResult<Runner.Result> ar) {
    long durationMs = (clock.nanoTime() - startedNanos) / 1_000_000;
    if (ar.succeeded()) {
      return Future.succeededFuture(new Payload.SchemaReady(schema, ar.result().version(), ar.result().executed(),
          durationMs));
    }
    if (!(ar.cause() instanceof MigrationFailure f)) return Future.failedFuture(ar.cause());
    if (f.lockContention()) return Future.failedFuture(new RunInterrupted(f, true)); // never a failure
    if (f.connectionLost()) {
      if (!retries.isLast(attempt)) {
        // On the record, so that no replica shows it "migrating" while nobody runs it; then run it again later.
        Payload.SchemaInterrupted interrupted = new Payload.SchemaInterrupted(schema, f.version(), attempt,
            retries.attempts(), new Payload.RunError(f.sqlState(), f.getMessage()));
        return recorder.append(interrupted).transform(v -> Future.failedFuture(new RunInterrupted(f, false)));
      }
      String message = "the migration's session ended " + attempt + " time(s) in a row, the last time: " + f.getMessage()
          + (f.terminatedByAdministrator() ? " (terminated by an administrator: pg_terminate_backend, or a shutdown)" : "");
      log.warn("Run of schema {} failed after {} attempts: [{}] {}", schema, attempt, f.sqlState(), message);
      return Future.succeededFuture(new Payload.SchemaFailed(schema, f.version(), f.description(), f.schemaVersion(),
          new Payload.RunError(f.sqlState(), message), durationMs));
    }
    log.warn("Migration of schema {} failed at {}: [{}] {}", schema, f.version(), f.sqlState(), f.getMessage());
    return Future.succeededFuture(new Payload.SchemaFailed(schema, f.version(), f.description(), f.schemaVersion(),
        new Payload.RunError(f.sqlState(), f.getMessage()), durationMs));
  }

  /**
   * Each migration's start and end in the log, from the runner's thread, in order: its start (and any wait for a
   * lock) on the run's lock session, which nothing else uses meanwhile; its end in its own transaction.
   */
  private final class Progress implements Runner.Progress {
    @Override
    public void started(String version, String description) {
      running = version;
      // Another attempt of the last migration (the first rolled back after the outcome was written) writes its own.
      if (version != null && version.equals(target)) early = null;
      recorder.appendAndWait(new Payload.MigrationStarted(schema, version, description), lease.client());
    }

    @Override
    public void applied(Connection migration, String version, String description, long durationMs,
        boolean indexesValid) throws SQLException {
      // In the migration's own transaction: a crash before its commit leaves no 'applied' behind.
      recorder.appendInTransaction(migration, new Payload.MigrationApplied(schema, version, description, durationMs));
      executed++;
      // The last one's transaction carries the outcome too: the schema is on record as ready at the very commit that
      // makes it so — not after Flyway's bookkeeping — and never without it.
      if (migration != null && indexesValid && version != null && version.equals(target) && !migration.getAutoCommit()) {
        long transaction = recorder.transaction(migration);
        early = new EarlyReady(recorder.appendInTransaction(migration, new Payload.SchemaReady(schema, version, executed,
            (clock.nanoTime() - startedNanos) / 1_000_000)), transaction);
      }
    }

    @Override
    public String target() {
      return target;
    }

    @Override
    public void blocked(Payload.MigrationBlocked blocked) {
      recorder.appendAndWait(blocked, lease.client());
    }

    @Override
    public void retrying(Payload.MigrationRetrying retrying) {
      recorder.appendAndWait(retrying, lease.client());
    }

    @Override
    public void intervened(Payload.MigrationIntervened intervened) {
      recorder.appendAndWait(intervened, lease.client());
    }

    @Override
    public boolean pause(Duration delay) throws InterruptedException {
      return !abort.await(delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public String abortedBy() {
      return abortedBy;
    }

    @Override
    public void onAbort(Runnable cancel) {
      Run.this.cancel = cancel;
      if (abortedBy != null) cancel.run();
    }
  }

  /** The run ended without an outcome; its waiters stay, and the run is tried again. */
  private static final class RunInterrupted extends RuntimeException {
    final MigrationFailure failure;
    /** Flyway's lock was held by another session: no attempt spent. */
    final boolean busy;

    RunInterrupted(MigrationFailure cause, boolean busy) {
      super(cause.getMessage(), cause);
      this.failure = cause;
      this.busy = busy;
    }
  }
}
