package dev.muster.orchestrator.lock;

import dev.muster.orchestrator.config.DatabaseUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Many schemas' locks on one JDBC session — one backend for a whole {@code migrate --all}, however many schemas
 * it holds at once — with the same keys and rules as {@link SchemaLock} ({@link LockSql}). Tries never wait.
 *
 * <p>A session takes an advisory lock it already holds again, so two tries of one schema here would both
 * succeed: the session remembers what it holds and refuses the second. Thread-safe. Closing the session (or
 * its process dying) lets every lock go.
 */
public final class LockSession implements AutoCloseable {
  private final Connection connection;
  private final int pid;
  /** Held schemas, and whether each holds its legacy key too. */
  private final Map<String, Boolean> held = new HashMap<>();

  private LockSession(Connection connection) throws SQLException {
    this.connection = connection;
    try (Statement st = connection.createStatement()) {
      st.execute(LockSql.marker());
      try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        pid = rs.getInt(1);
      }
    }
  }

  public static LockSession open(DatabaseUrl database, String replicaId) throws SQLException {
    Properties properties = new Properties();
    properties.putAll(database.jdbcProperties());
    properties.setProperty("ApplicationName", SchemaLock.applicationName(replicaId));
    Connection c = DriverManager.getConnection(database.jdbcUrl(), properties);
    try {
      return new LockSession(c);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  /** The session's backend pid, as {@code pg_locks} shows it. */
  public int pid() {
    return pid;
  }

  /** Takes {@code schema}'s lock if nobody (this session included) holds it; never waits. */
  public synchronized boolean tryLock(String schema) throws SQLException {
    if (held.containsKey(schema)) return false;
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(LockSql.tryLock(schema))) {
      rs.next();
      int state = rs.getInt(1);
      if (state == 0) return false;
      held.put(schema, state == 1);
      return true;
    }
  }

  /** Lets {@code schema}'s lock go, if held here. */
  public synchronized void unlock(String schema) throws SQLException {
    Boolean withLegacy = held.remove(schema);
    if (withLegacy == null) return;
    try (Statement st = connection.createStatement()) {
      st.executeQuery(LockSql.unlock(schema, withLegacy)).close();
    }
  }

  @Override
  public synchronized void close() throws SQLException {
    held.clear();
    connection.close(); // the session's end lets every lock go
  }
}
