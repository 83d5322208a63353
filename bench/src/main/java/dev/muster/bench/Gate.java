package dev.muster.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Holds a migration back until every client waits: the bench takes an exclusive advisory lock named after
 * the schema, and the gated migration's first statement ({@link #WAIT_SQL}) takes the same lock shared, in its
 * transaction, so it proceeds the moment the bench {@linkplain #open() opens} the gate. A fixed sleep would
 * either waste time or, with many clients, end before the last of them had arrived.
 *
 * <p>The key space {@code (0x42454E43 "BENC", hashtext(schema))} is apart from Muster's ({@code 1297437524})
 * and Flyway's (one bigint).
 */
final class Gate implements AutoCloseable {
  static final int KEY = 0x42454E43;
  /** Flyway sets {@code search_path} to the schema it migrates, so {@code current_schema()} names it. */
  static final String WAIT_SQL = "-- The bench's gate: waits until every client of the run is waiting.\n"
      + "SELECT pg_advisory_xact_lock_shared(" + KEY + ", hashtext(current_schema()));\n";

  private final Connection connection;
  private final String schema;
  private boolean open;

  private Gate(Connection connection, String schema) {
    this.connection = connection;
    this.schema = schema;
  }

  /** Closes the gate of {@code schema}: its gated migration will wait. */
  static Gate close(BenchDatabase db, String schema) {
    try {
      Connection c = db.connect();
      Gate gate = new Gate(c, schema);
      gate.call("pg_advisory_lock");
      return gate;
    } catch (SQLException e) {
      throw new IllegalStateException("could not close the gate of " + schema + ": " + e.getMessage(), e);
    }
  }

  /** Lets the gated migration go on. */
  void open() {
    if (open) return;
    open = true;
    try {
      call("pg_advisory_unlock");
    } catch (SQLException e) {
      throw new IllegalStateException("could not open the gate of " + schema + ": " + e.getMessage(), e);
    }
  }

  private void call(String function) throws SQLException {
    try (PreparedStatement st = connection.prepareStatement("SELECT " + function + "(" + KEY + ", hashtext(?))")) {
      st.setString(1, schema);
      st.executeQuery().close();
    }
  }

  @Override
  public void close() {
    try {
      connection.close(); // also opens the gate, should open() not have been reached
    } catch (SQLException e) {
      System.err.println("bench: could not close the gate connection: " + e.getMessage());
    }
  }
}
