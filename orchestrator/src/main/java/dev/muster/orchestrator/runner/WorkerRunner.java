package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.projection.SchemaInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** {@link FlywayRunner}, which blocks, on Vert.x's worker threads; unordered, so schemas run side by side. */
public final class WorkerRunner implements Runner {
  private final Vertx vertx;
  private final FlywayRunner flyway;

  public WorkerRunner(Vertx vertx, FlywayRunner flyway) {
    this.vertx = vertx;
    this.flyway = flyway;
  }

  @Override
  public Future<SchemaInfo> inspect(String schema) {
    return vertx.executeBlocking(() -> flyway.info(schema), false);
  }

  @Override
  public Future<Boolean> exists(String schema) {
    return vertx.executeBlocking(() -> flyway.exists(schema), false);
  }

  @Override
  public Future<Prepared> prepare(String schema) {
    // The index builds first: what they drop, the next info reports pending again.
    return vertx.executeBlocking(() -> new Prepared(flyway.dropInterruptedIndexes(schema), flyway.info(schema)), false);
  }

  @Override
  public Future<Result> migrate(String schema, Progress progress) {
    return vertx.executeBlocking(() -> flyway.migrate(schema, progress), false);
  }
}
