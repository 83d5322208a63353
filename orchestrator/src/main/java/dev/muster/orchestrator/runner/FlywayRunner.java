package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.config.DatabaseUrl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Runs Flyway for one schema. Every method blocks: call it from a worker thread, never an event loop.
 * A new Flyway is configured per call, so fixed or added migration files are seen by the next run.
 */
public final class FlywayRunner {

  /** Told of each migration as it runs, on the runner's thread. */
  public interface Progress {
    void started(String version, String description);

    void applied(String version, String description, long durationMs);
  }

  /** The outcome of a successful run. */
  public record Result(String version, int executed) {}

  private final DatabaseUrl database;
  private final List<String> locations;
  private final boolean createSchemas;

  public FlywayRunner(DatabaseUrl database, List<String> locations, boolean createSchemas) {
    this.database = database;
    this.locations = List.copyOf(locations);
    this.createSchemas = createSchemas;
  }

  public SchemaInfo info(String schema) {
    MigrationInfoService info = flyway(schema, null).info();
    MigrationVersion latest = null;
    for (MigrationInfo m : info.all()) {
      if (m.getVersion() != null && (latest == null || m.getVersion().compareTo(latest) > 0)) latest = m.getVersion();
    }
    List<SchemaInfo.Migration> pending = new ArrayList<>();
    for (MigrationInfo m : info.pending()) {
      pending.add(new SchemaInfo.Migration(text(m.getVersion()), m.getDescription(), m.getScript()));
    }
    MigrationInfo current = info.current();
    return new SchemaInfo(schema, current == null ? null : text(current.getVersion()), text(latest), pending);
  }

  public Result migrate(String schema, Progress progress) throws MigrationFailure {
    ProgressCallback callback = new ProgressCallback(progress);
    try {
      MigrateResult result = flyway(schema, callback).migrate();
      String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : info(schema).current();
      return new Result(version, result.migrationsExecuted);
    } catch (RuntimeException e) {
      throw new MigrationFailure(e, callback.runningVersion, callback.runningDescription);
    }
  }

  private Flyway flyway(String schema, Callback callback) {
    var configuration = Flyway.configure()
        // configuration(Map) replaces what was set before it, so it comes first.
        // A session lock on one connection instead of a transaction lock: non-transactional migrations
        // (CREATE INDEX CONCURRENTLY) need it.
        .configuration(Map.of("flyway.postgresql.transactional.lock", "false"))
        .dataSource(database.jdbcUrl(), database.user(), database.password())
        .schemas(schema)
        .defaultSchema(schema)
        .createSchemas(createSchemas)
        .locations(locations.toArray(String[]::new))
        .connectRetries(0);
    if (callback != null) configuration.callbacks(callback);
    return configuration.load();
  }

  private static String text(MigrationVersion version) {
    return version == null ? null : version.getVersion();
  }

  /** Turns Flyway's per-migration callbacks into {@link Progress} calls with durations. */
  private static final class ProgressCallback implements Callback {
    private final Progress progress;
    private volatile String runningVersion;
    private volatile String runningDescription;
    private long startedNanos;

    ProgressCallback(Progress progress) {
      this.progress = progress;
    }

    @Override
    public boolean supports(Event event, Context context) {
      return event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_EACH_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
      return true; // it never touches the migration's connection
    }

    @Override
    public void handle(Event event, Context context) {
      MigrationInfo m = context.getMigrationInfo();
      String version = m.getVersion() == null ? null : m.getVersion().getVersion();
      if (event == Event.BEFORE_EACH_MIGRATE) {
        runningVersion = version;
        runningDescription = m.getDescription();
        startedNanos = System.nanoTime();
        progress.started(version, m.getDescription());
      } else {
        progress.applied(version, m.getDescription(), (System.nanoTime() - startedNanos) / 1_000_000);
      }
    }

    @Override
    public String getCallbackName() {
      return "muster-progress";
    }
  }
}
