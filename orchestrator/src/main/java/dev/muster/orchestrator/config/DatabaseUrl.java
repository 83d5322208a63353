package dev.muster.orchestrator.config;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the database is: parsed from {@code postgresql://user:pass@host:port/db} (also {@code postgres://})
 * or {@code jdbc:postgresql://host:port/db?user=..&password=..}. The orchestrator needs it twice, for
 * Vert.x's client and for Flyway's JDBC driver, so it is kept as parts, not as text.
 */
public record DatabaseUrl(String host, int port, String database, String user, String password) {

  public static final int DEFAULT_PORT = 5432;

  public DatabaseUrl {
    if (host == null || host.isEmpty()) throw new IllegalArgumentException("database URL has no host");
    if (database == null || database.isEmpty()) throw new IllegalArgumentException("database URL names no database");
    if (user == null || user.isEmpty()) throw new IllegalArgumentException("database URL names no user");
    if (password == null) password = "";
  }

  public static DatabaseUrl parse(String text) {
    if (text == null || text.isBlank()) throw new IllegalArgumentException("MUSTER_DATABASE_URL is empty");
    String trimmed = text.trim();
    boolean jdbc = trimmed.startsWith("jdbc:postgresql://");
    String plain = jdbc ? "postgresql://" + trimmed.substring("jdbc:postgresql://".length()) : trimmed;
    if (!plain.startsWith("postgresql://") && !plain.startsWith("postgres://")) {
      throw new IllegalArgumentException(
          "MUSTER_DATABASE_URL must start with postgresql://, postgres:// or jdbc:postgresql://, was '" + redact(trimmed) + "'");
    }
    URI uri;
    try {
      uri = URI.create(plain);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("MUSTER_DATABASE_URL is not a valid URL: " + redact(trimmed), e);
    }
    Map<String, String> query = query(uri.getRawQuery());
    String user = query.get("user");
    String password = query.get("password");
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      if (parts.length == 2) password = decode(parts[1]);
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.startsWith("/") ? path.substring(1) : path;
    return new DatabaseUrl(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), database,
        user == null ? "postgres" : user, password);
  }

  /** Vert.x's options for this database; no reconnect attempts of its own (callers decide how to retry). */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost(host).setPort(port).setDatabase(database).setUser(user).setPassword(password)
        .setReconnectAttempts(0);
  }

  /** {@code jdbc:postgresql://host:port/db}, without credentials (they go separately to the driver). */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** The URL form services and logs see; the password is encoded, never printed by {@link #toString()}. */
  public String uri() {
    return "postgresql://" + encode(user) + (password.isEmpty() ? "" : ":" + encode(password)) + "@" + host + ":" + port
        + "/" + database;
  }

  @Override
  public String toString() {
    return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
  }

  private static String redact(String url) {
    return url.replaceAll("://([^:@/]+):[^@/]*@", "://$1:***@").replaceAll("password=[^&]*", "password=***");
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw == null) return params;
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) params.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
    }
    return params;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
