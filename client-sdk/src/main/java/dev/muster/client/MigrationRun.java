package dev.muster.client;

import java.time.Duration;

/** The delegated run a {@link Migrator} was elected for. */
public final class MigrationRun {
  private final long run;
  private final String schema;
  private final String versionBefore;
  private final String requiredVersion;
  private final Duration lease;
  private volatile boolean leaseLost;

  MigrationRun(long run, String schema, String versionBefore, String requiredVersion, Duration lease) {
    this.run = run;
    this.schema = schema;
    this.versionBefore = versionBefore;
    this.requiredVersion = requiredVersion;
    this.lease = lease;
  }

  /** The run's id: the sequence number of its {@code migrator.elected} event. */
  public long run() {
    return run;
  }

  /** The schema to migrate. */
  public String schema() {
    return schema;
  }

  /** The version the orchestrator recorded before this run; {@code null} if none. */
  public String versionBefore() {
    return versionBefore;
  }

  /** The version the elected arrival required; {@code null} if it named none. */
  public String requiredVersion() {
    return requiredVersion;
  }

  /** How long the lease lasts without a heartbeat; the wait heartbeats every third of it. */
  public Duration lease() {
    return lease;
  }

  /** Whether the orchestrator revoked this run's lease: the migrator must stop, its outcome will not count. */
  public boolean leaseLost() {
    return leaseLost;
  }

  void loseLease() {
    leaseLost = true;
  }

  @Override
  public String toString() {
    return "run " + run + " of schema " + schema + (versionBefore == null ? "" : " from version " + versionBefore)
        + (requiredVersion == null ? "" : " to " + requiredVersion);
  }
}
