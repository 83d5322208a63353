package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated corpus of bad requests — malformed and deeply nested JSON, oversized bodies and heads, wrong
 * types and content types, Unicode tricks, SQL in every field, quotes and path traversal in names, absurd
 * timeouts, bad resume positions, unknown methods, bytes that are not HTTP — each gets a 4xx with the
 * contract's error body and never a 5xx; none of them makes the orchestrator run SQL (checked at the wire,
 * between it and PostgreSQL); and the orchestrator serves normally afterwards.
 */
@ExtendWith(PostgresExtension.class)
class HostileInputTest {

  /** In every SQL-shaped value: it must never reach PostgreSQL, as text or as a bound parameter. */
  static final String CANARY = "muster_canary";
  /** The only statement the orchestrator runs on its own while idle: its notification ping every 5 s. */
  static final String PING = "SELECT pg_notify($1, $2)";

  static final HttpClient HTTP1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  static final HttpClient HTTP2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /** Strings that are no valid service, instance, schema or version. */
  static final List<String> HOSTILE = List.of(
      "x'; DROP TABLE " + CANARY + "; --",
      "1; SELECT pg_sleep(10) -- " + CANARY,
      "\" OR \"1\"=\"1",
      "' OR '1'='1",
      "public; DROP SCHEMA muster CASCADE; -- " + CANARY,
      "$$; COPY " + CANARY + " TO PROGRAM 'id'; $$",
      "public\"; DROP SCHEMA muster; --",
      "\\x27",
      "`whoami`",
      "../../etc/passwd",
      "..\\..\\windows\\system32",
      "/etc/passwd",
      "%2e%2e%2f%2e%2e%2f",
      "app/../../admin",
      "app\u0000",
      "\u0000",
      "\u202Egnp.exe",
      "\u0430pp",
      "publ\u0456c",
      "\uFF50\uFF55\uFF42\uFF4C\uFF49\uFF43",
      "\uD83D\uDE80app",
      "pub\u200Blic",
      "\uFEFFpublic",
      "\u212Aelvin",
      "\u0130stanbul",
      "app\r\nX-Injected: 1",
      "app\n",
      "\t",
      "",
      " ",
      "a".repeat(200),
      "a".repeat(5000),
      "app<script>alert(1)</script>",
      "${jndi:ldap://127.0.0.1/" + CANARY + "}",
      "{{7*7}}",
      "app%00",
      "-app",
      ".hidden",
      "C:\\Windows");

  /** Expected for the few requests after which the server may only close the connection. */
  static final int CLOSED_OR_4XX = -1;

  record Answer(int status, String body, boolean bodyPossible) {}

  record Case(String what, int expected, Supplier<Answer> send) {}

