package dev.muster.client;

import java.net.URI;

/**
 * The orchestrator ran the schema's migrations and one failed; the schema is not at the required
 * version. The message carries the SQLSTATE and the database's message. Exit code {@code 3}.
 */
public final class MigrationFailedException extends MusterException {
  private final String sqlState;
  private final String migrationVersion;
  private final String description;

  MigrationFailedException(String schema, String migrationVersion, String description, String sqlState,
      String serverMessage, URI orchestrator) {
    super(describe(schema, migrationVersion, description, sqlState, serverMessage, orchestrator), null);
    this.sqlState = sqlState;
    this.migrationVersion = migrationVersion;
    this.description = description;
  }

  /** The SQLSTATE of the failed statement, such as {@code 42P01}; {@code null} if not reported. */
  public String sqlState() {
    return sqlState;
  }

  /** The version of the migration that failed, such as {@code 3}; {@code null} if not reported. */
  public String migrationVersion() {
    return migrationVersion;
  }

  /** The failed migration's description, such as {@code add orders}; {@code null} if not reported. */
  public String description() {
    return description;
  }

  /** Always {@code 3}: the migration failed. */
  @Override
  public int exitCode() {
    return 3;
  }

  private static String describe(String schema, String version, String description, String sqlState,
      String serverMessage, URI orchestrator) {
    StringBuilder message = new StringBuilder();
    if (version != null) {
      message.append("migration V").append(version);
      if (description != null) {
        message.append(" '").append(description).append('\'');
      }
      message.append(" of schema ").append(schema).append(" failed: ");
    } else {
      message.append("schema ").append(schema).append(" failed to migrate: ");
    }
    if (sqlState != null) {
      message.append("SQLSTATE ").append(sqlState).append(": ");
    }
    message.append(serverMessage == null ? "no details reported" : serverMessage);
    return message.append(" (from ").append(orchestrator).append(')').toString();
  }
}
