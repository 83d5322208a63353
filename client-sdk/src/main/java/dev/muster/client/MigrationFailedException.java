package dev.muster.client;

import java.net.URI;

/**
 * The schema's migration failed; the schema is not at the required version. The message carries the
 * SQLSTATE and the database's message, or, for a delegated run, the migration command's exit code and
 * the last line of its output. Exit code {@code 3}.
 */
public final class MigrationFailedException extends MusterException {
  private final String sqlState;
  private final String migrationVersion;
  private final String description;
  private final Integer commandExitCode;
  private final String output;

  MigrationFailedException(String schema, String migrationVersion, String description, String sqlState,
      String serverMessage, Integer commandExitCode, String output, URI orchestrator) {
    super(describe(schema, migrationVersion, description, sqlState, serverMessage, commandExitCode, output,
        orchestrator), null);
    this.sqlState = sqlState;
    this.migrationVersion = migrationVersion;
    this.description = description;
    this.commandExitCode = commandExitCode;
    this.output = output;
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

  /**
   * The exit code of the migration command of a delegated run, such as {@code 1}; {@code null} for a
   * run of the orchestrator's own.
   */
  public Integer commandExitCode() {
    return commandExitCode;
  }

  /** The last lines of the migration command's output (up to 4 KiB), for a delegated run; else {@code null}. */
  public String output() {
    return output;
  }

  /** Always {@code 3}: the migration failed. */
  @Override
  public int exitCode() {
    return 3;
  }

  private static String describe(String schema, String version, String description, String sqlState,
      String serverMessage, Integer commandExitCode, String output, URI orchestrator) {
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
    if (serverMessage != null) {
      message.append(serverMessage);
    } else if (commandExitCode != null) {
      message.append("the migration command exited with ").append(commandExitCode);
    } else {
      message.append("no details reported");
    }
    String lastLine = output == null ? "" : output.strip().lines().reduce((first, second) -> second).orElse("");
    if (!lastLine.isEmpty() && (serverMessage == null || !serverMessage.contains(lastLine))) {
      message.append(" (last output: ").append(lastLine.length() > 300 ? lastLine.substring(0, 300) + "..." : lastLine)
          .append(')');
    }
    return message.append(" (from ").append(orchestrator).append(')').toString();
  }
}
