package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.Event;
import io.vertx.core.Future;

/**
 * The elected migrators' side of delegated runs ({@code docs/api.md}): the hand-off of a {@code ?wait=true}
 * arrival to its election, heartbeats and reports. Confined to the coordinator's context, as the coordinator is.
 */
public final class Migrators {
  private final MusterConfig config;
  private final Delegation delegation;
  private final Waiters waiters;

  Migrators(MusterConfig config, Delegation delegation, Waiters waiters) {
    this.config = config;
    this.delegation = delegation;
    this.waiters = waiters;
  }

  /**
   * The arrival's {@code ?wait=true} is answered with its election as migrator of {@code run}: it leaves the waiters,
   * and from now on its heartbeats alone hold the lease. False when it is not that run's migrator (any longer).
   */
  public boolean handOff(Arrival arrival, long run) {
    if (!delegation.handOff(arrival, run)) return false;
    waiters.detach(arrival);
    return true;
  }

  /** The migrator's heartbeat: its lease starts again. Fails with {@link RunRefused}. */
  public void heartbeat(long run, String service, String instance) {
    delegation.live(run).heartbeat(run, service, instance);
  }

  /**
   * The migrator's report, {@code done} (with the version reached, or none) or {@code failed} (exit code, output's
   * tail): completes with the outcome in the log. Fails with {@link RunRefused}, or when the log cannot be written.
   */
  public Future<Event> report(long run, String service, String instance, boolean done, String version, Integer exitCode,
      String output) {
    DelegatedRun live;
    try {
      live = delegation.live(run);
    } catch (RunRefused e) {
      return Future.failedFuture(e);
    }
    return live.report(run, service, instance, new DelegatedRun.Report(done, version, exitCode, output));
  }

  /** The lease clients are told: whole seconds. */
  public long leaseSeconds() {
    return DelegatedRun.leaseSeconds(config.migratorLease());
  }
}
