package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.db.KeepAlive;
import dev.muster.orchestrator.projection.SchemaInfo;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import dev.muster.orchestrator.events.Payload;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.api.output.RepairResult;
import org.flywaydb.core.api.output.ValidateOutput;
import org.flywaydb.core.api.output.ValidateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Flyway for one schema. Every method blocks: call it from a worker thread, never an event loop
 * ({@link WorkerRunner} does).
 * A new Flyway is configured per call, so fixed or added migration files are seen by the next run.
 */
public final class FlywayRunner {
  private static final Logger log = LoggerFactory.getLogger(FlywayRunner.class);

  /**
   * PostgreSQL notices a dead client only when it next talks to it: a backend waiting inside
   * {@code CREATE INDEX CONCURRENTLY} would outlive a killed orchestrator for as long as it waits. Checking the
   * socket every second (PostgreSQL 14+) ends such an orphan, so a take-over is not blocked by it.
   */
  private static final String CONNECTION_CHECK = "SELECT CASE WHEN current_setting('server_version_num')::int >= 140000"
      + " THEN set_config('client_connection_check_interval', '1000', false) END";
  /** How often a take-over looks whether the previous run's sessions are gone, and tells it in the log. */
  private static final long PREVIOUS_RUN_LOOK_MS = 250;
  private static final long PREVIOUS_RUN_LOG_MS = 30_000;
  private static final String PREVIOUS_RUN = "SELECT pid, state, coalesce(left(query, 80), '') FROM pg_stat_activity"
      + " WHERE application_name = ? AND pid <> pg_backend_pid() AND datname = current_database()";
  /** How long a take-over waits for an index build a dead holder's session may still be running. */
  private static final long ORPHAN_WAIT_MS = 30_000;

  private final DatabaseUrl database;
  private final List<String> locations;
  private final boolean createSchemas;
  private final Function<String, LockSafety> safety;

  public FlywayRunner(DatabaseUrl database, List<String> locations, boolean createSchemas) {
    this(database, locations, createSchemas, schema -> LockSafety.OFF);
  }

  /** @param safety each schema's lock safety (docs/lock-safety.md) */
  public FlywayRunner(DatabaseUrl database, List<String> locations, boolean createSchemas,
      Function<String, LockSafety> safety) {
    this.database = database;
    this.locations = List.copyOf(locations);
    this.createSchemas = createSchemas;
    this.safety = safety;
  }

  /** The {@code application_name} of a schema's migration sessions, so that any replica or tool can find them. */
  public static String runSessionName(String schema) {
    String name = "muster-run:" + schema;
    return name.length() > 63 ? name.substring(0, 63) : name;
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
    // Drift is applied history that differs from the files: with none applied (a new schema) there is none, and no
    // second Flyway (a connection, a scan of the files) is needed to say so.
    String drift = info.applied().length == 0 ? null : drift(schema);
    return new SchemaInfo(schema, current == null ? null : text(current.getVersion()), text(latest), pending, drift);
  }

  /**
   * Flyway's explanation of how the applied migrations differ from the files — an edited checksum, an applied
   * migration whose file is gone, an applied version the files do not know — or {@code null} when they match.
   * Pending migrations are not drift.
   */
  private String drift(String schema) {
    ValidateResult result = validating(schema).validateWithResult();
    if (result.validationSuccessful) return null;
    List<String> reasons = new ArrayList<>();
    if (result.invalidMigrations != null) {
      for (ValidateOutput o : result.invalidMigrations) {
        if (o.errorDetails != null && o.errorDetails.errorMessage != null) reasons.add(o.errorDetails.errorMessage.strip());
      }
    }
    if (reasons.isEmpty() && result.errorDetails != null) reasons.add(String.valueOf(result.errorDetails.errorMessage).strip());
    return reasons.isEmpty() ? "the applied migrations do not match the files" : String.join("; ", reasons);
  }

  /**
   * How many migrations the locations hold (read as {@code schema}'s would be): 0 when a location does not exist or
   * is empty — most likely a mistyped path.
   */
  public int migrationFiles(String schema) {
    int resolved = 0;
    for (MigrationInfo m : flyway(schema, null).info().all()) {
      if (m.getState().isResolved()) resolved++;
    }
    return resolved;
  }

  /** The locations, as configured. */
  public List<String> locations() {
    return locations;
  }

