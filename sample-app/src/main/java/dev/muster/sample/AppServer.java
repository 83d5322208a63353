package dev.muster.sample;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * The {@code app} role: a small JSON API over the migrated tables.
 *
 * <pre>
 * GET  /health              {"status":"up"}
 * GET  /accounts?limit=20   newest accounts first
 * POST /accounts            {"email":"ada@example.com","displayName":"Ada"}: creates one and enqueues its welcome job
 * GET  /accounts/{id}       one account, with welcomedAt once a worker has welcomed it
 * GET  /jobs                job counts by kind and state, and the latest jobs
 * GET  /stats               the latest daily summary a worker computed
 * </pre>
 */
final class AppServer implements SampleService.Role {
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
  private static final Pattern ACCOUNT_PATH = Pattern.compile("/accounts/([0-9]{1,18})");

  private final Database db;
  private final HttpServer server;
  private final ExecutorService threads;

  AppServer(Database db, int port) throws IOException {
    this.db = db;
    this.server = HttpServer.create(new InetSocketAddress(port), 64);
    this.threads = Executors.newFixedThreadPool(4, r -> new Thread(r, "app-http"));
    server.setExecutor(threads);
    server.createContext("/", this::handle);
  }

  @Override
  public String start() {
    server.start();
    return "serving http://localhost:" + server.getAddress().getPort() + "/";
  }

