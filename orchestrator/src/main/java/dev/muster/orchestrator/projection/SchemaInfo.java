package dev.muster.orchestrator.projection;

import java.util.List;

/**
 * What a schema's migration files and its history say of it now (Flyway's {@code info}): one of the projection's
 * two inputs, beside the event log.
 *
 * @param current the applied version, {@code null} when nothing is applied
 * @param latest  the newest version among the migration files, {@code null} when there are none
 * @param pending migrations not applied yet, oldest first
 * @param drift   Flyway's explanation when the applied migrations no longer match the files (an edited checksum, an
 *                applied migration whose file is gone, an applied version the files do not know), else {@code null}
 */
public record SchemaInfo(String schema, String current, String latest, List<Migration> pending, String drift) {

  public SchemaInfo {
    pending = List.copyOf(pending);
  }

  /** A schema whose history matches its files. */
  public SchemaInfo(String schema, String current, String latest, List<Migration> pending) {
    this(schema, current, latest, pending, null);
  }

  /** Whether its history no longer matches its files: never ready, until a {@code repair} accepts it. */
  public boolean drifted() {
    return drift != null;
  }

  public boolean upToDate() {
    return pending.isEmpty();
  }

  /** One migration file as the status pages list it. */
  public record Migration(String version, String description, String script) {}
}
