package dev.muster.client;

import java.net.URI;
import java.time.Duration;

/** The schema is ready for this service: the successful end of {@link MusterClient#awaitReady()}. */
public final class Ready {
  private final String schema;
  private final String version;
  private final Duration waited;
  private final URI orchestrator;
  private final boolean migrated;

  Ready(String schema, String version, Duration waited, URI orchestrator, boolean migrated) {
    this.schema = schema;
    this.version = version;
    this.waited = waited;
    this.orchestrator = orchestrator;
    this.migrated = migrated;
  }

  /** The schema that is ready, such as {@code public}. */
  public String schema() {
    return schema;
  }

  /** The schema's version, such as {@code 4}; {@code null} if the orchestrator did not report it. */
  public String version() {
    return version;
  }

  /** How long the service waited, from the start of the wait. */
  public Duration waited() {
    return waited;
  }

  /** The base URL of the orchestrator that reported the schema ready. */
  public URI orchestrator() {
    return orchestrator;
  }

  /**
   * Whether this instance was the schema's elected migrator and its {@linkplain
   * MusterClient.Builder#migrator migrator} brought the schema to this version.
   */
  public boolean migrated() {
    return migrated;
  }

  @Override
  public String toString() {
    return "schema " + schema + (version == null ? "" : " at V" + version) + " ready after "
        + Durations.format(waited) + (migrated ? ", migrated by this instance" : "") + " (from " + orchestrator + ")";
  }
}
