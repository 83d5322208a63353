package dev.muster.orchestrator.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;

/**
 * Settings that keep Muster's long-lived sessions (a schema's lock, the listening session, a run's migration
 * sessions) alive where a database, proxy or load balancer closes idle ones: {@code idle_session_timeout} and
 * {@code idle_in_transaction_session_timeout} off for the session (an {@code ALTER DATABASE … SET} default would
 * otherwise close an idle lock session mid-run), and TCP keepalives from the server, so that neither a NAT nor a
 * load balancer drops a quiet connection and a vanished client's backend ends. Per session, never server-wide.
 */
public final class KeepAlive {
  /** One statement, so it can be a JDBC {@code initSql} as well; {@code idle_session_timeout} exists from 14. */
  public static final String SQL = "SELECT set_config('tcp_keepalives_idle', '30', false),"
      + " set_config('tcp_keepalives_interval', '10', false),"
      + " set_config('idle_in_transaction_session_timeout', '0', false),"
      + " CASE WHEN current_setting('server_version_num')::int >= 140000"
      + " THEN set_config('idle_session_timeout', '0', false) END";

  private KeepAlive() {}

  /** Applies {@link #SQL} to {@code connection}; completes with it. */
  public static <C extends SqlConnection> Future<C> apply(C connection) {
    return connection.query(SQL).execute().map(rows -> connection);
  }
}