  @Test
  void everyBadRequestGetsA4xxWithTheErrorBodyRunsNoSqlAndTheOrchestratorServesOnAfterwards(TestDatabase db,
      @TempDir Path dir) {
    Migrations migrations = ArrivalModesTest.twoMigrations(dir);
    try (SqlRecorder sql = SqlRecorder.start(db);
        Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()).toBuilder()
            .database(DatabaseUrl.parse(sql.url())).build());
        LogCapture logs = new LogCapture()) {
      int port = replicas.get(0).port();
      String base = replicas.url(0);
      settle(sql, base, null);

      long events = db.queryLong("SELECT count(*) FROM muster.events");
      long schemas = db.queryLong("SELECT count(*) FROM pg_namespace");
      int mark = sql.mark();

      List<Case> corpus = corpus(base, port);
      assertTrue(corpus.size() >= 200, "the corpus has " + corpus.size() + " requests");
      List<String> wrong = new ArrayList<>();
      for (Case c : corpus) {
        c = new Case("#" + corpus.indexOf(c) + " " + c.what(), c.expected(), c.send());
        Answer a;
        try {
          a = c.send().get();
        } catch (RuntimeException e) {
          wrong.add(c.what() + " -> " + e);
          continue;
        }
        String problem = judge(c, a);
        if (problem != null) wrong.add(c.what() + " -> " + problem);
      }
      assertEquals(List.of(), wrong, wrong.size() + " of " + corpus.size() + " bad requests were not refused properly");

      // No SQL ran for them: at the wire, nothing but the orchestrator's own ping went to PostgreSQL ...
      List<String> ran = sql.since(mark).stream()
          .filter(m -> m.sql() != null)
          .filter(m -> !(m.sql().equals(PING) && SqlRecorder.indexOf(m.payload(), "\"ping\"".getBytes(StandardCharsets.UTF_8)) >= 0))
          .map(SqlRecorder.Message::sql)
          .collect(Collectors.toList());
      assertEquals(List.of(), ran, "statements run while the corpus was sent");
      // ... and in the database nothing changed.
      assertEquals(events, db.queryLong("SELECT count(*) FROM muster.events"), "no event was recorded");
      assertEquals(schemas, db.queryLong("SELECT count(*) FROM pg_namespace"), "no schema was created");
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'flyway_schema_history'"),
          "no migration ran");
      assertEquals(List.of(), logs.errors(), "nothing was logged at ERROR");

      // It serves normally afterwards; and the recorder does see what it runs (this arrival's SQL).
      int after = sql.mark();
      assertEquals(200, Http.get(base + "/health").status());
      assertEquals(200, Http.get(base + "/ready").status());
      Http.Response ok = Http.postJson(base + "/api/v1/arrivals?wait=true",
          new JsonObject().put("service", "app").put("instance", "after-the-storm"));
      assertEquals(200, ok.status(), ok.body());
      assertEquals("2", ok.json().getString("version"));
      assertTrue(sql.statementsSince(after).stream().anyMatch(s -> s.contains("INSERT INTO muster.events")),
          "the recorder sees the orchestrator's statements");
      try (Http.Sse stream = Http.Sse.events(base, 0L)) {
        assertEquals(1L, stream.next().getLong("seq"));
      }
      assertFalse(sql.sentSince(0, CANARY), "a hostile value reached PostgreSQL");
      assertEquals(List.of(), logs.errors(), "nothing was logged at ERROR");
    }
  }

  /**
   * Waits until the replica's start-up reads are done, so that only requests can cause SQL from here on.
   * {@code authorization} is the header a read needs ({@code null}: reads are open).
   */
  static void settle(SqlRecorder sql, String base, String authorization) {
    // The coordinator reads schema public in the background at start; this answers once that read is done.
    HttpRequest.Builder read = HttpRequest.newBuilder(URI.create(base + "/api/v1/schemas/public")).GET();
    if (authorization != null) read.header("Authorization", authorization);
    Answer status = send(HTTP1, read);
    assertEquals(200, status.status(), status.body());
    // The broadcaster reads the log once after its first LISTEN.
    Poll.until("the broadcaster reads the log", Duration.ofSeconds(10),
        () -> sql.statementsSince(0).stream().anyMatch(s -> s.contains("FROM muster.events WHERE seq >")));
  }

  private static String judge(Case c, Answer a) {
    if (c.expected() == CLOSED_OR_4XX && a.status() == -1) return null;
    if (a.status() < 400 || a.status() >= 500) return "HTTP " + a.status() + " " + cut(a.body());
    if (c.expected() > 0 && a.status() != c.expected()) {
      return "HTTP " + a.status() + ", expected " + c.expected() + " " + cut(a.body());
    }
    if (!a.bodyPossible()) return null;
    try {
      JsonObject error = new JsonObject(a.body());
      if (!(error.getValue("error") instanceof String) || error.getString("error").isBlank()) return "no error code: " + a.body();
      if (!(error.getValue("message") instanceof String) || error.getString("message").isBlank()) return "no message: " + a.body();
      return null;
    } catch (RuntimeException e) {
      return "HTTP " + a.status() + " without the error body: " + cut(a.body());
    }
  }

  // ---------------------------------------------------------------------------------------------- corpus

  private static List<Case> corpus(String base, int port) {
    List<Case> cases = new ArrayList<>();
    String arrivals = base + "/api/v1/arrivals";
    String[] modes = {"", "?wait=true", "stream"};

    // A. Every field, every hostile string; the three arrival modes in turn.
    int n = 0;
    for (String field : List.of("service", "instance", "schema", "requiredVersion")) {
      for (String value : HOSTILE) {
        JsonObject body = valid().put(field, value);
        cases.add(arrival(arrivals, modes[n++ % 3], field + "=" + quote(value), 400, body.encode()));
      }
    }
    for (String schema : List.of("PUBLIC", "Public", "tenant_" + "x".repeat(60), "1public", "public-2", "tenant_a.b")) {
      cases.add(arrival(arrivals, modes[n++ % 3], "schema=" + schema, 400, valid().put("schema", schema).encode()));
    }
    for (String schema : List.of("pg_catalog", "information_schema", "muster", "pg_toast", "billing")) {
      cases.add(arrival(arrivals, modes[n++ % 3], "schema=" + schema + " (not in MUSTER_SCHEMAS)", 403,
          valid().put("schema", schema).encode()));
    }
    for (String version : List.of("1..2", "v1", "-1", "1e3", "0x10", "\uFF11", "\u0661", "1.2.3.4.5.6.7.8.9", "1 ",
        "99999999999999999999", "1.2.", "1__2", ".1", "1,2")) {
      cases.add(arrival(arrivals, modes[n++ % 3], "requiredVersion=" + quote(version), 400,
          valid().put("requiredVersion", version).encode()));
    }
    cases.add(arrival(arrivals, "", "service of 64 characters", 400, valid().put("service", "s".repeat(64)).encode()));
    cases.add(arrival(arrivals, "", "instance of 129 characters", 400, valid().put("instance", "i".repeat(129)).encode()));

    // Wrong types.
    List<String> wrongTypes = List.of("1.5", "true", "false", "[]", "{}", "[\"app\"]", "{\"$ne\":null}",
        "[[[[[[[[[[\"deep\"]]]]]]]]]]");
    for (String field : List.of("service", "instance", "schema", "requiredVersion")) {
      for (String json : wrongTypes) {
        cases.add(arrival(arrivals, modes[n++ % 3], field + "=" + json, 400, withRaw(field, json)));
      }
    }
    for (String field : List.of("service", "instance", "schema")) {
      cases.add(arrival(arrivals, "", field + "=42", 400, withRaw(field, "42")));
    }
    // Absurd timeouts in the body.
    for (String json : List.of("-1", "0", "86401", "1e10", "99999999999", "9223372036854775807",
        "18446744073709551616", "1.5", "true", "[]", "{}", "\"abc\"", "\"1e3\"", "\"-5\"", "\"\uFF19\"",
        "\"" + "9".repeat(30) + "\"", "\" 5\"", "-0.0")) {
      cases.add(arrival(arrivals, modes[n++ % 3], "timeoutSeconds=" + json, 400, withRaw("timeoutSeconds", json)));
    }

    // B. Malformed JSON.
    String v = valid().encode();
    for (String body : List.of("{", "}", "{\"service\":}", "{\"service\":\"app\",}", "{'service':'app','instance':'i'}",
        "{service:\"app\",instance:\"i\"}", "// comment\n" + v, "/* c */" + v, "{\"service\":NaN}",
        "{\"service\":Infinity}", "[", "]", "null", "true", "42", "\"str\"", "[]", "[" + v + "]", v + " {}",
        v + "garbage", v + ",", "{\"service\":\"app\",\"service\":\"x'\",\"instance\":\"i\"}",
        "{\"service\":\"app\",\"instance\":\"i\",\"instance\":\"i\"}", "{\"a\":" .repeat(2000) + "1" + "}".repeat(2000),
        "[".repeat(5000) + "]".repeat(5000),
        v.substring(0, v.length() - 1) + ",\"x\":" + "[".repeat(17) + "]".repeat(17) + "}",
        v.substring(0, v.length() - 1) + ",\"x\":" + "9".repeat(1000) + "}",
        v.substring(0, v.length() - 1) + ",\"x\":\"\\ud800\"}".replace("\\ud800\"}", "\\uZZZZ\"}"),
        "{\"service\":\"app\",\"instance\":\"i\"\u0000}", "{\"service\":\"app\"\n\"instance\":\"i\"}",
        "\"\\u0000\"", "{\"service\":\"\\ud800\",\"instance\":\"i\"}", "{\"\":\"\"}", " ", "\n\n")) {
      cases.add(post(arrivals, "application/json", "malformed " + quote(cut(body)), 0,
          body.getBytes(StandardCharsets.UTF_8)));
    }
    cases.add(post(arrivals, "application/json", "empty body", 400, new byte[0]));
    // Invalid UTF-8 and other encodings.
    for (String hex : List.of("fffe", "c0af", "eda080", "e282", "f888808080", "f4908080", "00", "01", "e9",
        "eda0bdedb880", "80", "c1bf")) {
      byte[] body = concat(bytes("{\"service\":\"app"), HexFormat.of().parseHex(hex), bytes("\",\"instance\":\"i\"}"));
      cases.add(post(arrivals, "application/json", "body bytes " + hex + " in a string", 400, body));
    }
    cases.add(post(arrivals, "application/json", "UTF-8 byte order mark", 400, concat(HexFormat.of().parseHex("efbbbf"), bytes(v))));
    cases.add(post(arrivals, "application/json", "UTF-16LE with BOM", 400,
        concat(HexFormat.of().parseHex("fffe"), v.getBytes(StandardCharsets.UTF_16LE))));
    cases.add(post(arrivals, "application/json", "UTF-16BE", 400, v.getBytes(StandardCharsets.UTF_16BE)));
    cases.add(post(arrivals, "application/json", "UTF-32", 400, v.getBytes(Charset.forName("UTF-32"))));
    cases.add(post(arrivals, "application/json", "body of 20,000 bytes", 413,
        bytes(v.substring(0, v.length() - 1) + ",\"x\":\"" + "y".repeat(20_000) + "\"}")));

    // C. Content types and encodings, with a valid body.
    for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/xml", "application/jsonp", "application/json-patch+json", "application/vnd.api+json",
        "application/json; charset=utf-16", "application/json; charset=iso-8859-1", "application/json, text/plain",
        "text/json", "*/*", "application/*", "text/event-stream", "application/json; charset=\"utf-16\"", "json",
        "application/json;charset=latin1", "APPLICATION/JSON; CHARSET=UTF-32", "application/ json")) {
      cases.add(post(arrivals, type, "Content-Type: " + type, 415, bytes(v)));
    }
    cases.add(post(arrivals, null, "no Content-Type", 415, bytes(v)));
    cases.add(post(arrivals, "application/x-www-form-urlencoded", "a form", 415, bytes("service=app&instance=i")));
    for (String encoding : List.of("gzip", "br", "deflate", "compress")) {
      cases.add(new Case("Content-Encoding: " + encoding, 415, () -> send(HTTP1, HttpRequest.newBuilder(URI.create(arrivals))
          .header("Content-Type", "application/json").header("Content-Encoding", encoding)
          .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(v))))));
    }

    // D. Query parameters and Last-Event-ID on a valid arrival.
    for (String query : List.of("wait=maybe", "wait=TRUE", "wait=1", "wait=", "wait=true&wait=false",
        "wait=true&timeout=-1", "wait=true&timeout=0", "wait=true&timeout=86401", "wait=true&timeout=1e3",
        "wait=true&timeout=abc", "wait=true&timeout=99999999999999999999", "wait=true&timeout=%00",
        "wait=true&timeout=", "wait=true&timeout=1.5", "wait=true&timeout=%205", "wait=true&timeout=1&timeout=2",
        "wait=true&timeout=%D9%A3", "timeout=-5", "timeout=abc", "wait=true&timeout=%2B5")) {
      cases.add(post(arrivals + "?" + query, "application/json", "?" + query, 400, bytes(v)));
    }
    for (String id : List.of("abc", "-1", "1.5", "1e3", "99999999999999999999", "0x10", "\uFF11", "1;DROP TABLE " + CANARY,
        "1,2", "+1", "1 2")) {
      String header = new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
      cases.add(new Case("arrival stream with Last-Event-ID: " + quote(id), 400,
          () -> answer(RawHttp.exchange(port, rawPost("/api/v1/arrivals", "Accept: text/event-stream\r\nLast-Event-ID: " + header
              + "\r\n", v)))));
    }
    cases.add(new Case("plain arrival with Last-Event-ID: abc", 400, () -> send(HTTP1,
        HttpRequest.newBuilder(URI.create(arrivals)).header("Content-Type", "application/json")
            .header("Last-Event-ID", "abc").POST(HttpRequest.BodyPublishers.ofString(v)))));

    // E. The event stream's parameters.
    for (String query : List.of("since=abc", "since=-1", "since=1.5", "since=1e3", "since=99999999999999999999",
        "since=%00", "since=1&since=2", "since=", "since=%EF%BC%91", "since=0x10", "since=0&schema=Bad",
        "schema=..%2Fetc", "schema=pg_catalog", "schema=muster", "schema=", "schema=public&schema=tenant_a",
        "schema=%27%3B%20DROP%20TABLE%20" + CANARY, "schema=PUBLIC", "since=0&schema=billing")) {
      int expected = query.contains("pg_catalog") || query.contains("muster") && !query.contains(CANARY)
          || query.contains("billing") ? 404 : 400;
      cases.add(get(base + "/api/v1/events?" + query, "GET /api/v1/events?" + query, expected));
    }
    for (String id : List.of("abc", "-1", "1e3", "99999999999999999999", "1;DROP TABLE " + CANARY, "\uFF11")) {
      String header = new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
      cases.add(new Case("events with Last-Event-ID: " + quote(id), 400, () -> answer(RawHttp.exchange(port,
          "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " + header + "\r\nConnection: close\r\n\r\n"))));
    }

    // F. Schema names in the path, percent-encoded.
    for (String name : List.of("Bad%22Name", "%27%3B%20DROP%20TABLE%20" + CANARY, "..%2F..%2Fetc%2Fpasswd", "%2e%2e",
        "%00", "public%00", "public%0a", "public%0d%0aX-Injected:%201", "%E2%80%AEcilbup", "%D0%B0pp",
        "%F0%9F%9A%80", "%C0%AF", "%ED%A0%80", "%FF", "PUBLIC", "public;drop", "public'", "s".repeat(64),
        "%20public", "public%20", "tenant_%2A", "%25", "public.events", "publ%C4%B1c")) {
      cases.add(get(base + "/api/v1/schemas/" + name, "GET /api/v1/schemas/" + name, 0));
    }
    for (String name : List.of("pg_catalog", "information_schema", "muster", "billing")) {
      cases.add(get(base + "/api/v1/schemas/" + name, "GET /api/v1/schemas/" + name, 404));
    }
    for (String path : List.of("/api/v1/schemas/%", "/api/v1/schemas/%zz", "/api/v1/schemas/%e2%80",
        "/api/v1/schemas/\u00ff\u00fe", "/api/v1/schemas/caf\u00c3\u00a9", "/api/v1/schemas/\u00c0\u00af",
        "/api/v1/schemas/pub lic", "/api/v1/events?since=%", "/api/v1/events?since=%zz", "/api/v1/events?%=1",
        "/api/v1/schemas/\u00e2\u0080\u00aecilbup")) {
      cases.add(new Case("raw GET " + quote(path), 0, () -> answer(RawHttp.exchange(port, "GET " + path
          + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))));
    }
    for (String query : List.of("wait=%", "timeout=%zz", "%=1", "wait=true&timeout=%")) {
      cases.add(new Case("raw POST ?" + query, 400, () -> answer(RawHttp.exchange(port,
          rawPost("/api/v1/arrivals?" + query, "", v)))));
    }

    // G. Paths that try to leave the dashboard's files.
    for (String path : List.of("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
        "/dashboard/../../pom.xml", "/index.html%00.js", "/WEB-INF/web.xml", "/logback.xml", "/../logback.xml",
        "/.git/config", "/META-INF/MANIFEST.MF", "/dev/muster/orchestrator/Main.class", "/%2e%2e%5c%2e%2e%5cetc",
        "/....//....//etc/passwd", "/%252e%252e/etc/passwd", "/api/v1/../../etc/passwd", "/api/v1/schemas/../../../etc/passwd",
        "//etc/passwd", "/\\..\\..\\etc\\passwd")) {
      cases.add(new Case("raw GET " + path, 0, () -> answer(RawHttp.exchange(port, "GET " + path
          + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))));
    }

    // H. Unknown methods on known paths.
    for (String path : List.of("/api/v1/arrivals", "/api/v1/schemas", "/api/v1/schemas/public", "/api/v1/events",
        "/health", "/ready", "/metrics", "/")) {
      for (String method : List.of("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW", "PROPFIND")) {
        cases.add(new Case(method + " " + path, 405, () -> send(HTTP1, HttpRequest.newBuilder(URI.create(base + path))
            .method(method, HttpRequest.BodyPublishers.ofString(v)).header("Content-Type", "application/json"))));
      }
    }
    cases.add(get(arrivals, "GET /api/v1/arrivals", 405));
    for (String path : List.of("/api/v1/schemas", "/api/v1/schemas/public", "/api/v1/events", "/health", "/ready", "/metrics")) {
      cases.add(post(base + path, "application/json", "POST " + path, 405, bytes(v)));
    }
    cases.add(new Case("HEAD /api/v1/arrivals", 405, () -> {
      Answer a = send(HTTP1, HttpRequest.newBuilder(URI.create(arrivals)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
      return new Answer(a.status(), a.body(), false);
    }));
    cases.add(new Case("CONNECT 127.0.0.1:5432", 0, () -> answer(RawHttp.exchange(port,
        "CONNECT 127.0.0.1:5432 HTTP/1.1\r\nHost: 127.0.0.1:5432\r\n\r\n"))));
    cases.add(new Case("OPTIONS *", 0, () -> answer(RawHttp.exchange(port,
        "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))));

    // I. What HttpClient will not send: oversized heads and bytes that are not HTTP.
    cases.add(new Case("a header of 20,000 bytes", 431, () -> answer(RawHttp.exchange(port,
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n"))));
    cases.add(new Case("300 headers of 100 bytes", 431, () -> answer(RawHttp.exchange(port,
        "GET /health HTTP/1.1\r\nHost: x\r\n" + ("X-Many: " + "b".repeat(92) + "\r\n").repeat(300) + "\r\n"))));
    cases.add(new Case("an arrival with a 20,000-byte header", 431, () -> answer(RawHttp.exchange(port,
        rawPost("/api/v1/arrivals", "X-Big: " + "c".repeat(20_000) + "\r\n", v)))));
    cases.add(new Case("a request line of 10,000 bytes", 414, () -> answer(RawHttp.exchange(port,
        "GET /api/v1/schemas/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"))));
    cases.add(new Case("a query of 10,000 bytes", 414, () -> answer(RawHttp.exchange(port,
        "GET /api/v1/events?since=" + "1".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"))));
    for (String request : List.of("GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", "GET /\r\n\r\n", "get /health HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /health HTTP/1.1\r\nBad Header: x\r\n\r\n", "GET /health HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET /health HTTP/1.1\r\nX-Nul\u0000: x\r\n\r\n", "GET /health HTTP/1.1\r\n: empty-name\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\n folded: continuation\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Ctl: a\u0001b\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Del: \u007f\r\n\r\n",
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}",
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}",
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "GET /api/v1/schemas/public\u0000 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /api/v1/schemas/public\tx HTTP/1.1\r\nHost: x\r\n\r\n",
        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n",
        "PRI * HTTP/1.1\r\n\r\n")) {
      String shown = request.length() > 80 ? request.substring(0, 30) + "..." + request.substring(request.length() - 50) : request;
      cases.add(new Case("raw " + quote(shown), 0, () -> answer(RawHttp.exchange(port, request))));
    }
    cases.add(new Case("GET / HTTP/2.0 (as text)", 400, () -> answer(RawHttp.exchange(port,
        "GET /health HTTP/2.0\r\nHost: x\r\n\r\n"))));
    // WebSocket handshakes are refused (Muster speaks none); the handshake API sends no body.
    String ws = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    cases.add(new Case("a WebSocket handshake", 0, () -> noBody(answer(RawHttp.exchange(port,
        ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")))));
    cases.add(new Case("a broken WebSocket handshake", 0, () -> noBody(answer(RawHttp.exchange(port, ws + "\r\n")))));
    cases.add(new Case("a WebSocket handshake of version 99", 0, () -> noBody(answer(RawHttp.exchange(port,
        ws + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n")))));
    // A body whose chunked framing breaks after a valid head: Vert.x closes the connection at once (RFC 9112
    // allows either a 400 or closing); a response is not possible there.
    cases.add(new Case("invalid chunk size after a valid head", CLOSED_OR_4XX, () -> answer(RawHttp.exchange(port,
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "zz\r\n{}\r\n0\r\n\r\n"))));
    byte[] noise = new byte[512];
    new java.util.Random(42).nextBytes(noise);
    cases.add(new Case("512 random bytes", 0, () -> answer(RawHttp.exchange(port, noise))));
    cases.add(new Case("Content-Length: 10 GB", 413, () -> answer(RawHttp.exchange(port,
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n"
            + "{\"service\":\"" + "z".repeat(4096)))));
    cases.add(new Case("Expect: 100-continue with 10 GB", 413, () -> answer(RawHttp.exchange(port,
        "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            + "Content-Length: 10737418240\r\n\r\n"))));
    cases.add(new Case("a chunked body of 1 MB", 413, () -> {
      String chunk = Integer.toHexString(8192) + "\r\n" + "w".repeat(8192) + "\r\n";
      return answer(RawHttp.exchange(port, "POST /api/v1/arrivals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n" + chunk.repeat(128) + "0\r\n\r\n"));
    }));

    // Some of the same over HTTP/2 (h2c, as the SDK's client speaks it by default).
    cases.add(new Case("HTTP/2 SQL in the service", 400, () -> send(HTTP2, HttpRequest.newBuilder(URI.create(arrivals))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            valid().put("service", HOSTILE.get(0)).encode())))));
    cases.add(new Case("HTTP/2 events?since=abc", 400, () -> send(HTTP2, HttpRequest.newBuilder(URI.create(base
        + "/api/v1/events?since=abc")).GET())));
    cases.add(new Case("HTTP/2 body of 20,000 bytes", 413, () -> send(HTTP2, HttpRequest.newBuilder(URI.create(arrivals))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            valid().put("x", "y".repeat(20_000)).encode())))));
    cases.add(new Case("HTTP/2 DELETE /api/v1/schemas/public", 405, () -> send(HTTP2, HttpRequest.newBuilder(
        URI.create(base + "/api/v1/schemas/public")).DELETE())));
    return cases;
  }

  // --------------------------------------------------------------------------------------------- helpers

  static JsonObject valid() {
    return new JsonObject().put("service", "app").put("instance", "app-1").put("schema", "public");
  }

  /** A valid arrival with one field's JSON text replaced. */
  private static String withRaw(String field, String json) {
    String marker = "\"__raw__\"";
    return valid().put(field, "__raw__").encode().replace(marker, json);
  }

  private static Case arrival(String url, String mode, String what, int expected, String body) {
    boolean stream = mode.equals("stream");
    String target = stream ? url : url + mode;
    return new Case("arrival" + (mode.isEmpty() ? "" : " (" + mode + ")") + " " + what, expected, () -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8)));
      if (stream) b.header("Accept", "text/event-stream");
      return send(HTTP1, b);
    });
  }

  private static Case post(String url, String contentType, String what, int expected, byte[] body) {
    return new Case("POST " + what, expected, () -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (contentType != null) b.header("Content-Type", contentType);
      return send(HTTP1, b);
    });
  }

  private static Case get(String url, String what, int expected) {
    return new Case(what, expected, () -> send(HTTP1, HttpRequest.newBuilder(URI.create(url)).GET()));
  }

  private static String rawPost(String target, String extraHeaders, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extraHeaders
        + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n" + new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static Answer noBody(Answer a) {
    return new Answer(a.status(), a.body(), false);
  }

  private static Answer answer(RawHttp.Response r) {
    return new Answer(r.status(), r.body(), true);
  }

  private static Answer send(HttpClient client, HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(15)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body(), !r.request().method().equals("HEAD"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static byte[] gzip(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
      zip.write(bytes(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : (s.length() > 90 ? cut(s) : s).toCharArray()) {
      b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return b.append('"').toString();
  }

  private static String cut(String s) {
    return s == null ? "null" : s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}
