package dev.muster.orchestrator.db;

import dev.muster.orchestrator.config.DatabaseUrl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Prepares Muster's own objects in schema {@code muster} before anything else touches them: its versioned
 * migrations ({@link MusterSchema}), under the bootstrap advisory lock. Replicas starting together would otherwise
 * race on {@code CREATE SCHEMA/TABLE} — PostgreSQL's catalog answers {@code duplicate key ...
 * pg_type_typname_nsp_index}, the very race Muster exists to prevent.
 */
public final class Bootstrap {

  private Bootstrap() {}

  /** On a worker thread (Flyway and JDBC block); fails with {@link MusterSchema.NewerSchemaException} on a newer schema. */
  public static Future<Void> run(Vertx vertx, DatabaseUrl database) {
    return vertx.executeBlocking(() -> {
      MusterSchema.migrate(database);
      return null;
    }, false);
  }
}
