package dev.muster.orchestrator.config;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The orchestrator's settings, validated once and then immutable. {@link #fromEnvironment} reads the
 * {@code MUSTER_*} variables of the contract; the command line mirrors them.
 *
 * @param database         where PostgreSQL is; {@code null} means an embedded server under {@link #dataDirectory}
 * @param migrations       Flyway locations
 * @param schemas          schemas that may be migrated
 * @param httpPort         HTTP port; 0 picks a free one (tests)
 * @param token            bearer token for writes, or {@code null} for an open orchestrator
 * @param maxParallel      schemas this replica migrates at the same time
 * @param createSchemas    create a matching schema that does not exist yet
 * @param replicaId        this replica's name in events and lock holders
 * @param heartbeat        how often an idle event stream gets a comment line, so clients can tell it lives
 * @param takeoverCheck    how long a replica with waiters lets a foreign lock holder be silent before it
 *                         checks, with a non-blocking try, whether the holder is gone
 * @param dataDirectory    where the embedded PostgreSQL keeps its data
 * @param readToken        bearer token for reads ({@code /api/v1/schemas}, {@code /api/v1/events}, {@code /metrics}),
 *                         or {@code null}: reads are open. The write token is accepted for reads too.
 * @param maxBodyBytes     largest request body accepted; a longer one gets {@code 413}
 * @param maxHeaderBytes   largest request head (all header lines together); a longer one gets {@code 431}
 * @param maxStreams       requests held open at once on this replica (event streams and {@code ?wait=true});
 *                         one more gets {@code 503}
 * @param maxStreamsPerClient the same, per remote IP address; one more gets {@code 429}
 * @param streamIdleTimeout how long a held stream may have data waiting for a client that takes none before it
 *                         is closed (the client resumes with {@code Last-Event-ID}); also how long a request
 *                         body may take to arrive ({@code 408} after it)
 */
public record MusterConfig(
    DatabaseUrl database,
    List<String> migrations,
    SchemaNames schemas,
    int httpPort,
    String token,
    int maxParallel,
    boolean createSchemas,
    String replicaId,
    Duration heartbeat,
    Duration takeoverCheck,
    Path dataDirectory,
    String readToken,
    int maxBodyBytes,
    int maxHeaderBytes,
    int maxStreams,
    int maxStreamsPerClient,
    Duration streamIdleTimeout) {

  public static final List<String> DEFAULT_MIGRATIONS = List.of("filesystem:migrations");
  public static final String DEFAULT_SCHEMAS = "public";
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final int DEFAULT_MAX_PARALLEL = 4;
  public static final int DEFAULT_MAX_BODY_BYTES = 16 * 1024;
  public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
  public static final int DEFAULT_MAX_STREAMS = 4096;
  public static final int DEFAULT_MAX_STREAMS_PER_CLIENT = 256;
  public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofSeconds(60);

  public MusterConfig {
    migrations = List.copyOf(migrations);
    Objects.requireNonNull(schemas, "schemas");
    if (migrations.isEmpty()) throw new IllegalArgumentException("MUSTER_MIGRATIONS must name at least one location");
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("MUSTER_HTTP_PORT must be between 0 and 65535, was " + httpPort);
    }
    if (maxParallel < 1 || maxParallel > 64) {
      throw new IllegalArgumentException("MUSTER_MAX_PARALLEL must be between 1 and 64, was " + maxParallel);
    }
    if (token != null && token.isEmpty()) token = null;
    if (replicaId == null || replicaId.isBlank()) throw new IllegalArgumentException("replica id must not be empty");
    requirePositive(heartbeat, "heartbeat");
    requirePositive(takeoverCheck, "takeover check interval");
    Objects.requireNonNull(dataDirectory, "dataDirectory");
    if (readToken != null && readToken.isEmpty()) readToken = null;
    requireBetween(maxBodyBytes, 1024, 16 * 1024 * 1024, "MUSTER_MAX_BODY_BYTES");
    requireBetween(maxHeaderBytes, 1024, 1024 * 1024, "MUSTER_MAX_HEADER_BYTES");
    requireBetween(maxStreams, 1, 1_000_000, "MUSTER_MAX_STREAMS");
    requireBetween(maxStreamsPerClient, 1, 1_000_000, "MUSTER_MAX_STREAMS_PER_CLIENT");
    requirePositive(streamIdleTimeout, "MUSTER_STREAM_IDLE_TIMEOUT");
  }

  /** Everything at its default: embedded database, {@code filesystem:migrations}, schema {@code public}. */
  public static MusterConfig defaults() {
    return new MusterConfig(null, DEFAULT_MIGRATIONS, SchemaNames.parse(DEFAULT_SCHEMAS), DEFAULT_HTTP_PORT, null,
        DEFAULT_MAX_PARALLEL, false, defaultReplicaId(), Duration.ofSeconds(10), Duration.ofMillis(500),
        Path.of(".muster"), null, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_STREAMS,
        DEFAULT_MAX_STREAMS_PER_CLIENT, DEFAULT_STREAM_IDLE_TIMEOUT);
  }

  /** Reads the contract's variables; unset ones keep their defaults. Throws naming the bad variable. */
  public static MusterConfig fromEnvironment(Map<String, String> env) {
    MusterConfig c = defaults();
    String url = env.get("MUSTER_DATABASE_URL");
    String runner = env.getOrDefault("MUSTER_RUNNER", "flyway").trim();
    if (!runner.equals("flyway")) {
      throw new IllegalArgumentException("MUSTER_RUNNER=" + runner + " is not supported by this build; use flyway");
    }
    return new MusterConfig(
        url == null || url.isBlank() ? null : DatabaseUrl.parse(url),
        env.containsKey("MUSTER_MIGRATIONS") ? csv(env.get("MUSTER_MIGRATIONS")) : c.migrations,
        env.containsKey("MUSTER_SCHEMAS") ? SchemaNames.parse(env.get("MUSTER_SCHEMAS")) : c.schemas,
        intVar(env, "MUSTER_HTTP_PORT", c.httpPort),
        env.get("MUSTER_TOKEN"),
        intVar(env, "MUSTER_MAX_PARALLEL", c.maxParallel),
        boolVar(env, "MUSTER_CREATE_SCHEMAS", c.createSchemas),
        env.getOrDefault("MUSTER_REPLICA", c.replicaId),
        c.heartbeat, c.takeoverCheck, c.dataDirectory,
        env.get("MUSTER_READ_TOKEN"),
        intVar(env, "MUSTER_MAX_BODY_BYTES", c.maxBodyBytes),
        intVar(env, "MUSTER_MAX_HEADER_BYTES", c.maxHeaderBytes),
        intVar(env, "MUSTER_MAX_STREAMS", c.maxStreams),
        intVar(env, "MUSTER_MAX_STREAMS_PER_CLIENT", c.maxStreamsPerClient),
        secondsVar(env, "MUSTER_STREAM_IDLE_TIMEOUT", c.streamIdleTimeout));
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** A copy with some settings changed: {@code config.toBuilder().httpPort(0).build()}. */
  public static final class Builder {
    private DatabaseUrl database;
    private List<String> migrations;
    private SchemaNames schemas;
    private int httpPort;
    private String token;
    private int maxParallel;
    private boolean createSchemas;
    private String replicaId;
    private Duration heartbeat;
    private Duration takeoverCheck;
    private Path dataDirectory;
    private String readToken;
    private int maxBodyBytes;
    private int maxHeaderBytes;
    private int maxStreams;
    private int maxStreamsPerClient;
    private Duration streamIdleTimeout;

    private Builder(MusterConfig c) {
      database = c.database;
      migrations = c.migrations;
      schemas = c.schemas;
      httpPort = c.httpPort;
      token = c.token;
      maxParallel = c.maxParallel;
      createSchemas = c.createSchemas;
      replicaId = c.replicaId;
      heartbeat = c.heartbeat;
      takeoverCheck = c.takeoverCheck;
      dataDirectory = c.dataDirectory;
      readToken = c.readToken;
      maxBodyBytes = c.maxBodyBytes;
      maxHeaderBytes = c.maxHeaderBytes;
      maxStreams = c.maxStreams;
      maxStreamsPerClient = c.maxStreamsPerClient;
      streamIdleTimeout = c.streamIdleTimeout;
    }

    public Builder database(DatabaseUrl v) { database = v; return this; }
    public Builder migrations(List<String> v) { migrations = v; return this; }
    public Builder schemas(SchemaNames v) { schemas = v; return this; }
    public Builder httpPort(int v) { httpPort = v; return this; }
    public Builder token(String v) { token = v; return this; }
    public Builder maxParallel(int v) { maxParallel = v; return this; }
    public Builder createSchemas(boolean v) { createSchemas = v; return this; }
    public Builder replicaId(String v) { replicaId = v; return this; }
    public Builder heartbeat(Duration v) { heartbeat = v; return this; }
    public Builder takeoverCheck(Duration v) { takeoverCheck = v; return this; }
    public Builder dataDirectory(Path v) { dataDirectory = v; return this; }
    public Builder readToken(String v) { readToken = v; return this; }
    public Builder maxBodyBytes(int v) { maxBodyBytes = v; return this; }
    public Builder maxHeaderBytes(int v) { maxHeaderBytes = v; return this; }
    public Builder maxStreams(int v) { maxStreams = v; return this; }
    public Builder maxStreamsPerClient(int v) { maxStreamsPerClient = v; return this; }
    public Builder streamIdleTimeout(Duration v) { streamIdleTimeout = v; return this; }

    public MusterConfig build() {
      return new MusterConfig(database, migrations, schemas, httpPort, token, maxParallel, createSchemas, replicaId,
          heartbeat, takeoverCheck, dataDirectory, readToken, maxBodyBytes, maxHeaderBytes, maxStreams,
          maxStreamsPerClient, streamIdleTimeout);
    }
  }

  @Override
  public String toString() {
    return "database=" + (database == null ? "embedded" : database) + " migrations=" + migrations + " schemas="
        + schemas + " httpPort=" + httpPort + " token=" + (token == null ? "unset" : "set") + " maxParallel="
        + maxParallel + " createSchemas=" + createSchemas + " replica=" + replicaId + " readToken="
        + (readToken == null ? "unset" : "set") + " maxBodyBytes=" + maxBodyBytes + " maxHeaderBytes=" + maxHeaderBytes
        + " maxStreams=" + maxStreams + " maxStreamsPerClient=" + maxStreamsPerClient + " streamIdleTimeout="
        + streamIdleTimeout.toSeconds() + "s";
  }

  public static List<String> csv(String value) {
    return List.of(value.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableList());
  }

  private static int intVar(Map<String, String> env, String name, int fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) return fallback;
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, was '" + value + "'");
    }
  }

  private static boolean boolVar(Map<String, String> env, String name, boolean fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) return fallback;
    switch (value.trim().toLowerCase()) {
      case "true": case "1": case "yes": return true;
      case "false": case "0": case "no": return false;
      default: throw new IllegalArgumentException(name + " must be true or false, was '" + value + "'");
    }
  }

  private static Duration secondsVar(Map<String, String> env, String name, Duration fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) return fallback;
    long seconds;
    try {
      seconds = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number of seconds, was '" + value + "'");
    }
    if (seconds < 1 || seconds > 86_400) {
      throw new IllegalArgumentException(name + " must be between 1 and 86400 seconds, was " + seconds);
    }
    return Duration.ofSeconds(seconds);
  }

  private static void requireBetween(int value, int min, int max, String name) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + value);
    }
  }

  private static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive, was " + d);
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
