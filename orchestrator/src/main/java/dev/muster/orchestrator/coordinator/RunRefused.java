package dev.muster.orchestrator.coordinator;

/** A migrator's heartbeat or report the coordinator will not take, and why; {@code http/} answers it. */
public final class RunRefused extends RuntimeException {

  /** Why a migrator's call is refused. */
  public enum Reason {
    /** No such run is known here. */
    UNKNOWN_RUN,
    /** The run's lease was revoked, or the run has settled: the caller must stop its command. */
    LEASE_LOST,
    /** Another replica holds the run: the caller tries the next orchestrator. */
    ELSEWHERE
  }

  private final Reason reason;

  RunRefused(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
