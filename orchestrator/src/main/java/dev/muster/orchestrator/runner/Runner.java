package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.projection.SchemaInfo;
import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * How one schema's migrations are brought up to date: {@link WorkerRunner} runs Flyway; a runner that hands the
 * work to an elected service instance fits the same shape. Calls never block the caller.
 */
public interface Runner {

  /** What the schema is at and what its migrations reach. */
  Future<SchemaInfo> inspect(String schema);

  /** Whether the schema exists; a runner that cannot tell says yes. */
  default Future<Boolean> exists(String schema) {
    return Future.succeededFuture(true);
  }

  /** Under the schema's lock, before a run: repairs what a dead holder left behind, then inspects. */
  Future<Prepared> prepare(String schema);

  /** Applies what is pending, telling {@code progress}; fails with {@link MigrationFailure}. */
  Future<Result> migrate(String schema, Progress progress);

  /** Told of each migration as it runs, on the runner's thread, which waits for each call. */
  interface Progress {
    void started(String version, String description);

    /**
     * The migration succeeded; {@code migration} is its connection, still inside its transaction when it
     * has one, so what is written there commits with the migration (and its history row) or not at all.
     *
     * @param indexesValid no index of the schema is INVALID after it (looked up on {@code migration}); when false,
     *                     or unknown, the runner checks again before it returns
     */
    void applied(Connection migration, String version, String description, long durationMs, boolean indexesValid)
        throws SQLException;

    /**
     * The version the run was started to reach, or {@code null} for all that is pending: a runner applies nothing
     * beyond it (migration files added since the run read the schema wait for the next run).
     */
    default String target() {
      return null;
    }

    // Lock safety (docs/lock-safety.md): what a runner that waits on locks tells, and how it is stopped.

    /** The migration waits on locks these sessions hold; told when the set of blockers changes. */
    default void blocked(Payload.MigrationBlocked blocked) {}

    /** The migration's lock wait timed out; it is tried again after a pause. */
    default void retrying(Payload.MigrationRetrying retrying) {}

    /** The automatic policy signalled a blocker. */
    default void intervened(Payload.MigrationIntervened intervened) {}

    /**
     * Pauses before the next attempt; returns false, early, when the run is aborted meanwhile.
     */
    default boolean pause(Duration delay) throws InterruptedException {
      Thread.sleep(delay.toMillis());
      return true;
    }

    /** Who aborted the run, or {@code null} while it goes on. */
    default String abortedBy() {
      return null;
    }

    /** What the runner does to stop its statement under way when the run is aborted (a cancel of its session). */
    default void onAbort(Runnable cancel) {}
  }

  /** What a run found under the lock: the interrupted index builds it dropped, and the schema then. */
  record Prepared(List<String> droppedInvalidIndexes, SchemaInfo info) {
    public Prepared {
      droppedInvalidIndexes = List.copyOf(droppedInvalidIndexes);
    }
  }

  /** The outcome of a successful run: the version reached, and how many migrations it applied. */
  record Result(String version, int executed) {}
}
