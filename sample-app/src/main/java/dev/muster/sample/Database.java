package dev.muster.sample;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A few JDBC connections shared by a service's threads. A real service would use HikariCP; this keeps the
 * sample free of anything but the driver. A connection found broken is replaced on the next borrow.
 */
final class Database implements AutoCloseable {
  /** Work done on a borrowed connection. */
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  private final SampleConfig config;
  private final String applicationName;
  private final BlockingQueue<Connection> idle;
  private final List<Connection> all = new ArrayList<>();
  private volatile boolean closed;

  private Database(SampleConfig config, String applicationName, int size) {
    this.config = config;
    this.applicationName = applicationName;
    this.idle = new ArrayBlockingQueue<>(size);
  }

  /** Opens {@code size} connections at once, so a bad URL or password fails the start, not the first request. */
  static Database open(SampleConfig config, String applicationName, int size) throws SQLException {
    Database db = new Database(config, applicationName, size);
    try {
      for (int i = 0; i < size; i++) db.idle.add(db.connect());
    } catch (SQLException e) {
      db.close();
      throw e;
    }
    return db;
  }

  /** A new connection of its own, outside the pool, for a session that LISTENs. */
  Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(config.jdbcUrl(), config.connectionProperties(applicationName));
    synchronized (all) {
      all.add(c);
    }
    return c;
  }

  /** Runs {@code work} in one transaction, committed if it returns and rolled back if it throws. */
  <T> T transaction(Work<T> work) throws SQLException {
    Connection c = borrow();
    boolean broken = false;
    try {
      c.setAutoCommit(false);
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException rollbackFailed) {
        broken = true;
      }
      throw e;
    } finally {
      giveBack(c, broken);
    }
  }

  private Connection borrow() throws SQLException {
    if (closed) throw new SQLException("the service is stopping");
    Connection c;
    try {
      c = idle.poll(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for a connection", e);
    }
    if (c == null) throw new SQLException("no database connection free for 30 s");
    if (c.isClosed() || !c.isValid(2)) {
      forget(c);
      try {
        c = connect();
      } catch (SQLException e) {
        idle.add(c); // keep the slot; the next borrow tries again
        throw e;
      }
    }
    return c;
  }

  private void giveBack(Connection c, boolean broken) {
    if (broken) {
      forget(c);
      try {
        c.close();
      } catch (SQLException ignored) {
        // it was broken already
      }
    }
    idle.add(c);
  }

  private void forget(Connection c) {
    synchronized (all) {
      all.remove(c);
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (all) {
      for (Connection c : all) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // stopping anyway
        }
      }
      all.clear();
    }
  }
}
