package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.projection.SchemaInfo;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
 * Runs Flyway for one schema. Every method blocks: call it from a worker thread, never an event loop
 * ({@link WorkerRunner} does).
 * A new Flyway is configured per call, so fixed or added migration files are seen by the next run.
 */
public final class FlywayRunner {

  /**
   * PostgreSQL notices a dead client only when it next talks to it: a backend waiting inside
   * {@code CREATE INDEX CONCURRENTLY} would outlive a killed orchestrator for as long as it waits. Checking the
   * socket every second (PostgreSQL 14+) ends such an orphan, so a take-over is not blocked by it.
   */
  private static final String CONNECTION_CHECK = "SELECT set_config('client_connection_check_interval', '1000', false)"
      + " WHERE current_setting('server_version_num')::int >= 140000";
  /** How long a take-over waits for an index build a dead holder's session may still be running. */
  private static final long ORPHAN_WAIT_MS = 30_000;

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

  /** Whether {@code schema} exists (one catalog read). */
  public boolean exists(String schema) throws SQLException {
    try (Connection c = connect(); PreparedStatement st = c.prepareStatement(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)")) {
      st.setString(1, schema);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  public Runner.Result migrate(String schema, Runner.Progress progress) throws MigrationFailure {
    ProgressCallback callback = new ProgressCallback(progress);
    MigrateResult result;
    try {
      result = flyway(schema, callback).migrate();
    } catch (RuntimeException e) {
      throw new MigrationFailure(e, callback.runningVersion, callback.runningDescription, currentOrNull(schema));
    }
    // A build that reported success but left an INVALID index must not pass for ready.
    List<String> invalid = invalidIndexes(schema);
    if (!invalid.isEmpty()) {
      throw new MigrationFailure(new IllegalStateException("index " + String.join(", ", invalid)
          + " is INVALID after the run: a CREATE INDEX CONCURRENTLY did not complete; drop it and run again"),
          callback.runningVersion, callback.runningDescription, currentOrNull(schema));
    }
    String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : info(schema).current();
    return new Runner.Result(version, result.migrationsExecuted);
  }

  /**
   * Drops the INVALID indexes an interrupted {@code CREATE INDEX CONCURRENTLY} left in {@code schema} — its
   * process was killed, its session ended — so that the migration, which Flyway never recorded, builds them
   * again. An index still being built by a live session is left alone. Call it holding the schema's lock.
   *
   * @return what was dropped, e.g. {@code ["public.items_v"]}
   */
  public List<String> dropInterruptedIndexes(String schema) {
    try (Connection c = connect()) {
      awaitOrphanedBuilds(c, schema);
      List<String> dropped = new ArrayList<>();
      for (String index : query(c, INVALID_INDEXES + " AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p"
          + " WHERE p.index_relid = x.indexrelid)", schema)) {
        try (Statement drop = c.createStatement()) {
          drop.execute("DROP INDEX CONCURRENTLY IF EXISTS " + index); // quoted by quote_ident in the query
        }
        dropped.add(index);
      }
      return dropped;
    } catch (SQLException | InterruptedException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new IllegalStateException("could not check schema " + schema + " for interrupted index builds: "
          + e.getMessage(), e);
    }
  }

  /**
   * Under the schema's lock no live replica builds an index in it, so a build still in progress on an INVALID
   * index belongs to a holder that died; its session ends within about a second (see {@link #CONNECTION_CHECK}).
   * PostgreSQL has no event for a session's end, so this looks again every 100 ms, for a bounded time.
   */
  private static void awaitOrphanedBuilds(Connection c, String schema) throws SQLException, InterruptedException {
    long deadline = System.currentTimeMillis() + ORPHAN_WAIT_MS;
    String building = INVALID_INDEXES + " AND EXISTS (SELECT 1 FROM pg_stat_progress_create_index p"
        + " WHERE p.index_relid = x.indexrelid)";
    while (!query(c, building, schema).isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
  }

  private static final String INVALID_INDEXES = "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname)"
      + " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace"
      + " WHERE n.nspname = ? AND NOT x.indisvalid";

  private static List<String> query(Connection c, String sql, String schema) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, schema);
      List<String> names = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) names.add(rs.getString(1));
      }
      return names;
    }
  }

  private List<String> invalidIndexes(String schema) throws MigrationFailure {
    try (Connection c = connect()) {
      return query(c, INVALID_INDEXES, schema);
    } catch (SQLException e) {
      throw new MigrationFailure(e, null, null, null);
    }
  }

  /** The applied version, or null when even that cannot be read (the database went away). */
  private String currentOrNull(String schema) {
    try {
      return info(schema).current();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
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
        .connectRetries(0)
        .initSql(CONNECTION_CHECK);
    if (callback != null) configuration.callbacks(callback);
    return configuration.load();
  }

  private static String text(MigrationVersion version) {
    return version == null ? null : version.getVersion();
  }

  /** Turns Flyway's per-migration callbacks into {@link Runner.Progress} calls with durations. */
  private static final class ProgressCallback implements Callback {
    private final Runner.Progress progress;
    private volatile String runningVersion;
    private volatile String runningDescription;
    private long startedNanos;

    ProgressCallback(Runner.Progress progress) {
      this.progress = progress;
    }

    @Override
    public boolean supports(Event event, Context context) {
      return event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_EACH_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
      return true; // it writes an event in the migration's transaction on purpose
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
        try {
          progress.applied(context.getConnection(), version, m.getDescription(),
              (System.nanoTime() - startedNanos) / 1_000_000);
        } catch (SQLException e) {
          throw new IllegalStateException("could not record migration " + version + ": " + e.getMessage(), e);
        }
      }
    }

    @Override
    public String getCallbackName() {
      return "muster-progress";
    }
  }
}
