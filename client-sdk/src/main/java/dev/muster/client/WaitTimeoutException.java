package dev.muster.client;

/**
 * The schema was not ready before the wait's timeout, although an orchestrator accepted the
 * arrival (or the orchestrator itself gave up on it). The message says what was last seen, such as
 * the migration still running. Exit code {@code 4}.
 */
public final class WaitTimeoutException extends MusterException {
  private final MusterEvent lastEvent;

  WaitTimeoutException(String message, MusterEvent lastEvent) {
    super(message, null);
    this.lastEvent = lastEvent;
  }

  /** The last event received before giving up; {@code null} if none arrived. */
  public MusterEvent lastEvent() {
    return lastEvent;
  }

  /** Always {@code 4}: gave up waiting. */
  @Override
  public int exitCode() {
    return 4;
  }
}
