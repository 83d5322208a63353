package dev.muster.client;

/**
 * Thrown by a {@link Migrator} whose migration command failed: the run is reported {@code failed} with
 * this exit code and output (its last 4 KiB), which every waiting instance receives.
 */
public final class MigrationCommandException extends Exception {
  private final int commandExitCode;
  private final String output;

  /**
   * @param commandExitCode the command's exit code, such as {@code 1}
   * @param output what the command printed; only the last 4 KiB are reported
   */
  public MigrationCommandException(int commandExitCode, String output) {
    super("the migration command exited with " + commandExitCode);
    this.commandExitCode = commandExitCode;
    this.output = output == null ? "" : output;
  }

  public int commandExitCode() {
    return commandExitCode;
  }

  public String output() {
    return output;
  }
}
