package dev.muster.orchestrator.projection;

import java.util.List;

/**
 * What a schema's migration files and its history say of it now (Flyway's {@code info}): one of the projection's
 * two inputs, beside the event log.
 *
 * @param current the applied version, {@code null} when nothing is applied
 * @param latest  the newest version among the migration files, {@code null} when there are none
 * @param pending migrations not applied yet, oldest first
 */
public record SchemaInfo(String schema, String current, String latest, List<Migration> pending) {

  public SchemaInfo {
    pending = List.copyOf(pending);
  }

  public boolean upToDate() {
    return pending.isEmpty();
  }

  /** One migration file as the status pages list it. */
  public record Migration(String version, String description, String script) {}
}
