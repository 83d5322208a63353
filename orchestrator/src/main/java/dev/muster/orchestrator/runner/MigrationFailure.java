package dev.muster.orchestrator.runner;

import java.sql.SQLException;

/** A failed run: the database's SQLSTATE and message, and which migration was running. */
public final class MigrationFailure extends Exception {
  private final String sqlState;
  private final String version;
  private final String description;
  private final String schemaVersion;

  public MigrationFailure(Throwable cause, String version, String description, String schemaVersion) {
    super(messageOf(cause), cause);
    this.sqlState = sqlStateOf(cause);
    this.version = version;
    this.description = description;
    this.schemaVersion = schemaVersion;
  }

  /** A failure in Muster's own words ({@code message}), with the SQLSTATE it stands for. */
  public MigrationFailure(String sqlState, String message, Throwable cause, String version, String description,
      String schemaVersion) {
    super(message, cause);
    this.sqlState = sqlState;
    this.version = version;
    this.description = description;
    this.schemaVersion = schemaVersion;
  }

  /** The schema's version after the failure: the last migration that committed, {@code null} for none. */
  public String schemaVersion() {
    return schemaVersion;
  }

  /** The SQLSTATE (e.g. {@code 42P01}), or {@code null} when the failure did not come from the database. */
  public String sqlState() {
    return sqlState;
  }

  /**
   * True when the database went away under the run (SQLSTATE class 08, or 57P01-03 for a server shutting
   * down): nothing is wrong with the migration, and PostgreSQL rolled back what was under way. Retry it.
   */
  public boolean connectionLost() {
    return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P0"));
  }

  /** SQLSTATE 57P01: {@code pg_terminate_backend}, or a server shutting down. */
  public boolean terminatedByAdministrator() {
    return "57P01".equals(sqlState);
  }

  /**
   * True when Flyway gave up waiting for its own lock on the history table: another session (a previous run, a
   * Flyway run outside Muster) still works on the schema. Nothing failed; run again later.
   */
  public boolean lockContention() {
    for (Throwable c = getCause(); c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && m.contains("attempting to acquire PostgreSQL advisory lock")) return true;
    }
    return false;
  }

  /** Version of the migration that failed, or {@code null} when no migration had started (e.g. validation). */
  public String version() {
    return version;
  }

  public String description() {
    return description;
  }

  private static String sqlStateOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException && ((SQLException) c).getSQLState() != null) return ((SQLException) c).getSQLState();
    }
    return null;
  }

  /** The database's own words when there are some; Flyway's otherwise. */
  private static String messageOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException && c.getMessage() != null) return c.getMessage();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