  @Override
  public void stop() {
    server.stop(1);
    threads.shutdown();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      try {
        var account = ACCOUNT_PATH.matcher(path);
        if (path.equals("/") || path.equals("/health")) {
          only(method, "GET");
          send(exchange, 200, Map.of("status", "up"));
        } else if (path.equals("/accounts") && method.equals("POST")) {
          send(exchange, 201, createAccount(Json.parseObject(body(exchange))));
        } else if (path.equals("/accounts")) {
          only(method, "GET", "POST");
          send(exchange, 200, Map.of("accounts", listAccounts(limit(exchange.getRequestURI().getRawQuery()))));
        } else if (account.matches()) {
          only(method, "GET");
          Map<String, Object> found = findAccount(Long.parseLong(account.group(1)));
          if (found == null) throw new HttpError(404, "not_found", "no account " + account.group(1));
          send(exchange, 200, found);
        } else if (path.equals("/jobs")) {
          only(method, "GET");
          send(exchange, 200, jobs());
        } else if (path.equals("/stats")) {
          only(method, "GET");
          send(exchange, 200, stats());
        } else {
          throw new HttpError(404, "not_found", "no such resource: " + path);
        }
      } catch (HttpError e) {
        send(exchange, e.status, error(e.code, e.getMessage()));
      } catch (IllegalArgumentException e) {
        send(exchange, 400, error("invalid_request", e.getMessage()));
      } catch (SQLException e) {
        Log.error(method + " " + path + ": " + e.getMessage());
        send(exchange, 503, error("database", "the database did not answer: " + e.getMessage()));
      }
    }
  }

  private Map<String, Object> createAccount(Map<String, Object> body) throws SQLException {
    if (!(body.get("email") instanceof String email) || email.length() > 254 || !EMAIL.matcher(email).matches()) {
      throw new IllegalArgumentException("email must be an e-mail address such as ada@example.com");
    }
    Object name = body.get("displayName");
    if (name != null && !(name instanceof String)) throw new IllegalArgumentException("displayName must be a string");
    String displayName = name == null || ((String) name).isBlank() ? email.substring(0, email.indexOf('@'))
        : ((String) name).strip();
    try {
      return db.transaction(c -> {
        long id;
        try (PreparedStatement insert = c.prepareStatement(
            "INSERT INTO accounts (email, display_name) VALUES (?, ?) RETURNING id")) {
          insert.setString(1, email.toLowerCase());
          insert.setString(2, displayName);
          try (ResultSet rs = insert.executeQuery()) {
            rs.next();
            id = rs.getLong(1);
          }
        }
        // Same transaction: no account without its welcome job, no job for an account that rolled back.
        try (PreparedStatement job = c.prepareStatement(
            "INSERT INTO jobs (kind, payload) VALUES ('welcome_email', jsonb_build_object('accountId', ?::bigint))")) {
          job.setLong(1, id);
          job.executeUpdate();
        }
        return findAccount(c, id);
      });
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) throw new HttpError(409, "exists", "an account with this e-mail exists");
      throw e;
    }
  }

  private List<Map<String, Object>> listAccounts(int limit) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement(
          "SELECT id, email, display_name, created_at, welcomed_at FROM accounts ORDER BY id DESC LIMIT ?")) {
        s.setInt(1, limit);
        List<Map<String, Object>> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) rows.add(account(rs));
        }
        return rows;
      }
    });
  }

  private Map<String, Object> findAccount(long id) throws SQLException {
    return db.transaction(c -> findAccount(c, id));
  }

  private static Map<String, Object> findAccount(Connection c, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT id, email, display_name, created_at, welcomed_at FROM accounts WHERE id = ?")) {
      s.setLong(1, id);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? account(rs) : null;
      }
    }
  }

  private static Map<String, Object> account(ResultSet rs) throws SQLException {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("id", rs.getLong("id"));
    a.put("email", rs.getString("email"));
    a.put("displayName", rs.getString("display_name"));
    a.put("createdAt", rs.getObject("created_at", OffsetDateTime.class));
    a.put("welcomedAt", rs.getObject("welcomed_at", OffsetDateTime.class));
    return a;
  }

  private Map<String, Object> jobs() throws SQLException {
    return db.transaction(c -> {
      Map<String, Object> counts = new LinkedHashMap<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state ORDER BY kind, state");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          @SuppressWarnings("unchecked")
          Map<String, Object> byState = (Map<String, Object>) counts.computeIfAbsent(rs.getString(1),
              k -> new LinkedHashMap<String, Object>());
          byState.put(rs.getString(2), rs.getLong(3));
        }
      }
      List<Map<String, Object>> latest = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT id, kind, state, attempts, worker, enqueued_at, done_at FROM jobs ORDER BY id DESC LIMIT 10");
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> j = new LinkedHashMap<>();
          j.put("id", rs.getLong("id"));
          j.put("kind", rs.getString("kind"));
          j.put("state", rs.getString("state"));
          j.put("attempts", rs.getInt("attempts"));
          j.put("worker", rs.getString("worker"));
          j.put("enqueuedAt", rs.getObject("enqueued_at", OffsetDateTime.class));
          j.put("doneAt", rs.getObject("done_at", OffsetDateTime.class));
          latest.add(j);
        }
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("counts", counts);
      result.put("latest", latest);
      return result;
    });
  }

  private Map<String, Object> stats() throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement s = c.prepareStatement(
          "SELECT day, accounts, signups, welcomed, computed_at FROM account_stats ORDER BY day DESC LIMIT 1");
          ResultSet rs = s.executeQuery()) {
        Map<String, Object> result = new LinkedHashMap<>();
        if (rs.next()) {
          result.put("day", rs.getString("day"));
          result.put("accounts", rs.getLong("accounts"));
          result.put("signupsToday", rs.getLong("signups"));
          result.put("welcomed", rs.getLong("welcomed"));
          result.put("computedAt", rs.getObject("computed_at", OffsetDateTime.class));
        }
        return result;
      }
    });
  }

  private static int limit(String rawQuery) {
    if (rawQuery == null) return 20;
    for (String pair : rawQuery.split("&")) {
      String[] kv = pair.split("=", 2);
      if (kv.length == 2 && kv[0].equals("limit")) {
        String v = URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
        if (!v.matches("[0-9]{1,3}") || Integer.parseInt(v) < 1 || Integer.parseInt(v) > 100) {
          throw new IllegalArgumentException("limit must be between 1 and 100");
        }
        return Integer.parseInt(v);
      }
    }
    return 20;
  }

  private static void only(String method, String... allowed) {
    for (String a : allowed) if (a.equals(method)) return;
    throw new HttpError(405, "method_not_allowed", method + " is not allowed here");
  }

  private static String body(HttpExchange exchange) throws IOException {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.toLowerCase().startsWith("application/json")) {
      throw new HttpError(415, "unsupported_media_type", "send Content-Type: application/json");
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(16 * 1024 + 1);
      if (bytes.length > 16 * 1024) throw new HttpError(413, "too_large", "the body is over 16 KiB");
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static Map<String, Object> error(String code, String message) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("error", code);
    e.put("message", message);
    return e;
  }

  private static void send(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = (Json.encode(body) + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** An answer other than 200, with the API's {@code {"error","message"}} body. */
  private static final class HttpError extends RuntimeException {
    final int status;
    final String code;

    HttpError(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }
}
