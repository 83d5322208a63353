package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.projection.SchemaInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@link FlywayRunner}, which blocks, off the event loops; unordered, so schemas run side by side. Quick reads go
 * to Vert.x's worker pool; runs (which may take hours, or wait for a previous run) to an executor of their own,
 * where no blocked-thread warning applies.
 */
public final class WorkerRunner implements Runner {
  /** A run has no time limit: the blocked-thread checker must not warn about one (its default is 60 s). */
  private static final long RUN_MAX_EXECUTE_DAYS = 365;

  private final Vertx vertx;
  private final FlywayRunner flyway;
  private final WorkerExecutor runs;

  /** @param parallel how many runs may go at once (the replica's parallel limit) */
  public WorkerRunner(Vertx vertx, FlywayRunner flyway, int parallel) {
    this.vertx = vertx;
    this.flyway = flyway;
    this.runs = vertx.createSharedWorkerExecutor("muster-runs", Math.max(1, parallel), RUN_MAX_EXECUTE_DAYS,
        TimeUnit.DAYS);
  }

  @Override
  public Future<SchemaInfo> inspect(String schema) {
    return vertx.executeBlocking(() -> flyway.info(schema), false);
  }

  @Override
  public Future<Prepared> prepare(String schema) {
    // A previous run whose lock session was lost finishes first; then the index builds: what they drop, the next
    // info reports pending again.
    return runs.executeBlocking(() -> {
      flyway.awaitPreviousRun(schema);
      return new Prepared(flyway.dropInterruptedIndexes(schema), flyway.info(schema));
    }, false);
  }

  @Override
  public Future<Result> migrate(String schema, Progress progress) {
    return runs.executeBlocking(() -> flyway.migrate(schema, progress), false);
  }

  /**
   * Fails with {@link IllegalArgumentException} when the locations hold no migrations (a path that does not exist, an
   * empty directory): a replica must not start and call every schema "ready, no version".
   */
  public Future<Void> checkLocations(String schema) {
    return vertx.executeBlocking(() -> {
      if (flyway.migrationFiles(schema) == 0) {
        throw new IllegalArgumentException("MUSTER_MIGRATIONS " + String.join(",", flyway.locations()) + " holds no"
            + " migrations: the location does not exist or is empty (set MUSTER_ALLOW_NO_MIGRATIONS=true if that is"
            + " intended)");
      }
      return null;
    }, false);
  }

  /** Lets the runs' executor go (a shared one: it closes when its last user closes it). */
  public Future<Void> close() {
    return runs.close();
  }
}
