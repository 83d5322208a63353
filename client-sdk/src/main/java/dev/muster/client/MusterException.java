package dev.muster.client;

/**
 * Why a service may not start: the root of everything {@link MusterClient} throws for a wait that
 * did not end with the schema ready. {@link #exitCode()} is the process exit code the Muster contract
 * assigns to the failure, so a launcher can end with it:
 *
 * <pre>{@code
 * } catch (MusterException e) {
 *     System.err.println(e.getMessage());
 *     System.exit(e.exitCode());
 * }
 * }</pre>
 */
public abstract sealed class MusterException extends RuntimeException
    permits ArrivalRejectedException, MigrationFailedException, WaitTimeoutException,
        OrchestratorUnreachableException {

  MusterException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The exit code for this failure: {@code 2} bad usage or configuration, {@code 3} the migration
   * failed, {@code 4} gave up waiting, {@code 5} the orchestrator could not be reached.
   */
  public abstract int exitCode();
}
