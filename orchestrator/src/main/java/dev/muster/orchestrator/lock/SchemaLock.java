package dev.muster.orchestrator.lock;

import dev.muster.orchestrator.db.KeepAlive;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per-schema session-level advisory locks, each held on a connection of its own. {@link #holders} reads who
 * holds them, for readers that run no coordinator ({@code status}).
 *
 * <p>Never a pooled connection: closing one only returns it to the pool, with the lock still held. And
 * never a blocking {@code pg_advisory_lock}: a session waiting in it holds a snapshot that
 * {@code CREATE INDEX CONCURRENTLY} in the holder's migration waits for, while it waits for the holder —
 * a deadlock (flyway#1654, golang-migrate#960). Callers try, and try again when events say so.
 *
 * <p>One idle connection is kept for tries; when a try succeeds, that connection becomes the lock.
 * Not thread-safe: use it from one Vert.x context.
 */
public final class SchemaLock implements Locks {
  private static final String HOLDER = "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
      + " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 2"
      + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

  private final Vertx vertx;
  private final PgConnectOptions options;
  private Future<PgConnection> spare;

  public SchemaLock(Vertx vertx, PgConnectOptions options, String replicaId) {
    this.vertx = vertx;
    this.options = new PgConnectOptions(options)
        .addProperty("application_name", applicationName(replicaId));
  }

  /** The {@code application_name} of lock connections, which status pages read back from {@code pg_stat_activity}. */
  public static String applicationName(String replicaId) {
    String name = "muster-lock:" + replicaId;
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  /**
   * Tries to take {@code schema}'s lock without waiting. Completes with the held lock, or {@code null} when
   * another session holds it. Must be called on one context (the coordinator's).
   *
   * @param lost called if the lock's connection closes while held (the lock is then gone)
   */
  @Override
  public Future<Lease> tryAcquire(String schema, Consumer<String> lost) {
    // Take the spare for this try alone: two tries sharing a session could both succeed on it.
    Future<PgConnection> connection = spare != null ? spare : PgConnection.connect(vertx, options)
        // An idle lock session must outlive any idle timeout: a lock that vanishes mid-run invites a take-over.
        .compose(c -> KeepAlive.apply(c).recover(e -> c.close().transform(v -> Future.failedFuture(e))));
    spare = null;
    return connection.compose(conn -> conn
        .preparedQuery("SELECT pg_try_advisory_lock($1, $2) AS locked")
        .execute(Tuple.of(LockKeys.NAMESPACE, LockKeys.forSchema(schema)))
        .compose(rows -> {
          if (!rows.iterator().next().getBoolean("locked")) {
            keepSpare(conn);
            return Future.<Lease>succeededFuture(null);
          }
          Held held = new Held(schema, conn);
          conn.closeHandler(v -> {
            if (!held.released) lost.accept(schema);
          });
          return Future.<Lease>succeededFuture(held);
        }, failure -> conn.close().transform(v -> Future.<Lease>failedFuture(failure))));
  }

  /**
   * Who holds each of {@code schemas}' locks in this database, by schema: the replica id for a Muster lock
   * session, {@code "session <application_name>"} for another session. Schemas whose lock is free are absent.
   */
  public static Map<String, String> holders(Connection c, Collection<String> schemas) throws SQLException {
    Map<String, String> holders = new HashMap<>();
    String prefix = applicationName("");
    try (PreparedStatement st = c.prepareStatement(HOLDER)) {
      for (String schema : schemas) {
        st.setLong(1, Integer.toUnsignedLong(LockKeys.NAMESPACE));
        st.setLong(2, Integer.toUnsignedLong(LockKeys.forSchema(schema)));
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next()) continue;
          String name = rs.getString(1);
          holders.put(schema, name != null && name.startsWith(prefix) ? name.substring(prefix.length()) : "session " + name);
        }
      }
    }
    return holders;
  }

  private void keepSpare(PgConnection conn) {
    if (spare == null) {
      spare = Future.succeededFuture(conn);
    } else {
      conn.close();
    }
  }

  public Future<Void> close() {
    Future<PgConnection> s = spare;
    spare = null;
    return s == null ? Future.succeededFuture() : s.compose(PgConnection::close).otherwise((Void) null);
  }

  /** A lock this replica holds. {@link #release} unlocks it and closes its connection. */
  private static final class Held implements Lease {
    private final String schema;
    private final PgConnection connection;
    private boolean released;

    private Held(String schema, PgConnection connection) {
      this.schema = schema;
      this.connection = connection;
    }

    @Override
    public int session() {
      return connection.processId();
    }

    @Override
    public Future<Void> release() {
      released = true;
      // Closing the session releases the lock too; unlocking first makes the release explicit in the logs.
      return connection.preparedQuery("SELECT pg_advisory_unlock($1, $2)")
          .execute(Tuple.of(LockKeys.NAMESPACE, LockKeys.forSchema(schema)))
          .<Void>mapEmpty()
          .eventually(connection::close)
          .otherwise((Void) null);
    }
  }
}
