package dev.muster.client;

/**
 * No orchestrator accepted the arrival before the wait's timeout: every attempt was refused, timed
 * out, or answered with a server error. The message lists the URLs tried and the last error, which
 * is also the cause when it was an I/O failure. Exit code {@code 5}.
 */
public final class OrchestratorUnreachableException extends MusterException {
  OrchestratorUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Always {@code 5}: the orchestrator could not be reached. */
  @Override
  public int exitCode() {
    return 5;
  }
}
