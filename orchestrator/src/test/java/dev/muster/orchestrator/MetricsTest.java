package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics}: Prometheus text of what a run looks like from the HTTP layer. */
@ExtendWith(PostgresExtension.class)
class MetricsTest {

  @Test
  void aScrapeAfterARunCountsItsEventsDurationsWaitersStreamsAndRequests(TestDatabase db, @TempDir Path dir)
      throws Exception {
    // V3 waits for an advisory lock the test holds: the run is under way for as long as the test wants.
    Migrations migrations = ArrivalModesTest.twoMigrations(dir).write("V3__gate.sql", "SELECT pg_advisory_xact_lock(7, 42);");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()));
        Connection gate = db.connect()) {
      String base = replicas.url(0);
      try (Statement s = gate.createStatement()) {
        s.execute("SELECT pg_advisory_lock(7, 42)");
      }
      CompletableFuture<HttpResponse<String>> waiting = Http.CLIENT.sendAsync(
          HttpRequest.newBuilder(URI.create(base + "/api/v1/arrivals?wait=true"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(ArrivalModesTest.arrival("metered").encode())).build(),
          HttpResponse.BodyHandlers.ofString());

      Poll.until("V3 is under way",
          () -> LimitsTest.counter(base, "muster_events_total{type=\"migration.started\"}") == 3);
      String during = scrape(base);
      assertEquals(1.0, sample(during, "muster_services_waiting"), "the waiter");
      assertEquals(1.0, sample(during, "muster_http_streams_open"), "the ?wait=true request");
      assertEquals(2.0, sample(during, "muster_events_total{type=\"migration.applied\"}"));
      assertEquals(2.0, sample(during, "muster_migration_duration_seconds_count"));

      gate.close(); // V3 goes on
      HttpResponse<String> released = waiting.get(30, TimeUnit.SECONDS);
      assertEquals(200, released.statusCode(), released.body());
      assertEquals(404, Http.get(base + "/api/v1/schemas/billing").status());

      Poll.until("the release is counted",
          () -> LimitsTest.counter(base, "muster_events_total{type=\"service.released\"}") == 1);
      String after = scrape(base);
      assertEquals(1.0, sample(after, "muster_events_total{type=\"service.starting\"}"));
      assertEquals(1.0, sample(after, "muster_events_total{type=\"schema.lock_acquired\"}"));
      assertEquals(3.0, sample(after, "muster_events_total{type=\"migration.applied\"}"));
      assertEquals(1.0, sample(after, "muster_events_total{type=\"schema.ready\"}"));
      assertEquals(0.0, sample(after, "muster_events_total{type=\"schema.failed\"}"), "present from the start, at 0");
      assertEquals(3.0, sample(after, "muster_migration_duration_seconds_count"));
      assertTrue(sample(after, "muster_migration_duration_seconds_bucket{le=\"+Inf\"}") == 3.0, after);
      assertEquals(1.0, sample(after, "muster_run_duration_seconds_count{outcome=\"ready\"}"));
      assertEquals(0.0, sample(after, "muster_run_duration_seconds_count{outcome=\"failed\"}"));
      assertEquals(1.0, sample(after, "muster_wait_duration_seconds_count{outcome=\"released\"}"));
      assertTrue(sample(after, "muster_wait_duration_seconds_sum{outcome=\"released\"}") > 0, "it waited for V3");
      assertEquals(0.0, sample(after, "muster_services_waiting"));
      assertEquals(0.0, sample(after, "muster_http_streams_open"));
      assertEquals((double) db.queryLong("SELECT max(seq) FROM muster.events"), sample(after, "muster_events_last_seq"));
      assertEquals(1.0, sample(after,
          "muster_http_requests_total{method=\"POST\",route=\"/api/v1/arrivals\",status=\"200\"}"));
      assertEquals(1.0, sample(after,
          "muster_http_requests_total{method=\"GET\",route=\"/api/v1/schemas/{schema}\",status=\"404\"}"));
      assertTrue(after.contains("# TYPE muster_events_total counter"), after);
      assertTrue(after.contains("# TYPE muster_migration_duration_seconds histogram"), after);
    }
  }

  private static String scrape(String base) throws Exception {
    HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
        r.headers().toString());
    return r.body();
  }

  private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /**
   * The sum of the samples named {@code query} ({@code name} or {@code name{label="value",...}}) whose labels
   * include the given ones; 0 when there are none.
   */
  static double sample(String text, String query) {
    Matcher q = LINE.matcher(query + " 0");
    if (!q.matches()) throw new IllegalArgumentException(query);
    Map<String, String> wanted = labels(q.group(3));
    double sum = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("#")) continue;
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches() || !m.group(1).equals(q.group(1))) continue;
      if (labels(m.group(3)).entrySet().containsAll(wanted.entrySet())) sum += Double.parseDouble(m.group(4));
    }
    return sum;
  }

  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (text == null) return labels;
    Matcher m = LABEL.matcher(text);
    while (m.find()) labels.put(m.group(1), m.group(2));
    return labels;
  }
}
