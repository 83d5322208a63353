package dev.muster.orchestrator.http;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.projection.SchemaView;
import dev.muster.orchestrator.runner.RunSessions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.DriverManager;

/** A schema's run session as PostgreSQL shows it now, for the one-schema read; on a worker thread. */
final class RunBackends {
  private final Vertx vertx;
  private final DatabaseUrl database;

  RunBackends(Vertx vertx, DatabaseUrl database) {
    this.vertx = vertx;
    this.database = database;
  }

  /** Completes with {@code null} when the schema has no run session now (between two attempts). */
  Future<SchemaView.RunBackend> of(String schema) {
    return vertx.executeBlocking(() -> {
      try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
        return RunSessions.backend(c, schema);
      }
    }, false);
  }
}
