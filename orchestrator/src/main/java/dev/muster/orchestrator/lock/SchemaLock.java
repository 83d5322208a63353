package dev.muster.orchestrator.lock;

import dev.muster.orchestrator.db.KeepAlive;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.SqlClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
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
 * <p>Keys: {@link LockKeys}. A lock is the schema's 64-bit key and, while replicas from before it may run, its
 * legacy CRC-32 key as well; a legacy key held by a session that takes new keys too is another schema's
 * (a CRC-32 collision) and does not stop the run ({@link LockSql#tryLock}).
 *
 * <p>One idle connection is kept for tries; when a try succeeds, that connection becomes the lock.
 * Not thread-safe: use it from one Vert.x context.
 */
public final class SchemaLock implements Locks {
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
    Future<PgConnection> connection = spare != null ? spare : connect();
    spare = null;
    return connection.compose(conn -> conn
        .query(LockSql.tryLock(schema))
        .execute()
        .compose(rows -> {
          int state = rows.iterator().next().getInteger("state");
          if (state == 0) {
            keepSpare(conn);
            return Future.<Lease>succeededFuture(null);
          }
          Held held = new Held(schema, conn, state == 1);
          conn.closeHandler(v -> {
            if (!held.released) lost.accept(schema);
          });
          return Future.<Lease>succeededFuture(held);
        }, failure -> conn.close().transform(v -> Future.<Lease>failedFuture(failure))));
  }

  /** A lock session: it holds the marker that says it takes new keys ({@link LockKeys#MARKER}). */
  /** A lock session: it must outlive any idle timeout, since a lock that vanishes mid-run invites a take-over. */
  private Future<PgConnection> connect() {
    return PgConnection.connect(vertx, options)
        .compose(conn -> KeepAlive.apply(conn).compose(c -> c.query(LockSql.marker()).execute())
            .map(rows -> conn)
            .recover(e -> conn.close().transform(v -> Future.failedFuture(e))));
  }

  /**
   * Who holds each of {@code schemas}' locks in this database, by schema: the replica id for a Muster lock
   * session, {@code "session <application_name>"} for another session. Schemas whose lock is free are absent.
   */
  public static Map<String, String> holders(Connection c, Collection<String> schemas) throws SQLException {
    Map<Long, String> byKey = new HashMap<>();
    Map<Long, List<String>> byLegacy = new HashMap<>();
    for (String schema : schemas) {
      byKey.put(LockKeys.key(schema), schema);
      byLegacy.computeIfAbsent(Integer.toUnsignedLong(LockKeys.legacy(schema)), k -> new ArrayList<>()).add(schema);
    }
    Map<String, String> holders = new HashMap<>();
    Map<String, String> oldHolders = new HashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(LockSql.HOLDERS)) {
      while (rs.next()) {
        String holder = holderName(rs.getString("application_name"));
        if (rs.getInt("kind") == 1) {
          String schema = byKey.get(rs.getLong("key"));
          if (schema != null) holders.put(schema, holder);
        } else if (!rs.getBoolean("new_keys")) {
          // A replica from before the new keys: it holds the legacy key of some schema with this CRC-32.
          for (String schema : byLegacy.getOrDefault(rs.getLong("key"), List.of())) oldHolders.put(schema, holder);
        }
      }
    }
    oldHolders.forEach(holders::putIfAbsent);
    return holders;
  }

  /** The replica id for a Muster lock session, {@code "session <application_name>"} for another session. */
  static String holderName(String applicationName) {
    String prefix = applicationName("");
    return applicationName != null && applicationName.startsWith(prefix) ? applicationName.substring(prefix.length())
        : "session " + applicationName;
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
    private final boolean withLegacy;
    private boolean released;

    private Held(String schema, PgConnection connection, boolean withLegacy) {
      this.schema = schema;
      this.connection = connection;
      this.withLegacy = withLegacy;
    }

    @Override
    public int session() {
      return connection.processId();
    }

    @Override
    public SqlClient client() {
      return connection;
    }

    @Override
    public Future<Void> release() {
      released = true;
      // Closing the session releases the lock too; unlocking first makes the release explicit in the logs.
      return connection.query(LockSql.unlock(schema, withLegacy))
          .execute()
          .<Void>mapEmpty()
          .eventually(connection::close)
          .otherwise((Void) null);
    }
  }
}
