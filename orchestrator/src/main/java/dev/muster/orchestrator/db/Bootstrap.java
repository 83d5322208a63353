package dev.muster.orchestrator.db;

import dev.muster.orchestrator.lock.LockKeys;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;

/**
 * Creates Muster's own objects in schema {@code muster}. Replicas starting together would race on
 * {@code CREATE SCHEMA/TABLE IF NOT EXISTS} — PostgreSQL's catalog answers
 * {@code duplicate key ... pg_type_typname_nsp_index}, the very race Muster exists to prevent — so the DDL
 * runs in one transaction under the bootstrap advisory lock. A transaction-level lock that waits is safe
 * here: nothing that holds it waits on anything else.
 */
public final class Bootstrap {

  private static final String DDL = String.join("\n",
      "SET LOCAL client_min_messages = warning;", // no 'already exists, skipping' notices on every start
      "SELECT pg_advisory_xact_lock(" + LockKeys.NAMESPACE + ", " + LockKeys.BOOTSTRAP + ");",
      "CREATE SCHEMA IF NOT EXISTS muster;",
      // One row whose lock orders appends: numbers are gapless and commit in order.
      "CREATE TABLE IF NOT EXISTS muster.event_counter (",
      "  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),",
      "  seq bigint NOT NULL);",
      "INSERT INTO muster.event_counter (singleton, seq) VALUES (true, 0) ON CONFLICT DO NOTHING;",
      "CREATE TABLE IF NOT EXISTS muster.events (",
      "  seq bigint PRIMARY KEY,",
      "  at timestamptz NOT NULL DEFAULT now(),",
      "  type text NOT NULL,",
      "  schema_name text,",
      "  data jsonb NOT NULL);",
      "CREATE INDEX IF NOT EXISTS events_by_schema ON muster.events (schema_name, seq);");

  private Bootstrap() {}

  public static Future<Void> run(Pool pool) {
    return pool.withTransaction(conn -> conn.query(DDL).execute()).mapEmpty();
  }
}
