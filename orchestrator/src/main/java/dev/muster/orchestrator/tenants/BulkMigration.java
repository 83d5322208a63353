package dev.muster.orchestrator.tenants;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.lock.LockSession;
import dev.muster.orchestrator.runner.MigrationFailure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code migrate --all} over many schemas: the files resolved once, every schema's history read in a round trip or
 * two, and only the schemas that are behind run — at most {@code parallel} at once, each on one of {@code parallel}
 * worker connections, every lock on one {@link LockSession}, the events on one control connection. Backends:
 * {@code parallel} + 2. A schema whose pending migrations are all plain SQL ({@link PlainSql}) is applied directly
 * ({@link DirectApply}: one transaction holding the migrations, their history rows and the run's events); any other
 * runs with Flyway on the worker connection, which it uses as its own.
 *
 * <p>Rollout: canaries run first, alone; when one fails, nothing else starts. Then waves; a failure stops only its
 * schema, until {@code maxFailures} stop the start of more. A schema whose lock another replica holds is left
 * {@link Kind#BUSY} for the caller to join through the coordinator; one with an index a dead run left INVALID is
 * {@link Kind#REPAIR}, for the coordinator's run, which drops it first. Interrupted (killed, the database gone),
 * a second run picks up what is left: each schema's history says where it is.
 */
public final class BulkMigration implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BulkMigration.class);
  /** See {@code FlywayRunner}: a dead client's backend ends within about a second. */
  private static final String CONNECTION_CHECK = "SELECT set_config('client_connection_check_interval', '1000', false)"
      + " WHERE current_setting('server_version_num')::int >= 140000";
  private static final String INVALID_INDEXES = "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname)"
      + " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace"
      + " WHERE n.nspname = ? AND NOT x.indisvalid";

  /** What became of a schema. */
  public enum Kind { MIGRATED, UP_TO_DATE, FAILED, BUSY, REPAIR, SKIPPED }

  /** A schema's result; {@code error} and {@code failedVersion} for {@link Kind#FAILED}. */
  public record Result(String schema, Kind kind, String version, int executed, String failedVersion,
      Payload.RunError error) {}

  /**
   * @param canaries    schemas to run first, alone (named, or the first {@code canaryCount} of those behind)
   * @param wave        schemas per wave after the canaries (0: one wave)
   * @param maxFailures failures after which no further schema starts (0: no limit)
   */
  public record Options(int parallel, List<String> canaries, int canaryCount, int wave, int maxFailures) {
    public Options {
      canaries = List.copyOf(canaries);
    }
  }

  /** Told as the run goes, from worker threads. */
  public interface Listener {
    /** The scan is done: {@code behind} of {@code total} have work. */
    default void planned(int total, int behind) {}

    default void finished(Result result) {}
  }

  private final MusterConfig config;
  private final DatabaseUrl database;
  private final Connection control;
  private final LockSession locks;
  private final EventStore events;
  private final BlockingQueue<Connection> idle;
  private final List<Connection> opened = new ArrayList<>();
  private MigrationSet files;

  public BulkMigration(MusterConfig config, int parallel) throws SQLException {
    this.config = config;
    this.database = config.database();
    this.control = connect("muster-migrate:" + config.replicaId());
    this.locks = LockSession.open(database, config.replicaId());
    this.events = new EventStore(null, config.replicaId()); // JDBC appends only: no pool needed
    this.idle = new ArrayBlockingQueue<>(parallel);
  }

  /** The files, resolved once (one Flyway {@code info}, on the control connection). */
  public synchronized MigrationSet files(String anySchema) {
    if (files == null) files = MigrationSet.withDirectPath(flyway(anySchema, control, null));
    return files;
  }

  /** Each schema against the files, read in a round trip or two. */
  public Map<String, MigrationSet.Standing> scan(List<String> schemas) throws SQLException {
    Map<String, MigrationSet.Standing> standings = new LinkedHashMap<>();
    if (schemas.isEmpty()) return standings;
    MigrationSet set = files(schemas.get(0));
    HistoryScan.Result scan;
    synchronized (control) {
      scan = HistoryScan.read(control, schemas);
    }
    for (String schema : schemas) standings.put(schema, set.standing(schema, scan.history(schema)));
    return standings;
  }

  public List<Result> run(List<String> schemas, Options options, Listener listener) throws Exception {
    Map<String, MigrationSet.Standing> standings = scan(schemas);
    List<Result> results = new ArrayList<>();
    List<String> behind = new ArrayList<>();
    for (MigrationSet.Standing s : standings.values()) {
      if (s.upToDate()) {
        results.add(new Result(s.schema(), Kind.UP_TO_DATE, s.current(), 0, null, null));
      } else {
        behind.add(s.schema());
      }
    }
    listener.planned(schemas.size(), behind.size());
    // Schemas with services waiting for them go first (stable: the rest keep their order).
    Set<String> waited = waitedFor(behind);
    List<String> ordered = new ArrayList<>(behind.stream().filter(waited::contains).toList());
    behind.stream().filter(s -> !waited.contains(s)).forEach(ordered::add);
    behind = ordered;
    List<String> canaries = new ArrayList<>();
    for (String c : options.canaries()) if (behind.remove(c)) canaries.add(c);
    while (canaries.size() < options.canaryCount() && !behind.isEmpty()) canaries.add(behind.remove(0));

    ExecutorService workers = Executors.newFixedThreadPool(Math.max(1, options.parallel()), r -> {
      Thread t = new Thread(r, "muster-migrate");
      t.setDaemon(true);
      return t;
    });
    AtomicInteger failures = new AtomicInteger();
    try {
      List<Result> canaryResults = wave(workers, canaries, Integer.MAX_VALUE, failures, listener);
      results.addAll(canaryResults);
      if (canaryResults.stream().anyMatch(r -> r.kind() == Kind.FAILED)) {
        log.warn("A canary failed: the other {} schema(s) do not start", behind.size());
        for (String s : behind) results.add(skipped(s, listener));
        return results;
      }
      int size = options.wave() <= 0 ? Math.max(1, behind.size()) : options.wave();
      int limit = options.maxFailures() <= 0 ? Integer.MAX_VALUE : options.maxFailures();
      for (int from = 0; from < behind.size(); from += size) {
        List<String> wave = behind.subList(from, Math.min(behind.size(), from + size));
        if (failures.get() >= limit) {
          for (String s : wave) results.add(skipped(s, listener));
        } else {
          results.addAll(wave(workers, wave, limit, failures, listener));
        }
      }
      return results;
    } finally {
      workers.shutdownNow();
    }
  }

  /** Of {@code schemas}, those with a {@code service.starting} since their last outcome: services wait for them. */
  private Set<String> waitedFor(List<String> schemas) throws SQLException {
    Set<String> waited = new HashSet<>();
    if (schemas.isEmpty()) return waited;
    synchronized (control) {
      try (PreparedStatement st = control.prepareStatement("SELECT DISTINCT e.schema_name FROM muster.events e"
          + " WHERE e.type = 'service.starting' AND e.schema_name = ANY(?) AND e.seq > coalesce((SELECT max(o.seq)"
          + " FROM muster.events o WHERE o.schema_name = e.schema_name AND o.type IN ('schema.ready', 'schema.failed')), 0)")) {
        st.setArray(1, control.createArrayOf("text", schemas.toArray()));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) waited.add(rs.getString(1));
        }
      }
    }
    return waited;
  }

  private static Result skipped(String schema, Listener listener) {
    Result r = new Result(schema, Kind.SKIPPED, null, 0, null, null);
    listener.finished(r);
    return r;
  }

  private List<Result> wave(ExecutorService workers, List<String> schemas, int limit, AtomicInteger failures,
      Listener listener) throws Exception {
    List<Future<Result>> futures = new ArrayList<>();
    for (String schema : schemas) {
      futures.add(workers.submit(() -> {
        Result r = failures.get() >= limit ? new Result(schema, Kind.SKIPPED, null, 0, null, null) : runOne(schema);
        if (r.kind() == Kind.FAILED) failures.incrementAndGet();
        listener.finished(r);
        return r;
      }));
    }
    List<Result> results = new ArrayList<>();
    for (Future<Result> f : futures) results.add(f.get());
    return results;
  }

  /** One schema, on a worker connection, under its lock. */
  private Result runOne(String schema) throws SQLException {
    Connection worker = worker();
    try {
      if (!locks.tryLock(schema)) return new Result(schema, Kind.BUSY, null, 0, null, null);
      try {
        return underLock(schema, worker);
      } finally {
        locks.unlock(schema);
      }
    } finally {
      idle.offer(worker);
    }
  }

  private Result underLock(String schema, Connection worker) throws SQLException {
    // Re-read under the lock (another replica may just have finished it), in the transaction the direct path goes on in.
    DirectApply.Opened opened = DirectApply.open(worker, schema);
    MigrationSet.Standing standing = files.standing(schema, opened.history());
    List<MigrationSet.Resolved> direct = files.direct(standing);
    if (direct != null && !direct.isEmpty() && opened.invalidIndexes().isEmpty()
        && opened.canApply(config.createSchemas())) {
      return direct(schema, worker, opened, standing, direct);
    }
    DirectApply.abandon(worker);
    if (standing.upToDate()) return new Result(schema, Kind.UP_TO_DATE, standing.current(), 0, null, null);
    if (!opened.invalidIndexes().isEmpty()) return new Result(schema, Kind.REPAIR, standing.current(), 0, null, null);
    if (standing.drift() != null) {
      // Never run and never ready, as for one schema (Run): drift is reported as the run's failure.
      Payload.RunError error = new Payload.RunError(null, "drifted: " + standing.drift());
      log.warn("Schema {} has drifted from its migration files: {}", schema, standing.drift());
      append(new Payload.SchemaFailed(schema, null, null, standing.current(), error, 0L));
      return new Result(schema, Kind.FAILED, standing.current(), 0, null, error);
    }
    return withFlyway(schema, worker, standing);
  }

  /**
   * Plain SQL only ({@link DirectApply}): the migrations, their history rows and every event of the run — lock
   * acquired, each applied, ready — in one transaction; nothing on the control connection unless it fails.
   */
  private Result direct(String schema, Connection worker, DirectApply.Opened opened, MigrationSet.Standing standing,
      List<MigrationSet.Resolved> pending) {
    long started = System.nanoTime();
    Payload locked = new Payload.LockAcquired(schema, standing.current(), standing.latest(), pending.size(),
        locks.pid(), List.of());
    String version = pending.get(pending.size() - 1).version();
    try {
      DirectApply.apply(worker, schema, opened, pending, events, applied -> {
        List<Payload> all = new ArrayList<>(applied.size() + 2);
        all.add(locked);
        all.addAll(applied);
        all.add(new Payload.SchemaReady(schema, version, applied.size(), millisSince(started)));
        return all;
      });
      return new Result(schema, Kind.MIGRATED, version, pending.size(), null, null);
    } catch (DirectApply.Failed e) {
      // All rolled back: the schema is where it was.
      MigrationFailure f = new MigrationFailure(e.getCause(), e.version(), e.description(), standing.current());
      return failed(schema, f, standing.current(), started, locked);
    }
  }

  private Result withFlyway(String schema, Connection worker, MigrationSet.Standing standing) throws SQLException {
    append(new Payload.LockAcquired(schema, standing.current(), standing.latest(), standing.pending().size(), locks.pid(),
        List.of()));
    long started = System.nanoTime();
    // All pending migrations in one transaction when they can be: one commit per schema instead of one per
    // migration, and a tenant is never left half-migrated by a failure.
    boolean group = standing.transactional();
    Progress progress = new Progress(schema, group ? standing.pending().size() : 1);
    try {
      // What validation would read was just compared under the lock (checksums, failed rows): only when that
      // found something wrong does Flyway validate, to refuse with its own words.
      boolean validate = standing.failedRow() || standing.checksumMismatch();
      MigrateResult result = configure(schema, worker, progress).group(group).validateOnMigrate(validate).load()
          .migrate();
      progress.flush(worker);
      List<String> invalid = invalidIndexes(worker, schema);
      if (!invalid.isEmpty()) {
        throw new IllegalStateException("index " + String.join(", ", invalid) + " is INVALID after the run: a CREATE"
            + " INDEX CONCURRENTLY did not complete; drop it and run again");
      }
      String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : standing.current();
      append(new Payload.SchemaReady(schema, version, result.migrationsExecuted, millisSince(started)));
      return new Result(schema, Kind.MIGRATED, version, result.migrationsExecuted, null, null);
    } catch (RuntimeException e) {
      String reached = currentOrNull(worker, schema);
      return failed(schema, new MigrationFailure(e, progress.version, progress.description, reached), reached, started);
    }
  }

  /** A failed run's outcome, appended after {@code before} (events the run's rolled-back transaction would have held). */
  private Result failed(String schema, MigrationFailure f, String reached, long started, Payload... before) {
    Payload.RunError error = new Payload.RunError(f.sqlState(), f.getMessage());
    if (f.connectionLost()) {
      // No outcome: nothing is wrong with the migration; the next run goes on from where this one was.
      log.warn("Run of schema {} interrupted: the database went away ({})", schema, f.getMessage());
    } else {
      log.warn("Migration of schema {} failed at {}: [{}] {}", schema, f.version(), f.sqlState(), f.getMessage());
      List<Payload> all = new ArrayList<>(List.of(before));
      all.add(new Payload.SchemaFailed(schema, f.version(), f.description(), reached, error, millisSince(started)));
      appendAll(all);
    }
    return new Result(schema, Kind.FAILED, reached, 0, f.version(), error);
  }

  private String currentOrNull(Connection worker, String schema) {
    try {
      return files.standing(schema, HistoryScan.read(worker, List.of(schema)).history(schema)).current();
    } catch (SQLException e) {
      return null;
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** Appends on the control connection, one at a time, each its own transaction. */
  private void append(Payload payload) {
    synchronized (control) {
      try {
        events.appendInTransaction(control, payload);
      } catch (SQLException e) {
        log.warn("Could not record {} for schema {}: {}", payload.typeName(), payload.schema(), e.getMessage());
      }
    }
  }

  /** Appends the events together on the control connection: one statement, one wait for the log's counter row. */
  private void appendAll(List<Payload> payloads) {
    synchronized (control) {
      try {
        events.appendAllInTransaction(control, payloads);
      } catch (SQLException e) {
        log.warn("Could not record {} event(s) for schema {}: {}", payloads.size(), payloads.get(0).schema(),
            e.getMessage());
      }
    }
  }

  private Connection worker() throws SQLException {
    Connection c = idle.poll();
    if (c != null) return c;
    c = connect("muster-migrate:" + config.replicaId());
    try (Statement st = c.createStatement()) {
      st.execute(CONNECTION_CHECK);
    }
    synchronized (opened) {
      opened.add(c);
    }
    return c;
  }

  private Connection connect(String applicationName) throws SQLException {
    Properties properties = new Properties();
    properties.putAll(database.jdbcProperties());
    properties.setProperty("ApplicationName", applicationName.length() > 63 ? applicationName.substring(0, 63)
        : applicationName);
    return DriverManager.getConnection(database.jdbcUrl(), properties);
  }

  private static List<String> invalidIndexes(Connection c, String schema) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(INVALID_INDEXES)) {
      st.setString(1, schema);
      List<String> names = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) names.add(rs.getString(1));
      }
      return names;
    }
  }

  private Flyway flyway(String schema, Connection connection, Callback callback) {
    return configure(schema, connection, callback).load();
  }

  private org.flywaydb.core.api.configuration.FluentConfiguration configure(String schema, Connection connection,
      Callback callback) {
    var configuration = Flyway.configure()
        // As FlywayRunner: a session lock on one connection (non-transactional migrations need it).
        .configuration(Map.of("flyway.postgresql.transactional.lock", "false"))
        .dataSource(new PinnedDataSource(connection))
        .schemas(schema)
        .defaultSchema(schema)
        .createSchemas(config.createSchemas())
        .locations(config.migrations().toArray(String[]::new))
        .connectRetries(0);
    if (callback != null) configuration.callbacks(callback);
    return configuration;
  }

  @Override
  public void close() {
    synchronized (opened) {
      for (Connection c : opened) closeQuietly(c);
    }
    try {
      locks.close();
    } catch (SQLException e) {
      log.debug("closing the lock session", e);
    }
    closeQuietly(control);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      log.debug("closing a connection", e);
    }
  }

  /**
   * Each migration's end in the log (and, one transaction per migration, its start, on the control connection).
   * The ends go in the migrations' own
   * transaction, appended together when its last migration is done: an append holds the log's counter row until
   * its transaction commits, so appending at the first of a group's migrations would hold every other schema's
   * appends for the whole group.
   */
  private final class Progress implements Callback {
    private final String schema;
    private final int perTransaction;
    private final List<Payload> applied = new ArrayList<>();
    private volatile String version;
    private volatile String description;
    private long startedNanos;

    Progress(String schema, int perTransaction) {
      this.schema = schema;
      this.perTransaction = Math.max(1, perTransaction);
    }

    /** After the run: what was not appended in a transaction (Flyway ran fewer than planned) goes now. */
    void flush(Connection connection) throws SQLException {
      for (Payload p : applied) events.appendInTransaction(connection, p);
      applied.clear();
    }

    @Override
    public boolean supports(Event event, Context context) {
      return event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_EACH_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
      return true;
    }

    @Override
    public void handle(Event event, Context context) {
      MigrationInfo m = context.getMigrationInfo();
      String v = m.getVersion() == null ? null : m.getVersion().getVersion();
      if (event == Event.BEFORE_EACH_MIGRATE) {
        version = v;
        description = m.getDescription();
        startedNanos = System.nanoTime();
        // Grouped, a start is not worth its append: the whole group commits at once, and every append waits for
        // the log's counter row, which the other schemas' commits hold. The lock_acquired says what is pending.
        if (perTransaction == 1) append(new Payload.MigrationStarted(schema, v, m.getDescription()));
      } else {
        applied.add(new Payload.MigrationApplied(schema, v, m.getDescription(), millisSince(startedNanos)));
        if (applied.size() < perTransaction) return;
        try {
          for (Payload p : applied) events.appendInTransaction(context.getConnection(), p);
          applied.clear();
        } catch (SQLException e) {
          throw new IllegalStateException("could not record migration " + v + ": " + e.getMessage(), e);
        }
      }
    }

    @Override
    public String getCallbackName() {
      return "muster-progress";
    }
  }
}
