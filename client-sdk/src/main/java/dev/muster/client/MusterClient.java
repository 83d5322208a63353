package dev.muster.client;

import dev.muster.client.internal.ArrivalFields;
import dev.muster.client.internal.WaitClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Makes a starting service wait until the Muster orchestrator reports that the database schema it
 * needs is migrated: the service announces its arrival, then blocks on the event stream the
 * orchestrator pushes until the schema is ready or its migration failed. Nothing is polled.
 *
 * <p>Wait before anything touches the database:
 *
 * <pre>{@code
 * public static void main(String[] args) throws InterruptedException {
 *     try {
 *         // MUSTER_URL, MUSTER_SERVICE=app, MUSTER_SCHEMA, MUSTER_REQUIRED_VERSION=4, ...
 *         Ready ready = MusterClient.fromEnvironment().awaitReady();
 *         System.out.println(ready);
 *     } catch (MusterException e) {
 *         System.err.println(e.getMessage());
 *         System.exit(e.exitCode());
 *     } catch (IllegalArgumentException | IllegalStateException badConfiguration) {
 *         System.err.println(badConfiguration.getMessage());
 *         System.exit(2);
 *     }
 *     DataSource dataSource = openDataSource(); // only now: the schema is at version 4 or later
 *     new App(dataSource).run();
 * }
 * }</pre>
 *
 * <p>Or configure it in code; every setting is checked when it is set:
 *
 * <pre>{@code
 * MusterClient client = MusterClient.builder()
 *     .url("http://muster-a:8080,http://muster-b:8080") // fail-over between replicas
 *     .service("app")
 *     .requiredVersion("4")
 *     .timeout(Duration.ofMinutes(10))
 *     .listener(event -> log.info("muster: {}", event))
 *     .build();
 * }</pre>
 *
 * <p><b>What a wait does.</b> It posts the arrival to {@code /api/v1/arrivals} and reads the
 * Server-Sent Events answer, over one plain HTTP/1.1 connection (no {@code HttpClient} to start: a
 * schema that is ready costs a few milliseconds). If the stream breaks off, stays silent longer than
 * the {@linkplain Builder#idleTimeout idle timeout}, or the orchestrator cannot be reached or answers
 * 5xx, it reconnects after a short backoff (100 ms doubling to 2 s), to the next URL when there are
 * several, resuming after the last event it saw. A {@code 503 database_unavailable} is waited out the
 * same way: the orchestrator answered, so at the timeout the wait ends with {@link
 * WaitTimeoutException} naming the database, not {@link OrchestratorUnreachableException}. A {@code
 * 409 version_skew} (the replica's migrations end before the required version) is final only after
 * {@value #VERSION_SKEW_WAIT_SECONDS} s of such answers from every URL, since a roll-out of the
 * orchestrator may be under way. Any other 4xx answer ends the wait at once. So does the {@linkplain
 * Builder#timeout timeout}, counted from the start of the wait.
 *
 * <p><b>Delegated runs.</b> Where the orchestrator lets the services migrate a schema with their own
 * tool, a client with a {@linkplain Builder#migrator migrator} may be elected to run it; see {@link
 * Migrator}.
 *
 * <p><b>Sharing.</b> A client is immutable and thread-safe: build one and share it. Each call to
 * {@link #awaitReady()} or {@link #readyAsync()} is a separate arrival. Nothing needs closing: the
 * client's threads are daemons named {@code muster-client-*}, one reading each open connection and one
 * running an elected migrator, and they end with their wait.
 *
 * <p><b>Exit codes.</b> Every failure is a {@link MusterException} whose {@link
 * MusterException#exitCode() exitCode()} follows the Muster contract:
 *
 * <table>
 *   <caption>Exit codes</caption>
 *   <tr><th>code</th><th>exception</th><th>meaning</th></tr>
 *   <tr><td>0</td><td>(none)</td><td>the schema is ready</td></tr>
 *   <tr><td>2</td><td>{@link ArrivalRejectedException}</td><td>bad usage or configuration</td></tr>
 *   <tr><td>3</td><td>{@link MigrationFailedException}</td><td>the migration failed</td></tr>
 *   <tr><td>4</td><td>{@link WaitTimeoutException}</td><td>gave up waiting</td></tr>
 *   <tr><td>5</td><td>{@link OrchestratorUnreachableException}</td>
 *       <td>the orchestrator could not be reached before the timeout</td></tr>
 * </table>
 *
 * <p>Invalid configuration is an {@link IllegalArgumentException} from the builder, or an {@link
 * IllegalStateException} from {@link Builder#build()}: exit code 2 too, as in the example above.
 */
public final class MusterClient {
  public static final String DEFAULT_URL = "http://localhost:8080";
  public static final String DEFAULT_SCHEMA = "public";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(600);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  static final long VERSION_SKEW_WAIT_SECONDS = 30;
  /** How long {@code 409 version_skew} answers (and failures) may last before the wait takes them as final. */
  public static final Duration VERSION_SKEW_WAIT = Duration.ofSeconds(VERSION_SKEW_WAIT_SECONDS);

  private final List<URI> urls;
  private final String service;
  private final String instance;
  private final String schema;
  private final String requiredVersion;
  private final Duration timeout;
  private final Duration idleTimeout;
  private final String token;
  private final String deploy;
  private final Consumer<MusterEvent> listener;
  private final Migrator migrator;
  private final WaitClock clock;

  private MusterClient(Builder builder) {
    this.urls = builder.urls;
    this.service = builder.service;
    this.instance = builder.instance != null ? builder.instance : defaultInstance();
    this.schema = builder.schema;
    this.requiredVersion = builder.requiredVersion;
    this.timeout = builder.timeout;
    this.idleTimeout = builder.idleTimeout;
    this.token = builder.token;
    this.deploy = builder.deploy;
    this.listener = builder.listener;
    this.migrator = builder.migrator;
    this.clock = builder.clock;
  }

  /** A builder with the defaults: {@value #DEFAULT_URL}, schema {@value #DEFAULT_SCHEMA}, 600 s. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A client configured from the {@code MUSTER_*} environment variables, as described at {@link
   * Builder#environment(Map)}.
   *
   * @throws IllegalArgumentException if a variable has an invalid value; the message names it
   * @throws IllegalStateException if {@code MUSTER_SERVICE} is not set
   */
  public static MusterClient fromEnvironment() {
    return builder().environment(System.getenv()).build();
  }

  /** A builder holding this client's configuration, to derive a client that differs in a few settings. */
  public Builder newBuilder() {
    return new Builder(this);
  }

  /**
   * Announces this service's arrival and blocks until its schema is ready.
   *
   * @return the schema and version that are ready, and from which orchestrator
   * @throws ArrivalRejectedException if the orchestrator refused the arrival (4xx), such as a
   *     required version beyond its migrations
   * @throws MigrationFailedException if the schema's migration failed
   * @throws WaitTimeoutException if the schema was not ready before the timeout, or the orchestrator
   *     gave up on this instance
   * @throws OrchestratorUnreachableException if no orchestrator accepted the arrival before the
   *     timeout
   * @throws InterruptedException if the thread was interrupted while waiting; the stream is closed
   *     before this is thrown
   */
  public Ready awaitReady() throws InterruptedException {
    return new ArrivalWait(this).await();
  }

  /**
   * Starts {@link #awaitReady()} on a new daemon thread ({@code muster-client-wait-<service>}) and
   * returns at once. The future completes with the {@link Ready}, or exceptionally with the {@link
   * MusterException} that {@code awaitReady()} would throw. Completing the future early in any way
   * ({@code cancel}, {@code complete}, {@code orTimeout}) stops the wait and closes its stream.
   */
  public CompletableFuture<Ready> readyAsync() {
    return ReadyFuture.start(new ArrivalWait(this), "muster-client-wait-" + service);
  }

  /** The orchestrators' base URLs, tried in turn. */
  public List<URI> urls() {
    return urls;
  }

  /** The service's name, such as {@code app}. */
  public String service() {
    return service;
  }

  /** This instance's id, such as {@code app-7f3c}. */
  public String instance() {
    return instance;
  }

  /** The schema the service needs. */
  public String schema() {
    return schema;
  }

  /**
   * The lowest schema version the service accepts (or, for a delegated schema, the version it
   * requires); {@code null} for the latest the orchestrator has.
   */
  public String requiredVersion() {
    return requiredVersion;
  }

  /** The deploy this start belongs to, for delegated schemas; {@code null} if none. */
  public String deploy() {
    return deploy;
  }

  /** How long a wait may take in all, reconnects included. */
  public Duration timeout() {
    return timeout;
  }

  /** How long a stream may stay silent, heartbeats included, before the wait reconnects. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  String token() {
    return token;
  }

  Consumer<MusterEvent> listener() {
    return listener;
  }

  Migrator migrator() {
    return migrator;
  }

  WaitClock clock() {
    return clock;
  }

  @Override
  public String toString() {
    return "MusterClient{service=" + service + ", instance=" + instance + ", schema=" + schema
        + ", requiredVersion=" + (requiredVersion == null ? "latest" : requiredVersion)
        + (deploy == null ? "" : ", deploy=" + deploy) + ", urls=" + urls
        + ", timeout=" + timeout + ", idleTimeout=" + idleTimeout + ", token=" + (token == null ? "none" : "***")
        + (migrator == null ? "" : ", canMigrate") + "}";
  }

  /**
   * Host name and process id, such as {@code web-5d9f-1234}: unique per process, readable in logs. On Linux both
   * come from {@code /proc}: {@code InetAddress.getLocalHost()} resolves the name it reads (a lookup, which can
   * hang on a bad resolver) and {@code ProcessHandle} starts the JDK's process machinery, each costing a cold JVM
   * milliseconds for a name and a number.
   */
  private static String defaultInstance() {
    String host = System.getenv("HOSTNAME"); // set in containers
    if (host == null || host.isBlank()) {
      host = firstLine("/proc/sys/kernel/hostname"); // what gethostname() answers
    }
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "localhost";
      }
    }
    return defaultInstance(host.strip(), processId());
  }

  private static long processId() {
    try {
      // /proc/self links to /proc/<pid>, the number getpid() returns.
      String name = new java.io.File("/proc/self").getCanonicalFile().getName();
      if (!name.isEmpty() && name.length() <= 18 && isDigits(name)) {
        return Long.parseLong(name);
      }
    } catch (IOException | SecurityException notLinux) {
      // fall back below
    }
    return ProcessHandle.current().pid();
  }

  private static boolean isDigits(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** The first line of a small file, or {@code null} if it cannot be read. */
  private static String firstLine(String file) {
    try (java.io.FileInputStream in = new java.io.FileInputStream(file)) {
      byte[] bytes = in.readNBytes(256);
      int end = 0;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      return new String(bytes, 0, end, StandardCharsets.UTF_8);
    } catch (IOException | SecurityException unreadable) {
      return null;
    }
  }

  /** Fits the orchestrator's rule: at most 128 characters, starting with a letter or digit. */
  static String defaultInstance(String host, long pid) {
    String suffix = "-" + pid;
    StringBuilder safe = new StringBuilder(host.length());
    for (int i = 0; i < host.length(); i += Character.charCount(host.codePointAt(i))) {
      int c = host.codePointAt(i); // one '-' for each character the orchestrator refuses, as for a surrogate pair
      safe.append(ArrivalFields.isInstanceChar(c) ? (char) c : '-');
    }
    String safeHost = safe.toString();
    if (safeHost.isEmpty() || !Character.isLetterOrDigit(safeHost.charAt(0))) {
      safeHost = "i" + safeHost;
    }
    int room = ArrivalFields.MAX_INSTANCE_LENGTH - suffix.length();
    return safeHost.substring(0, Math.min(safeHost.length(), room)) + suffix;
  }

  /**
   * Configures a {@link MusterClient}. Each setter checks its argument at once and throws {@link
   * IllegalArgumentException} naming the setting and its bound; {@code null} is a {@link
   * NullPointerException} except where a setter says it means "none". Not thread-safe.
   */
  public static final class Builder {
    private static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration MAX_TIMEOUT = Duration.ofHours(24);
    private static final Duration MIN_IDLE_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_IDLE_TIMEOUT = Duration.ofHours(1);

    private List<URI> urls = List.of(URI.create(DEFAULT_URL));
    private String service;
    private String instance;
    private String schema = DEFAULT_SCHEMA;
    private String requiredVersion;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private String token;
    private String deploy;
    private Consumer<MusterEvent> listener;
    private Migrator migrator;
    private WaitClock clock = WaitClock.SYSTEM;

    private Builder() {}

    private Builder(MusterClient client) {
      this.urls = client.urls;
      this.service = client.service;
      this.instance = client.instance;
      this.schema = client.schema;
      this.requiredVersion = client.requiredVersion;
      this.timeout = client.timeout;
      this.idleTimeout = client.idleTimeout;
      this.token = client.token;
      this.deploy = client.deploy;
      this.listener = client.listener;
      this.migrator = client.migrator;
      this.clock = client.clock;
    }

    /**
     * The orchestrator's base URL, such as {@code http://orchestrator:8080}, or several separated by
     * commas for fail-over between replicas. Default {@value MusterClient#DEFAULT_URL}.
     *
     * @throws IllegalArgumentException if it names no URL, or one is not an absolute {@code http}
     *     or {@code https} URL without query or fragment
     */
    public Builder url(String url) {
      Objects.requireNonNull(url, "url must not be null");
      List<URI> parsed = new ArrayList<>();
      for (String part : url.split(",")) {
        String trimmed = part.trim();
        if (!trimmed.isEmpty()) {
          try {
            parsed.add(new URI(trimmed));
          } catch (URISyntaxException e) {
            throw new IllegalArgumentException(invalidUrl(trimmed), e);
          }
        }
      }
      return urls(parsed);
    }

    /**
     * The orchestrators' base URLs, tried in turn.
     *
     * @throws IllegalArgumentException if the list is empty, or a URL is not an absolute {@code
     *     http} or {@code https} URL without query or fragment
     */
    public Builder urls(List<URI> urls) {
      Objects.requireNonNull(urls, "urls must not be null");
      if (urls.isEmpty()) {
        throw new IllegalArgumentException("url must name at least one orchestrator");
      }
      List<URI> checked = new ArrayList<>();
      for (URI url : urls) {
        checked.add(checkUrl(Objects.requireNonNull(url, "urls must not contain null")));
      }
      this.urls = List.copyOf(checked);
      return this;
    }

    /**
     * The service's name, such as {@code app}. Required.
     *
     * @throws IllegalArgumentException unless 1 to 63 characters of {@code A-Z a-z 0-9 _ . -}
     *     starting with a letter or digit, as the orchestrator requires
     */
    public Builder service(String service) {
      this.service = checked(service, ArrivalFields.service(notNull(service, "service")));
      return this;
    }

    /**
     * This instance's id, unique among the service's instances. Default: host name and process id,
     * cut to fit.
     *
     * @throws IllegalArgumentException unless 1 to 128 characters of {@code A-Z a-z 0-9 _ . : -}
     *     starting with a letter or digit
     */
    public Builder instance(String instance) {
      this.instance = checked(instance, ArrivalFields.instance(notNull(instance, "instance")));
      return this;
    }

    /**
     * The schema the service needs. Default {@value MusterClient#DEFAULT_SCHEMA}.
     *
     * @throws IllegalArgumentException unless a lower-case identifier {@code [a-z_][a-z0-9_]*} of at
     *     most 63 bytes
     */
    public Builder schema(String schema) {
      this.schema = checked(schema, ArrivalFields.schema(notNull(schema, "schema")));
      return this;
    }

    /**
     * The lowest schema version the service accepts, such as {@code 4} or {@code 1.2}; for a schema
     * the orchestrator delegates to the services' own tool, the version the code expects, such as an
     * Alembic revision {@code 3f2a1b9c0d1e} (compared for equality). {@code null} (the default) for
     * the latest version the orchestrator has. The SDK cannot know how the schema is migrated, so it
     * accepts both forms; the orchestrator refuses the second on a Flyway schema ({@link
     * ArrivalRejectedException}, 400).
     *
     * @throws IllegalArgumentException unless a Flyway version (digits separated by {@code .} or
     *     {@code _}) or 1 to 128 characters of {@code A-Z a-z 0-9 _ . : + -} starting with a letter
     *     or digit
     */
    public Builder requiredVersion(String requiredVersion) {
      this.requiredVersion = requiredVersion == null ? null
          : checked(requiredVersion, ArrivalFields.requiredVersion(notNull(requiredVersion, "requiredVersion")));
      return this;
    }

    /**
     * The deploy this start belongs to, such as a release id; {@code null} (the default) for none. A
     * delegated schema with no required version is migrated once per deploy: by the first instance
     * elected in a deploy whose id the schema's last run did not have.
     *
     * @throws IllegalArgumentException unless 1 to 128 characters of {@code A-Z a-z 0-9 _ . : -}
     *     starting with a letter or digit
     */
    public Builder deploy(String deploy) {
      this.deploy = deploy == null ? null : checked(deploy, ArrivalFields.deploy(notNull(deploy, "deploy")));
      return this;
    }

    /**
     * Runs the schema's migrations if the orchestrator elects this instance for a delegated run; the
     * arrival then says {@code "canMigrate": true}. {@code null} (the default) for none: the instance
     * only waits. See {@link Migrator}.
     */
    public Builder migrator(Migrator migrator) {
      this.migrator = migrator;
      return this;
    }

    /** Tests only: the time deadlines and pauses are measured on. */
    Builder clock(WaitClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    /**
     * How long a wait may take in all, reconnects included, counted from its start. The orchestrator
     * is told the seconds left, so it can record that the service gave up. Default 600 s.
     *
     * @throws IllegalArgumentException unless between 1 s and 24 h
     */
    public Builder timeout(Duration timeout) {
      this.timeout = requireBetween("timeout", timeout, MIN_TIMEOUT, "1 s", MAX_TIMEOUT, "24 h");
      return this;
    }

    /**
     * How long a stream may stay silent before the wait reconnects; the orchestrator sends a
     * heartbeat every few seconds, so silence means a dead connection. Default 30 s.
     *
     * @throws IllegalArgumentException unless between 100 ms and 1 h
     */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = requireBetween("idleTimeout", idleTimeout, MIN_IDLE_TIMEOUT, "100 ms",
          MAX_IDLE_TIMEOUT, "1 h");
      return this;
    }

    /**
     * The bearer token the orchestrator requires; {@code null} (the default) for none.
     *
     * @throws IllegalArgumentException unless visible ASCII characters without spaces
     */
    public Builder token(String token) {
      if (token != null && !isVisibleAscii(token)) {
        // The token itself stays out of the message: it is a secret.
        throw new IllegalArgumentException("token must be visible ASCII characters without spaces");
      }
      this.token = token;
      return this;
    }

    /**
     * Receives every event of the wait, in order, on the waiting thread, the last one included;
     * {@code null} (the default) for none. It should return quickly. An exception it throws ends
     * the wait and propagates to the caller.
     */
    public Builder listener(Consumer<MusterEvent> listener) {
      this.listener = listener;
      return this;
    }

    /**
     * Applies the {@code MUSTER_*} variables that are set and not blank: {@code MUSTER_URL},
     * {@code MUSTER_SERVICE}, {@code MUSTER_INSTANCE}, {@code MUSTER_SCHEMA}, {@code
     * MUSTER_REQUIRED_VERSION}, {@code MUSTER_DEPLOY}, {@code MUSTER_TIMEOUT} (whole seconds), and
     * {@code MUSTER_TOKEN} or {@code MUSTER_TOKEN_FILE} (a file holding the token, such as a mounted
     * secret; one trailing line break is dropped). Setters called afterwards override them.
     *
     * @throws IllegalArgumentException if a variable has an invalid value, or both token variables are
     *     set; the message names the variable and the rule it breaks
     * @throws UncheckedIOException if {@code MUSTER_TOKEN_FILE} cannot be read
     */
    public Builder environment(Map<String, String> environment) {
      Objects.requireNonNull(environment, "environment must not be null");
      boolean tokenSet = isSet(environment, "MUSTER_TOKEN");
      if (tokenSet && isSet(environment, "MUSTER_TOKEN_FILE")) {
        throw new IllegalArgumentException("MUSTER_TOKEN and MUSTER_TOKEN_FILE are both set: set one");
      }
      // Plain statements, not a table of lambdas: the first lambda of a JVM costs its start-up milliseconds.
      String variable = null;
      try {
        String value;
        if ((value = value(environment, variable = "MUSTER_URL")) != null) url(value);
        if ((value = value(environment, variable = "MUSTER_SERVICE")) != null) service(value);
        if ((value = value(environment, variable = "MUSTER_INSTANCE")) != null) instance(value);
        if ((value = value(environment, variable = "MUSTER_SCHEMA")) != null) schema(value);
        if ((value = value(environment, variable = "MUSTER_REQUIRED_VERSION")) != null) requiredVersion(value);
        if ((value = value(environment, variable = "MUSTER_DEPLOY")) != null) deploy(value);
        if ((value = value(environment, variable = "MUSTER_TIMEOUT")) != null) {
          timeout(Duration.ofSeconds(parseSeconds(value)));
        }
        if ((value = value(environment, variable = "MUSTER_TOKEN")) != null) token(value);
        if ((value = value(environment, variable = "MUSTER_TOKEN_FILE")) != null) token(readToken(value));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(variable + ": " + e.getMessage(), e);
      }
      return this;
    }

    /**
     * Builds the client.
     *
     * @throws IllegalStateException if no service was set
     */
    public MusterClient build() {
      if (service == null) {
        throw new IllegalStateException("service is required (set MUSTER_SERVICE or Builder.service)");
      }
      return new MusterClient(this);
    }

    private static boolean isVisibleAscii(String text) {
      if (text.isEmpty()) {
        return false;
      }
      for (int i = 0; i < text.length(); i++) {
        if (text.charAt(i) < 0x21 || text.charAt(i) > 0x7E) {
          return false;
        }
      }
      return true;
    }

    private static boolean isSet(Map<String, String> environment, String variable) {
      String value = environment.get(variable);
      return value != null && !value.isBlank();
    }

    private static String readToken(String file) {
      try {
        String token = Files.readString(Path.of(file), StandardCharsets.UTF_8);
        return token.endsWith("\r\n") ? token.substring(0, token.length() - 2)
            : token.endsWith("\n") ? token.substring(0, token.length() - 1) : token;
      } catch (IOException e) {
        throw new UncheckedIOException("MUSTER_TOKEN_FILE: cannot read " + file + ": " + e.getMessage(), e);
      }
    }

    /** The variable's value, trimmed; {@code null} when it is not set or blank. */
    private static String value(Map<String, String> environment, String variable) {
      return isSet(environment, variable) ? environment.get(variable).trim() : null;
    }

    private static long parseSeconds(String seconds) {
      try {
        return Long.parseLong(seconds);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("timeout must be whole seconds, was '" + seconds + "'", e);
      }
    }

    private static String notNull(String value, String setting) {
      return Objects.requireNonNull(value, setting + " must not be null");
    }

    /** {@code problem}: why the orchestrator would refuse the value, in its words, or {@code null}. */
    private static String checked(String value, String problem) {
      if (problem != null) {
        throw new IllegalArgumentException(problem + ", was '" + value + "'");
      }
      return value;
    }

    private static Duration requireBetween(String setting, Duration value, Duration min, String minInWords,
        Duration max, String maxInWords) {
      Objects.requireNonNull(value, setting + " must not be null");
      if (value.compareTo(min) < 0) {
        throw new IllegalArgumentException(setting + " must be at least " + minInWords + ", was " + value);
      }
      if (value.compareTo(max) > 0) {
        throw new IllegalArgumentException(setting + " must be at most " + maxInWords + ", was " + value);
      }
      return value;
    }

    /** Checks a base URL and drops trailing slashes, so the API path can be appended. */
    private static URI checkUrl(URI url) {
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null
          || url.getRawQuery() != null || url.getRawFragment() != null) {
        throw new IllegalArgumentException(invalidUrl(url.toString()));
      }
      String text = url.toString();
      int end = text.length();
      while (end > 0 && text.charAt(end - 1) == '/') {
        end--;
      }
      return URI.create(text.substring(0, end));
    }

    private static String invalidUrl(String url) {
      return "url must be an absolute http:// or https:// URL without query or fragment, was '" + url + "'";
    }
  }
}
