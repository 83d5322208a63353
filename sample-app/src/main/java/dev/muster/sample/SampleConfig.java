package dev.muster.sample;

import dev.muster.postgres.PostgresUrl;
import dev.muster.postgres.SecretFile;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The sample service's own settings, read from the environment. The {@code MUSTER_*} variables are the
 * SDK's and are read by {@code MusterClient.Builder.environment}; these are the service's.
 *
 * @param database       where its tables are: {@code DATABASE_URL}, read as the orchestrator reads
 *                       {@code MUSTER_DATABASE_URL} (TLS parameters included), with {@code DATABASE_PASSWORD_FILE}
 *                       and {@code DATABASE_SSLMODE}, {@code DATABASE_SSLROOTCERT}, … over it
 * @param appPort        the {@code app} role's HTTP port, 0 for any free one
 * @param beatInterval   how often {@code beat} enqueues its periodic jobs
 * @param exitWithPid    a process whose end ends this one too (the demo sets it), or -1
 */
record SampleConfig(PostgresUrl database, int appPort, Duration beatInterval, long exitWithPid) {

  static final String DATABASE_URL = "DATABASE_URL";
  /** {@code DATABASE_PASSWORD_FILE}, {@code DATABASE_SSLMODE}, …: one URL parameter each. */
  static final String DATABASE_PREFIX = "DATABASE_";
  static final String DATABASE_PASSWORD_FILE = DATABASE_PREFIX + "PASSWORD_FILE";
  static final String APP_PORT = "APP_PORT";
  static final String BEAT_INTERVAL_SECONDS = "BEAT_INTERVAL_SECONDS";
  static final String EXIT_WITH_PID = "SAMPLE_EXIT_WITH_PID";

  /** The database variables besides the URL. */
  static final List<String> DATABASE_PARAMETERS = List.of(DATABASE_PASSWORD_FILE, DATABASE_PREFIX + "SSLMODE",
      DATABASE_PREFIX + "SSLROOTCERT", DATABASE_PREFIX + "SSLCERT", DATABASE_PREFIX + "SSLKEY");

  static final int DEFAULT_APP_PORT = 8081;
  static final int DEFAULT_BEAT_INTERVAL_SECONDS = 10;

  /**
   * Reads the variables; unset ones keep their defaults.
   *
   * @throws IllegalArgumentException naming the variable that is missing or invalid (never quoting a secret)
   */
  static SampleConfig fromEnvironment(Map<String, String> env) {
    String url = env.get(DATABASE_URL);
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(DATABASE_URL + " is required: postgresql://user:password@host:port/database");
    }
    Map<String, String> overrides = new LinkedHashMap<>();
    String passwordFile = env.get(DATABASE_PASSWORD_FILE);
    if (passwordFile != null) overrides.put("password", SecretFile.read(DATABASE_PASSWORD_FILE, passwordFile));
    for (String parameter : PostgresUrl.TLS_PARAMETERS) {
      String value = env.get(DATABASE_PREFIX + parameter.toUpperCase(Locale.ROOT));
      if (value != null && !value.isBlank()) overrides.put(parameter, value.strip());
    }
    PostgresUrl database = PostgresUrl.parse(url, DATABASE_URL, overrides, DATABASE_PREFIX);
    database.checkFiles();
    int port = intVar(env, APP_PORT, DEFAULT_APP_PORT, 0, 65535);
    int beat = intVar(env, BEAT_INTERVAL_SECONDS, DEFAULT_BEAT_INTERVAL_SECONDS, 1, 86_400);
    long pid = intVar(env, EXIT_WITH_PID, -1, 1, Integer.MAX_VALUE);
    return new SampleConfig(database, port, Duration.ofSeconds(beat), pid);
  }

  /** {@code jdbc:postgresql://host:port/db?sslmode=…}, without credentials. */
  String jdbcUrl() {
    return database.jdbcUrl();
  }

  /**
   * Connection properties for the JDBC driver: the credentials, and the session named after the instance in
   * pg_stat_activity (unless the URL names it).
   */
  Properties connectionProperties(String applicationName) {
    Properties p = database.jdbcProperties();
    p.setProperty("ApplicationName", applicationName);
    p.setProperty("connectTimeout", "10");
    return p;
  }

  @Override
  public String toString() {
    return "SampleConfig[database=" + database + ", appPort=" + appPort + ", beatInterval=" + beatInterval
        + ", exitWithPid=" + exitWithPid + "]"; // the database without its password
  }

  private static int intVar(Map<String, String> env, String name, int fallback, int min, int max) {
    String value = env.get(name);
    if (value == null || value.isBlank()) return fallback;
    try {
      int n = Integer.parseInt(value.trim());
      if (n < min || n > max) {
        throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, was '" + value + "'", e);
    }
  }
}