  /** Accepts drift: Flyway's {@code repair} (call it holding the schema's lock). */
  public Repaired repair(String schema) {
    // Validated as drift() sees it, so that an applied version the files do not know is marked deleted too.
    RepairResult result = validating(schema).repair();
    return new Repaired(result.migrationsRemoved.size(), result.migrationsAligned.size(), result.migrationsDeleted.size());
  }

  /** What a repair changed in the history table: rows of failed runs removed, checksums aligned, missing marked deleted. */
  public record Repaired(int removed, int aligned, int deleted) {}

  private Flyway validating(String schema) {
    return Flyway.configure()
        .dataSource(database.jdbcUrl(), database.user(), database.password())
        .schemas(schema)
        .defaultSchema(schema)
        .createSchemas(false)
        .locations(locations.toArray(String[]::new))
        .connectRetries(0)
        .initSql(CONNECTION_CHECK)
        // Only what is pending is not drift: a future (unknown applied) version is, unlike Flyway's default.
        .ignoreMigrationPatterns("*:pending")
        .load();
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
    LockSafety safe = safety.apply(schema);
    ProgressCallback callback;
    MigrateResult result;
    try (BlockerWatch watch = new BlockerWatch(this::connect, schema, progress, safe.terminateIdleBlockers())) {
      callback = new ProgressCallback(progress, safe, watch);
      progress.onAbort(watch::cancelRun);
      Flyway flyway = flyway(schema, callback, safe, progress.target());
      while (true) {
        try {
          result = flyway.migrate();
          break;
        } catch (RuntimeException e) {
          watch.stop();
          retryOrThrow(schema, safe, callback, watch, progress, e);
        }
      }
    }
    // A build that reported success but left an INVALID index must not pass for ready. Checked on the migration's
    // own connection after each migration (no new session, no second authentication); on one of our own only when
    // no migration ran. Not in an AFTER_MIGRATE callback: Flyway opens a new connection for each such event.
    long returnedNanos = System.nanoTime();
    List<String> invalid = callback.invalidIndexes != null ? callback.invalidIndexes : invalidIndexes(schema);
    if (log.isDebugEnabled()) {
      log.debug("Schema {}: last migration's callback → Flyway returned {} µs (its commit, its history row),"
          + " INVALID-index check {} µs (on {})", schema, (returnedNanos - callback.lastAppliedNanos) / 1_000,
          callback.invalidIndexes != null ? callback.checkMicros : (System.nanoTime() - returnedNanos) / 1_000,
          callback.invalidIndexes != null ? "the migration's connection" : "a connection of its own");
    }
    if (!invalid.isEmpty()) {
      throw new MigrationFailure(new IllegalStateException("index " + String.join(", ", invalid)
          + " is INVALID after the run: a CREATE INDEX CONCURRENTLY did not complete; drop it and run again"),
          callback.runningVersion, callback.runningDescription, currentOrNull(schema));
    }
    // The version Flyway reached, as it says; a second Flyway (a connection, a scan of the files) only when it did
    // not say (its last attempt applied nothing).
    String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : info(schema).current();
    return new Runner.Result(version, callback.executed);
  }

  /**
   * After a failed attempt: returns when the migration is to be tried again — its lock wait timed out (55P03), it
   * is transactional (rolled back whole), and the bounds allow another attempt after the pause; throws otherwise.
   */
  private void retryOrThrow(String schema, LockSafety safe, ProgressCallback callback, BlockerWatch watch,
      Runner.Progress progress, RuntimeException e) throws MigrationFailure {
    String version = callback.runningVersion;
    String description = callback.runningDescription;
    String abortedBy = progress.abortedBy();
    if (abortedBy != null) throw aborted(schema, abortedBy, e, version, description);
    // The schema's version is read only for a failure that ends the run: a retry needs none.
    MigrationFailure failure = new MigrationFailure(e, version, description, null);
    if (!LockRetryPolicy.isLockTimeout(failure.sqlState()) || !callback.runningTransactional) {
      throw new MigrationFailure(e, version, description, currentOrNull(schema));
    }
    List<Payload.Blocker> blockers = watch.lastSeen();
    int attempt = callback.attempt;
    Duration elapsed = Duration.ofNanos(System.nanoTime() - callback.firstAttemptNanos);
    Duration delay = safe.retries().next(attempt, elapsed);
    if (delay == null) {
      throw new MigrationFailure(failure.sqlState(), "V" + version + " (" + description + ") could not take its locks in "
          + attempt + " attempt(s) over " + Math.max(1, elapsed.toSeconds()) + " s, each waiting at most "
          + callback.lockTimeoutMs + " ms (lock_timeout): blocked by " + BlockerWatch.describe(blockers)
          + ". Last error: " + failure.getMessage(), e, version, description, currentOrNull(schema));
    }
    progress.retrying(new Payload.MigrationRetrying(schema, version, description, attempt + 1, delay.toMillis(),
        new Payload.RunError(failure.sqlState(), failure.getMessage()), blockers));
    callback.retrying(version);
    boolean goOn;
    try {
      goOn = progress.pause(delay);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      throw new MigrationFailure(e, version, description, currentOrNull(schema));
    }
    if (!goOn) throw aborted(schema, progress.abortedBy(), e, version, description);
  }

