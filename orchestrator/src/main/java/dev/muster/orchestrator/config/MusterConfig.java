package dev.muster.orchestrator.config;

import static dev.muster.orchestrator.config.Setting.bool;
import static dev.muster.orchestrator.config.Setting.duration;
import static dev.muster.orchestrator.config.Setting.integer;
import static dev.muster.orchestrator.config.Setting.text;

import dev.muster.orchestrator.events.Retention;
import dev.muster.postgres.SslMode;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The orchestrator's settings, validated once and then immutable. Each is a {@link Setting} below, read from
 * its {@code MUSTER_*} variable or its flag ({@link #resolve}); adding one is its constant (listed in
 * {@link #SETTINGS}), its accessor, and its row in {@code docs/configuration.md}, which a test checks against
 * the constant.
 */
public final class MusterConfig {

  // Where the database is. The URL and the single parameters after it become one DatabaseUrl: database().
  public static final Setting<String> DATABASE_URL = Setting.of("MUSTER_DATABASE_URL", text(), null).secret()
      .flag("--database-url", "URL")
      .describe("postgresql://user:pass@host:port/db?sslmode=… or a jdbc:postgresql: URL")
      .defaultText("unset: an embedded PostgreSQL under .muster/ (with a warning)");
  public static final Setting<String> DATABASE_PASSWORD = Setting.of("MUSTER_DATABASE_PASSWORD", text(), null)
      .secret().describe("the database password, instead of one in the URL").defaultText("the URL's");
  public static final Setting<String> DATABASE_SSLMODE = Setting.of("MUSTER_DATABASE_SSLMODE", sslMode(), null)
      .flag("--database-sslmode", "MODE")
      .describe("libpq's sslmode: disable, allow, prefer, require, verify-ca or verify-full")
      .defaultText("the URL's, else prefer");
  public static final Setting<String> DATABASE_SSLROOTCERT = Setting.of("MUSTER_DATABASE_SSLROOTCERT", text(), null)
      .flag("--database-sslrootcert", "FILE")
      .describe("PEM file of the CA certificates that may sign the server's certificate, or system for the JVM's "
          + "trusted roots")
      .defaultText("the URL's");
  public static final Setting<String> DATABASE_SSLCERT = Setting.of("MUSTER_DATABASE_SSLCERT", text(), null)
      .flag("--database-sslcert", "FILE")
      .describe("PEM file of a client certificate, for a server that asks for one").defaultText("the URL's");
  public static final Setting<String> DATABASE_SSLKEY = Setting.of("MUSTER_DATABASE_SSLKEY", text(), null)
      .flag("--database-sslkey", "FILE")
      .describe("PEM file of the client certificate's private key, unencrypted").defaultText("the URL's");

  public static final Setting<List<String>> MIGRATIONS = Setting.of("MUSTER_MIGRATIONS", Setting.list(), null)
      .flag("--migrations", "LOCATIONS")
      .describe("Flyway locations, comma-separated")
      .defaultText("required (demo brings its own)");
  public static final Setting<Boolean> ALLOW_NO_MIGRATIONS = Setting.of("MUSTER_ALLOW_NO_MIGRATIONS", bool(), false)
      .flag("--allow-no-migrations", "BOOL")
      .describe("start even when MUSTER_MIGRATIONS does not exist or holds no migrations (otherwise serve and migrate "
          + "exit 2)");
  public static final Setting<SchemaNames> SCHEMAS = Setting.of("MUSTER_SCHEMAS", schemaNames(),
          SchemaNames.parse("public"))
      .flag("--schemas", "PATTERNS")
      .describe("schemas that may be migrated: names and * patterns, comma-separated");
  public static final Setting<Integer> HTTP_PORT = Setting.of("MUSTER_HTTP_PORT", integer(0, 65535), 8080)
      .flag("--http-port", "PORT").serveOnly()
      .describe("HTTP port; 0 picks a free one");
  public static final Setting<String> TOKEN = Setting.of("MUSTER_TOKEN", text(), null).secret()
      .flag("--token", "TOKEN").serveOnly()
      .describe("bearer token required on every write and admin call")
      .defaultText("unset: open, with a warning");
  public static final Setting<String> READ_TOKEN = Setting.of("MUSTER_READ_TOKEN", text(), null).secret()
      .flag("--read-token", "TOKEN").serveOnly()
      .describe("bearer token required on reads (/api/v1/schemas, /api/v1/schemas/{schema}/ready, /api/v1/events, /metrics); the write token works "
          + "for reads too")
      .defaultText("unset: reads are open");
  public static final Setting<Integer> MAX_PARALLEL = Setting.of("MUSTER_MAX_PARALLEL", integer(1, 64), 4)
      .flag("--max-parallel", "N")
      .describe("schemas migrated at the same time");
  public static final Setting<RunnerChoice> RUNNER = Setting.of("MUSTER_RUNNER", runnerChoice(), RunnerChoice.FLYWAY)
      .flag("--runner", "RUNNERS")
      .describe("how schemas are migrated: flyway, or delegate (an elected service instance runs its own tool); "
          + "per schema as pattern=runner entries, the first match winning, beside one default: flyway,legacy_*=delegate");
  public static final Setting<Duration> MIGRATOR_LEASE = Setting.of("MUSTER_MIGRATOR_LEASE",
          duration(Duration.ofSeconds(1), Duration.ofHours(1)), Duration.ofSeconds(15))
      .flag("--migrator-lease", "DURATION")
      .describe("on a delegated schema, how long the elected migrator keeps its election without a heartbeat");
  public static final Setting<Boolean> CREATE_SCHEMAS = Setting.of("MUSTER_CREATE_SCHEMAS", bool(), false)
      .flag("--create-schemas", "BOOL")
      .describe("create a schema that matches MUSTER_SCHEMAS but does not exist yet, on its first arrival");
  public static final Setting<String> REPLICA = Setting.of("MUSTER_REPLICA", text(), defaultReplicaId())
      .flag("--replica", "NAME")
      .describe("this replica's name in events, lock holders and the dashboard")
      .defaultText("host name-pid");
  public static final Setting<Duration> HEARTBEAT = Setting.of("MUSTER_HEARTBEAT",
          duration(Duration.ofMillis(10), Duration.ofHours(1)), Duration.ofSeconds(10))
      .flag("--heartbeat", "DURATION").serveOnly()
      .describe("how often an idle event stream gets a comment line, so clients and proxies see it is alive");
  public static final Setting<Duration> TAKEOVER_CHECK = Setting.of("MUSTER_TAKEOVER_CHECK",
          duration(Duration.ofMillis(10), Duration.ofHours(1)), Duration.ofMillis(500))
      .flag("--takeover-check", "DURATION")
      .describe("how long a replica with waiters lets another replica's run be silent before it checks, without "
          + "blocking, whether that replica is gone and takes the run over");
  public static final Setting<Integer> MAX_BODY_BYTES = Setting.of("MUSTER_MAX_BODY_BYTES",
          integer(1024, 16 * 1024 * 1024), 16 * 1024)
      .flag("--max-body-bytes", "BYTES").serveOnly()
      .describe("largest request body, bytes");
  public static final Setting<Integer> MAX_HEADER_BYTES = Setting.of("MUSTER_MAX_HEADER_BYTES",
          integer(1024, 1024 * 1024), 16 * 1024)
      .flag("--max-header-bytes", "BYTES").serveOnly()
      .describe("largest request head, all header lines together, bytes");
  public static final Setting<Integer> MAX_STREAMS = Setting.of("MUSTER_MAX_STREAMS", integer(1, 1_000_000), 4096)
      .flag("--max-streams", "N").serveOnly()
      .describe("event streams and ?wait=true requests one replica holds open at once");
  public static final Setting<Integer> MAX_STREAMS_PER_CLIENT = Setting.of("MUSTER_MAX_STREAMS_PER_CLIENT",
          integer(1, 1_000_000), 256)
      .flag("--max-streams-per-client", "N").serveOnly()
      .describe("the same, per client IP address; behind a proxy or NAT, set it to MUSTER_MAX_STREAMS");
  public static final Setting<Duration> STREAM_IDLE_TIMEOUT = Setting.of("MUSTER_STREAM_IDLE_TIMEOUT",
          duration(Duration.ofSeconds(1), Duration.ofDays(1)), Duration.ofSeconds(60))
      .flag("--stream-idle-timeout", "DURATION").serveOnly()
      .describe("how long a stream may have data waiting for a client that takes none before it is cut off (the "
          + "client resumes with Last-Event-ID); also how long a request body may take to arrive");
  // Lock safety (issue 14): how a migration waits for its locks without stopping the application's traffic.
  public static final Setting<PerSchema<Duration>> LOCK_TIMEOUT = Setting.of("MUSTER_LOCK_TIMEOUT",
          PerSchema.type(duration(Duration.ZERO, Duration.ofHours(1))),
          PerSchema.of(Duration.ofSeconds(1), duration(Duration.ZERO, Duration.ofHours(1))))
      .flag("--lock-timeout", "DURATION[,PATTERN=DURATION]")
      .describe("lock_timeout of each transactional migration: how long one attempt may queue for a lock (and hold "
          + "up the table's readers and writers behind it) before it is rolled back and tried again; per schema "
          + "pattern after the default; 0 turns lock safety off");
  public static final Setting<PerSchema<Duration>> STATEMENT_TIMEOUT = Setting.of("MUSTER_STATEMENT_TIMEOUT",
          PerSchema.type(duration(Duration.ZERO, Duration.ofDays(1))),
          PerSchema.of(Duration.ofMinutes(30), duration(Duration.ZERO, Duration.ofDays(1))))
      .flag("--statement-timeout", "DURATION[,PATTERN=DURATION]")
      .describe("statement_timeout of each transactional migration, a guard against runaway statements; per schema "
          + "pattern after the default; 0 for none");
  public static final Setting<Integer> LOCK_ATTEMPTS = Setting.of("MUSTER_LOCK_ATTEMPTS", integer(1, 1_000_000), 100)
      .flag("--lock-attempts", "N")
      .describe("attempts a migration gets to take its locks before the run fails with 55P03, naming the blocker");
  public static final Setting<Duration> LOCK_RETRY_FOR = Setting.of("MUSTER_LOCK_RETRY_FOR",
          duration(Duration.ZERO, Duration.ofDays(1)), Duration.ofMinutes(10))
      .flag("--lock-retry-for", "DURATION")
      .describe("how long a migration keeps trying to take its locks, from its first attempt, before the run fails");
  public static final Setting<Duration> LOCK_RETRY_DELAY = Setting.of("MUSTER_LOCK_RETRY_DELAY",
          duration(Duration.ofMillis(1), Duration.ofMinutes(10)), Duration.ofMillis(200))
      .flag("--lock-retry-delay", "DURATION")
      .describe("the pause after a first attempt timed out; it doubles with each attempt, with jitter");
  public static final Setting<Duration> LOCK_RETRY_MAX_DELAY = Setting.of("MUSTER_LOCK_RETRY_MAX_DELAY",
          duration(Duration.ofMillis(1), Duration.ofMinutes(10)), Duration.ofSeconds(2))
      .flag("--lock-retry-max-delay", "DURATION")
      .describe("the longest pause between attempts");
  public static final Setting<Duration> IDLE_IN_TRANSACTION_TIMEOUT = Setting.of("MUSTER_IDLE_IN_TRANSACTION_TIMEOUT",
          duration(Duration.ZERO, Duration.ofDays(1)), Duration.ofSeconds(10))
      .flag("--idle-in-transaction-timeout", "DURATION")
      .describe("idle_in_transaction_session_timeout of migration sessions: a frozen or stalled migrator's "
          + "transaction, and its locks, end after this; 0 for none");
  public static final Setting<Duration> TERMINATE_IDLE_BLOCKERS = Setting.of("MUSTER_TERMINATE_IDLE_BLOCKERS",
          duration(Duration.ZERO, Duration.ofDays(1)), Duration.ZERO)
      .flag("--terminate-idle-blockers", "DURATION")
      .describe("terminate (pg_terminate_backend) a session that blocks a migration while idle in transaction for "
          + "longer than this, recorded as migration.intervened; 0 turns it off")
      .defaultText("0 (off)");
  public static final Setting<Retention> EVENTS_RETENTION = Setting.of("MUSTER_EVENTS_RETENTION", retention(), null)
      .flag("--events-retention", "LIMITS").serveOnly()
      .describe("how much of the event log to keep: an age (30d, 12h, 90m, 3600s), a count of events (1000000), or "
          + "both, comma-separated; older events are pruned in small batches, except what each schema's state needs")
      .defaultText("unset: keep every event");
  /** Where the embedded PostgreSQL keeps its data. */
  public static final Setting<Path> DATA_DIRECTORY = Setting.internal("dataDirectory", Path::of, Path.of(".muster"));

  /** Every setting, in the order of {@code docs/configuration.md}. */
  public static final List<Setting<?>> SETTINGS = List.of(DATABASE_URL, DATABASE_PASSWORD, DATABASE_SSLMODE,
      DATABASE_SSLROOTCERT, DATABASE_SSLCERT, DATABASE_SSLKEY, MIGRATIONS, ALLOW_NO_MIGRATIONS, SCHEMAS, HTTP_PORT, TOKEN, READ_TOKEN,
      MAX_PARALLEL, RUNNER, MIGRATOR_LEASE, CREATE_SCHEMAS, REPLICA, HEARTBEAT, TAKEOVER_CHECK, MAX_BODY_BYTES, MAX_HEADER_BYTES,
      MAX_STREAMS, MAX_STREAMS_PER_CLIENT, STREAM_IDLE_TIMEOUT, LOCK_TIMEOUT, STATEMENT_TIMEOUT, LOCK_ATTEMPTS,
      LOCK_RETRY_FOR, LOCK_RETRY_DELAY, LOCK_RETRY_MAX_DELAY, IDLE_IN_TRANSACTION_TIMEOUT, TERMINATE_IDLE_BLOCKERS,
      EVENTS_RETENTION, DATA_DIRECTORY);
  /** The settings that together are {@link #database()}; the URL's own parameter name for each of the others. */
  private static final Map<Setting<String>, String> DATABASE_PARTS = databaseParts();

  public static final String DEFAULT_SCHEMAS = "public";
  public static final int DEFAULT_HTTP_PORT = HTTP_PORT.defaultValue();
  public static final int DEFAULT_MAX_PARALLEL = MAX_PARALLEL.defaultValue();
  public static final int DEFAULT_MAX_BODY_BYTES = MAX_BODY_BYTES.defaultValue();
  public static final int DEFAULT_MAX_HEADER_BYTES = MAX_HEADER_BYTES.defaultValue();
  public static final int DEFAULT_MAX_STREAMS = MAX_STREAMS.defaultValue();
  public static final int DEFAULT_MAX_STREAMS_PER_CLIENT = MAX_STREAMS_PER_CLIENT.defaultValue();
  public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = STREAM_IDLE_TIMEOUT.defaultValue();

  private final DatabaseUrl database;
  /** Every setting but the database's parts; null where unset. */
  private final Map<Setting<?>, Object> values;

  private MusterConfig(DatabaseUrl database, Map<Setting<?>, Object> values) {
    this.database = database;
    Map<Setting<?>, Object> checked = new HashMap<>();
    for (Setting<?> setting : SETTINGS) {
      if (DATABASE_PARTS.containsKey(setting)) continue;
      Object value = values.get(setting);
      if (value == null && setting.defaultValue() != null) {
        throw new IllegalArgumentException(setting + " must be set");
      }
      checked.put(setting, check(setting, value));
    }
    this.values = checked;
  }

  private static <T> T check(Setting<T> setting, Object value) {
    return setting.check(setting.cast(value));
  }

  /** Every setting at its default: the embedded database, schema {@code public}, and no migrations yet. */
  public static MusterConfig defaults() {
    Map<Setting<?>, Object> values = new HashMap<>();
    for (Setting<?> s : SETTINGS) values.put(s, s.defaultValue());
    return new MusterConfig(null, values);
  }

  /** Reads the {@code MUSTER_*} variables; throws naming the variable that is wrong or missing. */
  public static MusterConfig fromEnvironment(Map<String, String> env) {
    return resolve(flag -> null, env);
  }

  /**
   * Reads the command line's flags and the environment, the flags winning.
   *
   * @param flags the text given for each flag, by its name ({@code --http-port}); null for a flag not given
   * @throws IllegalArgumentException naming the flag or variable that is wrong or missing
   */
  public static MusterConfig resolve(Function<String, String> flags, Map<String, String> env) {
    Map<Setting<?>, Object> values = new HashMap<>();
    for (Setting<?> s : SETTINGS) values.put(s, s.valueFrom(flags, env));
    DatabaseUrl database = database(values);
    // A fleet whose every schema is delegated has no migration files for the orchestrator.
    if (values.get(MIGRATIONS) == null && ((RunnerChoice) values.get(RUNNER)).anyFlyway()) {
      throw new IllegalArgumentException("MUSTER_MIGRATIONS is not set: name the Flyway locations of the migrations "
          + "to run, e.g. MUSTER_MIGRATIONS=filesystem:/migrations (or --migrations)");
    }
    return new MusterConfig(database, values);
  }

  /**
   * Only the database settings: {@code MUSTER_DATABASE_URL} and the single parameters over it, for tools that
   * need nothing else (the bench). Null when no URL is set.
   */
  public static DatabaseUrl database(Function<String, String> flags, Map<String, String> env) {
    Map<Setting<?>, Object> values = new HashMap<>();
    values.put(DATABASE_URL, DATABASE_URL.valueFrom(flags, env));
    for (Setting<String> part : DATABASE_PARTS.keySet()) values.put(part, part.valueFrom(flags, env));
    return database(values);
  }

  private static DatabaseUrl database(Map<Setting<?>, Object> values) {
    Map<String, String> overrides = new LinkedHashMap<>();
    DATABASE_PARTS.forEach((setting, parameter) -> {
      if (values.get(setting) != null) overrides.put(parameter, (String) values.get(setting));
    });
    String url = (String) values.get(DATABASE_URL);
    if (url == null) {
      if (!overrides.isEmpty()) {
        throw new IllegalArgumentException(DATABASE_PARTS.keySet().stream().filter(s -> values.get(s) != null)
            .map(Setting::variable).collect(Collectors.joining(", ")) + " set, but " + DATABASE_URL + " is not: "
            + "they apply to the database it names (the embedded one is local and plain text)");
      }
      return null;
    }
    DatabaseUrl database = DatabaseUrl.parse(url, overrides);
    database.checkFiles();
    return database;
  }

  private static Map<Setting<String>, String> databaseParts() {
    Map<Setting<String>, String> parts = new LinkedHashMap<>();
    parts.put(DATABASE_PASSWORD, "password");
    parts.put(DATABASE_SSLMODE, "sslmode");
    parts.put(DATABASE_SSLROOTCERT, "sslrootcert");
    parts.put(DATABASE_SSLCERT, "sslcert");
    parts.put(DATABASE_SSLKEY, "sslkey");
    return parts;
  }

  /** The value of {@code setting}; null where unset (no token, no database URL). */
  public <T> T get(Setting<T> setting) {
    if (setting == DATABASE_URL || DATABASE_PARTS.containsKey(setting)) {
      throw new IllegalArgumentException(setting + " is part of database()");
    }
    return setting.cast(values.get(setting));
  }

  /** Where PostgreSQL is; {@code null} means an embedded server under {@link #dataDirectory}. */
  public DatabaseUrl database() {
    return database;
  }

  /** Flyway locations; empty only in {@link #defaults()}, before they are set: a replica refuses to start so. */
  public List<String> migrations() {
    List<String> migrations = get(MIGRATIONS);
    return migrations == null ? List.of() : migrations;
  }

  public SchemaNames schemas() {
    return get(SCHEMAS);
  }

  /** HTTP port; 0 picks a free one (tests). */
  public int httpPort() {
    return get(HTTP_PORT);
  }

  /** Bearer token for writes, or {@code null} for an open orchestrator. */
  public String token() {
    return get(TOKEN);
  }

  /** Schemas this replica migrates at the same time. */
  public int maxParallel() {
    return get(MAX_PARALLEL);
  }

  /** Whether a migrations location that does not exist or is empty is accepted. */
  public boolean allowNoMigrations() {
    return get(ALLOW_NO_MIGRATIONS);
  }

  /** Which runner migrates each schema. */
  public RunnerChoice runners() {
    return get(RUNNER);
  }

  /** How long an elected migrator keeps its election without a heartbeat. */
  public Duration migratorLease() {
    return get(MIGRATOR_LEASE);
  }

  public boolean createSchemas() {
    return get(CREATE_SCHEMAS);
  }

  /** This replica's name in events and lock holders. */
  public String replicaId() {
    return get(REPLICA);
  }

  /** How often an idle event stream gets a comment line, so clients can tell it lives. */
  public Duration heartbeat() {
    return get(HEARTBEAT);
  }

  /**
   * How long a replica with waiters lets a foreign lock holder be silent before it checks, with a non-blocking
   * try, whether the holder is gone.
   */
  public Duration takeoverCheck() {
    return get(TAKEOVER_CHECK);
  }

  public Path dataDirectory() {
    return get(DATA_DIRECTORY);
  }

  /**
   * Bearer token for reads ({@code /api/v1/schemas}, {@code /api/v1/events}, {@code /metrics}), or {@code null}:
   * reads are open. The write token is accepted for reads too.
   */
  public String readToken() {
    return get(READ_TOKEN);
  }

  /** Largest request body accepted; a longer one gets {@code 413}. */
  public int maxBodyBytes() {
    return get(MAX_BODY_BYTES);
  }

  /** Largest request head (all header lines together); a longer one gets {@code 431}. */
  public int maxHeaderBytes() {
    return get(MAX_HEADER_BYTES);
  }

  /** Requests held open at once on this replica (event streams and {@code ?wait=true}); one more gets {@code 503}. */
  public int maxStreams() {
    return get(MAX_STREAMS);
  }

  /** The same, per remote IP address; one more gets {@code 429}. */
  public int maxStreamsPerClient() {
    return get(MAX_STREAMS_PER_CLIENT);
  }

  /**
   * How long a held stream may have data waiting for a client that takes none before it is closed (the client
   * resumes with {@code Last-Event-ID}); also how long a request body may take to arrive ({@code 408} after it).
   */
  public Duration streamIdleTimeout() {
    return get(STREAM_IDLE_TIMEOUT);
  }

  /** lock_timeout of the schema's transactional migrations; zero: lock safety off. */
  public Duration lockTimeout(String schema) {
    return get(LOCK_TIMEOUT).forSchema(schema);
  }

  /** statement_timeout of the schema's transactional migrations; zero: none. */
  public Duration statementTimeout(String schema) {
    return get(STATEMENT_TIMEOUT).forSchema(schema);
  }

  public int lockAttempts() {
    return get(LOCK_ATTEMPTS);
  }

  public Duration lockRetryFor() {
    return get(LOCK_RETRY_FOR);
  }

  public Duration lockRetryDelay() {
    return get(LOCK_RETRY_DELAY);
  }

  public Duration lockRetryMaxDelay() {
    return get(LOCK_RETRY_MAX_DELAY);
  }

  public Duration idleInTransactionTimeout() {
    return get(IDLE_IN_TRANSACTION_TIMEOUT);
  }

  /** Blockers idle in transaction longer than this are terminated; zero: never. */
  public Duration terminateIdleBlockers() {
    return get(TERMINATE_IDLE_BLOCKERS);
  }

  /** How much of the event log to keep; {@code null}: all of it. */
  public Retention eventsRetention() {
    return get(EVENTS_RETENTION);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** A copy with some settings changed: {@code config.toBuilder().httpPort(0).build()}. */
  public static final class Builder {
    private DatabaseUrl database;
    private final Map<Setting<?>, Object> values;

    private Builder(MusterConfig c) {
      database = c.database;
      values = new HashMap<>(c.values);
    }

    public <T> Builder set(Setting<T> setting, T value) {
      if (!values.containsKey(setting)) throw new IllegalArgumentException(setting + " is set with database(…)");
      values.put(setting, value);
      return this;
    }

    public Builder database(DatabaseUrl v) { database = v; return this; }
    public Builder migrations(List<String> v) { return set(MIGRATIONS, List.copyOf(v)); }
    public Builder schemas(SchemaNames v) { return set(SCHEMAS, v); }
    public Builder httpPort(int v) { return set(HTTP_PORT, v); }
    public Builder token(String v) { return set(TOKEN, v); }
    public Builder maxParallel(int v) { return set(MAX_PARALLEL, v); }
    public Builder createSchemas(boolean v) { return set(CREATE_SCHEMAS, v); }
    public Builder allowNoMigrations(boolean v) { return set(ALLOW_NO_MIGRATIONS, v); }
    public Builder runners(RunnerChoice v) { return set(RUNNER, v); }
    public Builder migratorLease(Duration v) { return set(MIGRATOR_LEASE, v); }
    public Builder replicaId(String v) { return set(REPLICA, v); }
    public Builder heartbeat(Duration v) { return set(HEARTBEAT, v); }
    public Builder takeoverCheck(Duration v) { return set(TAKEOVER_CHECK, v); }
    public Builder dataDirectory(Path v) { return set(DATA_DIRECTORY, v); }
    public Builder readToken(String v) { return set(READ_TOKEN, v); }
    public Builder maxBodyBytes(int v) { return set(MAX_BODY_BYTES, v); }
    public Builder maxHeaderBytes(int v) { return set(MAX_HEADER_BYTES, v); }
    public Builder maxStreams(int v) { return set(MAX_STREAMS, v); }
    public Builder maxStreamsPerClient(int v) { return set(MAX_STREAMS_PER_CLIENT, v); }
    public Builder streamIdleTimeout(Duration v) { return set(STREAM_IDLE_TIMEOUT, v); }
    public Builder lockTimeout(Duration v) { return set(LOCK_TIMEOUT, PerSchema.of(v, duration(Duration.ZERO, Duration.ofHours(1)))); }
    public Builder eventsRetention(Retention v) { return set(EVENTS_RETENTION, v); }

    public MusterConfig build() {
      return new MusterConfig(database, values);
    }
  }

  /** Every setting as logs may show it: the database without its password, tokens only as set or unset. */
  @Override
  public String toString() {
    StringJoiner s = new StringJoiner(" ");
    s.add("database=" + (database == null ? "embedded" : database));
    for (Setting<?> setting : SETTINGS) {
      if (values.containsKey(setting) && !setting.isInternal()) s.add(setting.key() + "=" + setting.show(values.get(setting)));
    }
    return s.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MusterConfig other && Objects.equals(database, other.database) && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(database, values);
  }

  public static List<String> csv(String value) {
    return List.of(value.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableList());
  }

  private static Setting.Type<SchemaNames> schemaNames() {
    return new Setting.Type<>() {
      @Override
      public SchemaNames read(String text) {
        return SchemaNames.parse(text);
      }

      @Override
      public String format(SchemaNames value) {
        return value.toString();
      }
    };
  }

  private static Setting.Type<RunnerChoice> runnerChoice() {
    return new Setting.Type<>() {
      @Override
      public RunnerChoice read(String text) {
        return RunnerChoice.parse(text);
      }

      @Override
      public String format(RunnerChoice value) {
        return value.toString();
      }
    };
  }

  private static Setting.Type<Retention> retention() {
    return new Setting.Type<>() {
      @Override
      public Retention read(String text) {
        return Retention.parse(text);
      }

      @Override
      public String format(Retention value) {
        return value.format();
      }
    };
  }

  private static Setting.Type<String> sslMode() {
    return text -> {
      try {
        return SslMode.of(text).libpqName();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage().replaceFirst("^sslmode ", ""), e);
      }
    };
  }

  private static String defaultReplicaId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "orchestrator";
    }
    return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
  }
}
