package dev.muster.orchestrator.config;

import dev.muster.postgres.PostgresUrl;
import dev.muster.postgres.SslMode;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where the orchestrator's database is: {@link PostgresUrl}, the reading Muster's components share, plus the
 * Vert.x client's options for it. Both of the orchestrator's drivers get the same host, credentials, TLS and
 * parameters: {@link #connectOptions()} for Vert.x, {@link #jdbcUrl()} with {@link #user()} and
 * {@link #password()} (or {@link #jdbcProperties()}) for pgjdbc under Flyway and the CLI.
 */
public final class DatabaseUrl {
  public static final int DEFAULT_PORT = PostgresUrl.DEFAULT_PORT;
  /** Where the database URL is set, named in messages. */
  static final String VARIABLE = "MUSTER_DATABASE_URL";
  /** The settings for single URL parameters: {@code MUSTER_DATABASE_SSLMODE}, {@code MUSTER_DATABASE_PASSWORD_FILE}. */
  static final String PARAMETER_PREFIX = "MUSTER_DATABASE_";

  private final PostgresUrl url;

  private DatabaseUrl(PostgresUrl url) {
    this.url = url;
  }

  /** Reads {@code MUSTER_DATABASE_URL}'s value; throws {@link IllegalArgumentException} that never quotes it. */
  public static DatabaseUrl parse(String text) {
    return parse(text, Map.of());
  }

  /** The URL with single parameters set over it ({@code sslmode}, {@code sslrootcert}, …, {@code password}). */
  static DatabaseUrl parse(String text, Map<String, String> overrides) {
    return new DatabaseUrl(PostgresUrl.parse(text, VARIABLE, overrides, PARAMETER_PREFIX));
  }

  public static DatabaseUrl of(PostgresUrl url) {
    return new DatabaseUrl(url);
  }

  /** The shared reading, for code that needs more than this class offers. */
  public PostgresUrl postgres() {
    return url;
  }

  public String host() {
    return url.host();
  }

  public int port() {
    return url.port();
  }

  public String database() {
    return url.database();
  }

  public String user() {
    return url.user();
  }

  /** Empty for none. */
  public String password() {
    return url.password();
  }

  public SslMode sslMode() {
    return url.sslMode();
  }

  /**
   * Vert.x's options for this database, TLS as {@link #sslMode()} has it; no reconnect attempts of its own
   * (callers decide how to retry).
   */
  public PgConnectOptions connectOptions() {
    Map<String, String> parameters = url.parameters();
    PgConnectOptions options = new PgConnectOptions().setHost(url.host()).setPort(url.port())
        .setDatabase(url.database()).setUser(url.user()).setPassword(url.password()).setReconnectAttempts(0)
        .setSslMode(io.vertx.pgclient.SslMode.of(url.sslMode().libpqName()));
    // What pgjdbc sends in its startup packet, Vert.x sends too. Socket parameters (connectTimeout,
    // tcpKeepAlive, …) are pgjdbc's alone: Vert.x 5 takes those per pool, not per database.
    putIfPresent(options, "application_name", parameters.get("ApplicationName"));
    putIfPresent(options, "options", parameters.get("options"));
    putIfPresent(options, "search_path", parameters.get("currentSchema"));
    if (url.sslMode() != SslMode.DISABLE) options.setSslOptions(sslOptions());
    return options;
  }

  private ClientSSLOptions sslOptions() {
    ClientSSLOptions ssl = new ClientSSLOptions();
    if (url.sslMode().verifiesCertificate()) {
      String roots = url.sslRootCert().orElseThrow();
      ssl.setTrustOptions(roots.equals(PostgresUrl.SYSTEM_ROOTS) ? jvmTrustedRoots()
          : new PemTrustOptions().addCertPath(roots));
      ssl.setHostnameVerificationAlgorithm(url.sslMode() == SslMode.VERIFY_FULL ? "HTTPS" : "");
    } else {
      // allow, prefer, require: encrypted but unverified, as in libpq.
      ssl.setTrustAll(true).setHostnameVerificationAlgorithm("");
    }
    if (url.sslCert().isPresent()) {
      ssl.setKeyCertOptions(new PemKeyCertOptions().setCertPath(url.sslCert().get().toString())
          .setKeyPath(url.sslKey().orElseThrow().toString()));
    }
    String handshake = url.parameters().get("sslResponseTimeout");
    if (handshake != null) {
      ssl.setSslHandshakeTimeout(Long.parseLong(handshake));
      ssl.setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    }
    return ssl;
  }

  private static TrustOptions jvmTrustedRoots() {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init((KeyStore) null);
      return TrustOptions.wrap(factory);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JVM's trusted root certificates cannot be loaded", e);
    }
  }

  private static void putIfPresent(PgConnectOptions options, String property, String value) {
    if (value != null) options.addProperty(property, value);
  }

  /** {@code jdbc:postgresql://host:port/db?sslmode=…}: every parameter, no credentials (they go separately). */
  public String jdbcUrl() {
    return url.jdbcUrl();
  }

  /** {@code user} and {@code password} for {@code DriverManager.getConnection(jdbcUrl(), properties)}. */
  public Properties jdbcProperties() {
    return url.jdbcProperties();
  }

  /** The URL form services see (a child process's environment), password included; never for a log. */
  public String uri() {
    return url.uri();
  }

  /** Checks that the TLS files the URL names can be read; throws naming the setting. */
  public void checkFiles() {
    url.checkFiles();
  }

  /** What a connection failure means when a setting can mend it (certificate, TLS, password). */
  public Optional<String> explain(Throwable failure) {
    return url.explain(failure);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DatabaseUrl other && url.equals(other.url);
  }

  @Override
  public int hashCode() {
    return url.hashCode();
  }

  /** Host, port, database, user and sslmode, for logs; never the password. */
  @Override
  public String toString() {
    return url.toString();
  }
}