  private MigrationFailure aborted(String schema, String by, Throwable cause, String version, String description) {
    return new MigrationFailure("57014", "the run was aborted by " + by + (version == null ? "" : " during V" + version),
        cause, version, description, currentOrNull(schema));
  }

  /**
   * Waits, under the schema's lock, until no session of an earlier run of {@code schema} is left: its lock session
   * may have been closed (an idle timeout, a proxy, an operator) while its migration session still works, and that
   * run then finishes and reports for itself. Watched in {@code pg_stat_activity} by {@code application_name} (no
   * event tells of a session's end), for as long as it takes: a live run is never cut short or reported for. A
   * vanished client's session ends by itself (the connection check and TCP keepalives of {@link #flyway}).
   *
   * @return whether there was one to wait for
   */
  public boolean awaitPreviousRun(String schema) {
    try (Connection c = connect()) {
      long started = System.currentTimeMillis();
      long nextLog = started;
      boolean waited = false;
      while (true) {
        List<String> sessions = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement(PREVIOUS_RUN)) {
          st.setString(1, runSessionName(schema));
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) sessions.add("pid " + rs.getInt(1) + " (" + rs.getString(2) + ": " + rs.getString(3) + ")");
          }
        }
        if (sessions.isEmpty()) return waited;
        waited = true;
        long now = System.currentTimeMillis();
        if (now >= nextLog) {
          log.info("Schema {}: waiting for the previous run's session(s) to end before running it, {} s so far: {}",
              schema, (now - started) / 1000, sessions);
          nextLog = now + PREVIOUS_RUN_LOG_MS;
        }
        Thread.sleep(PREVIOUS_RUN_LOOK_MS);
      }
    } catch (SQLException | InterruptedException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new IllegalStateException("could not check schema " + schema + " for a run still under way: "
          + e.getMessage(), e);
    }
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
    return flyway(schema, callback, null, null);
  }

  /**
   * With {@code safe}: a run's Flyway, whose sessions are named and end when idle in a transaction too long; with
   * {@code target}, one that applies nothing beyond that version.
   */
  private Flyway flyway(String schema, Callback callback, LockSafety safe, String target) {
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
        // Every Flyway session outlives idle timeouts (its lock and history connections idle through a long
        // migration). A run's sessions carry its name, for a take-over to wait on (awaitPreviousRun), and end when
        // idle inside a transaction too long: a run never is, so such a session is a frozen migrator.
        .initSql(CONNECTION_CHECK + "; " + KeepAlive.SQL + (safe == null ? ""
            : "; SELECT set_config('application_name', '" + runSessionName(schema).replace("'", "''")
                + "', false), set_config('idle_in_transaction_session_timeout', '"
                + LockSafety.millis(safe.idleInTransactionTimeout()) + "', false)"));
    if (callback != null) configuration.callbacks(callback);
    if (target != null) configuration.target(target);
    return configuration.load();
  }

  private static String text(MigrationVersion version) {
    return version == null ? null : version.getVersion();
  }

  /**
   * Turns Flyway's per-migration callbacks into {@link Runner.Progress} calls with durations; gives each migration
   * its lock and statement timeouts (inside its transaction: {@code set_config(…, true)} ends with it) and has the
   * watch look for its blockers while it runs.
   */
  private final class ProgressCallback implements Callback {
    private final Runner.Progress progress;
    private final LockSafety safe;
    private final BlockerWatch watch;
    private volatile String runningVersion;
    private volatile String runningDescription;
    private volatile boolean runningTransactional;
    private long startedNanos;
    /** Migrations applied, over every attempt. */
    private int executed;
    /** The version being retried, its attempt, and when its first attempt began. */
    private String retryVersion;
    private int attempt = 1;
    private long firstAttemptNanos;
    private long lockTimeoutMs;

    ProgressCallback(Runner.Progress progress, LockSafety safe, BlockerWatch watch) {
      this.progress = progress;
      this.safe = safe;
      this.watch = watch;
    }

    void retrying(String version) {
      retryVersion = version;
    }

    /** What the check after the last migration found on its connection; null when it did not run. */
    private volatile List<String> invalidIndexes;
    private volatile long checkMicros;
    private volatile long lastAppliedNanos;

    @Override
    public boolean supports(Event event, Context context) {
      return event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_EACH_MIGRATE
          || event == Event.AFTER_EACH_MIGRATE_ERROR;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
      return true; // it writes an event in the migration's transaction on purpose
    }

    @Override
    public void handle(Event event, Context context) {
      MigrationInfo m = context.getMigrationInfo();
      String version = m.getVersion() == null ? null : m.getVersion().getVersion();
      if (event == Event.AFTER_EACH_MIGRATE_ERROR) {
        watch.stop();
        return;
      }
      if (event == Event.BEFORE_EACH_MIGRATE) {
        // An abort asked for before this migration began: it does not begin.
        if (progress.abortedBy() != null) throw new IllegalStateException("the run was aborted");
        if (retryVersion != null && retryVersion.equals(version)) {
          attempt++;
        } else {
          attempt = 1;
          firstAttemptNanos = System.nanoTime();
        }
        retryVersion = null;
        runningVersion = version;
        runningDescription = m.getDescription();
        startedNanos = System.nanoTime();
        progress.started(version, m.getDescription());
        try {
          begin(context.getConnection(), version, m);
        } catch (SQLException e) {
          throw new IllegalStateException("could not set up migration " + version + ": " + e.getMessage(), e);
        }
      } else {
        watch.stop();
        long durationMs = (System.nanoTime() - startedNanos) / 1_000_000;
        // Whichever migration is the last, the check after it is the run's. Before the migration is recorded, so
        // that the last one's record can be the outcome too.
        long checkStart = System.nanoTime();
        try {
          invalidIndexes = query(context.getConnection(), INVALID_INDEXES, context.getConfiguration().getDefaultSchema());
        } catch (SQLException e) {
          invalidIndexes = null; // checked again on a connection of our own
        }
        checkMicros = (System.nanoTime() - checkStart) / 1_000;
        try {
          progress.applied(context.getConnection(), version, m.getDescription(), durationMs,
              invalidIndexes != null && invalidIndexes.isEmpty());
        } catch (SQLException e) {
          throw new IllegalStateException("could not record migration " + version + ": " + e.getMessage(), e);
        }
        executed++;
        lastAppliedNanos = System.nanoTime();
      }
    }

    /** The migration's timeouts, and its session watched for blockers. */
    private void begin(Connection c, String version, MigrationInfo m) throws SQLException {
      boolean transactional = !c.getAutoCommit();
      runningTransactional = transactional;
      ScriptSettings script = ScriptSettings.of(locations, m.getScript());
      LockSafety own = safe.with(script);
      // Cancelled halfway, a non-transactional statement (CREATE INDEX CONCURRENTLY) leaves an INVALID index:
      // none of Muster's timeouts apply to it unless its script asks.
      Duration lock = transactional ? own.lockTimeout() : script.lockTimeout() != null ? script.lockTimeout() : Duration.ZERO;
      Duration statement = transactional ? own.statementTimeout()
          : script.statementTimeout() != null ? script.statementTimeout() : Duration.ZERO;
      boolean set = safe.enabled() || script.lockTimeout() != null || script.statementTimeout() != null;
      lockTimeoutMs = lock.toMillis();
      String sql = set ? "SELECT pg_backend_pid(), set_config('lock_timeout', ?, ?), set_config('statement_timeout', ?, ?)"
          : "SELECT pg_backend_pid()";
      int pid;
      try (PreparedStatement st = c.prepareStatement(sql)) {
        if (set) {
          st.setString(1, LockSafety.millis(lock));
          st.setBoolean(2, transactional);
          st.setString(3, LockSafety.millis(statement));
          st.setBoolean(4, transactional);
        }
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          pid = rs.getInt(1);
        }
      }
      watch.watch(pid, version, m.getDescription(), attempt, lockTimeoutMs);
    }

    @Override
    public String getCallbackName() {
      return "muster-progress";
    }
  }
}
