package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import picocli.CommandLine.Option;

/** Flags every command shares; each mirrors a {@code MUSTER_*} variable and wins over it. */
public final class Settings {
  @Option(names = "--database-url", paramLabel = "URL", description = "postgresql://user:pass@host:port/db "
      + "(env MUSTER_DATABASE_URL; unset: embedded PostgreSQL under .muster/)")
  String databaseUrl;

  @Option(names = "--migrations", paramLabel = "LOCATIONS", description = "Flyway locations, comma-separated "
      + "(env MUSTER_MIGRATIONS; default filesystem:migrations)")
  String migrations;

  @Option(names = "--schemas", paramLabel = "PATTERNS", description = "schemas that may be migrated: names and "
      + "* patterns (env MUSTER_SCHEMAS; default public)")
  String schemas;

  @Option(names = "--create-schemas", arity = "0..1", paramLabel = "BOOL", description = "create a matching schema "
      + "that does not exist yet (env MUSTER_CREATE_SCHEMAS; default false)")
  Boolean createSchemas;

  @Option(names = "--max-parallel", paramLabel = "N", description = "schemas migrated at the same time "
      + "(env MUSTER_MAX_PARALLEL; default 4)")
  Integer maxParallel;

  public MusterConfig config() {
    MusterConfig.Builder b = MusterConfig.fromEnvironment(System.getenv()).toBuilder();
    if (databaseUrl != null) b.database(DatabaseUrl.parse(databaseUrl));
    if (migrations != null) b.migrations(MusterConfig.csv(migrations));
    if (schemas != null) b.schemas(SchemaNames.parse(schemas));
    if (createSchemas != null) b.createSchemas(createSchemas);
    if (maxParallel != null) b.maxParallel(maxParallel);
    return b.build();
  }
}
