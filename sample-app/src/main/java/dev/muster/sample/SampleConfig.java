package dev.muster.sample;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The sample service's own settings, read from the environment. The {@code MUSTER_*} variables are the
 * SDK's and are read by {@code MusterClient.Builder.environment}; these are the service's.
 *
 * @param jdbcUrl        {@code jdbc:postgresql://host:port/db}, from {@code DATABASE_URL}
 * @param user           the database user
 * @param password       the database password, empty for none
 * @param appPort        the {@code app} role's HTTP port, 0 for any free one
 * @param beatInterval   how often {@code beat} enqueues its periodic jobs
 * @param exitWithPid    a process whose end ends this one too (the demo sets it), or -1
 */
record SampleConfig(String jdbcUrl, String user, String password, int appPort, Duration beatInterval,
    long exitWithPid) {

  static final String DATABASE_URL = "DATABASE_URL";
  static final String APP_PORT = "APP_PORT";
  static final String BEAT_INTERVAL_SECONDS = "BEAT_INTERVAL_SECONDS";
  static final String EXIT_WITH_PID = "SAMPLE_EXIT_WITH_PID";

  static final int DEFAULT_APP_PORT = 8081;
  static final int DEFAULT_BEAT_INTERVAL_SECONDS = 10;

  /**
   * Reads the variables; unset ones keep their defaults.
   *
   * @throws IllegalArgumentException naming the variable that is missing or invalid
   */
  static SampleConfig fromEnvironment(Map<String, String> env) {
    String url = env.get(DATABASE_URL);
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(DATABASE_URL + " is required: postgresql://user:password@host:port/database");
    }
    Database database = parseDatabaseUrl(url.trim());
    int port = intVar(env, APP_PORT, DEFAULT_APP_PORT, 0, 65535);
    int beat = intVar(env, BEAT_INTERVAL_SECONDS, DEFAULT_BEAT_INTERVAL_SECONDS, 1, 86_400);
    long pid = intVar(env, EXIT_WITH_PID, -1, 1, Integer.MAX_VALUE);
    return new SampleConfig(database.jdbcUrl, database.user, database.password, port, Duration.ofSeconds(beat), pid);
  }

  /** Connection properties for the JDBC driver, naming the session after the instance in pg_stat_activity. */
  Properties connectionProperties(String applicationName) {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (!password.isEmpty()) p.setProperty("password", password);
    p.setProperty("ApplicationName", applicationName);
    p.setProperty("connectTimeout", "10");
    return p;
  }

  private record Database(String jdbcUrl, String user, String password) {}

  /** {@code postgresql://user:pass@host:port/db}, {@code postgres://...} or {@code jdbc:postgresql://host:port/db?user=..}. */
  private static Database parseDatabaseUrl(String url) {
    String plain = url.startsWith("jdbc:") ? url.substring(5) : url;
    URI uri;
    try {
      uri = URI.create(plain);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(DATABASE_URL + " is not a valid URL", e);
    }
    if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException(DATABASE_URL + " must look like postgresql://user:password@host:port/database");
    }
    String user = null;
    String password = "";
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        String[] kv = pair.split("=", 2);
        if (kv.length == 2 && kv[0].equals("user")) user = decode(kv[1]);
        if (kv.length == 2 && kv[0].equals("password")) password = decode(kv[1]);
      }
    }
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length == 2 ? decode(parts[1]) : "";
    }
    String database = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    return new Database("jdbc:postgresql://" + uri.getHost() + ":" + port + "/" + database,
        user == null ? "postgres" : user, password);
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

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
