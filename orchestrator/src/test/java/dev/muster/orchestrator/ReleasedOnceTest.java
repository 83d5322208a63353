package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Push first, record after: hundreds of services arrive at once on two replicas, while the schema migrates and
 * after it is ready. Every one is answered, and the log ends up with exactly one {@code service.starting} and one
 * {@code service.released} for each — written in batches after the answers, gapless, in number and time order.
 */
@ExtendWith(PostgresExtension.class)
class ReleasedOnceTest {
  static final int DURING = 300;
  static final int AFTER = 100;

  @Test
  void everyArrivalOfAStormIsReleasedOnceAndTheLogStaysGaplessAndOrdered(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE slow (id int);\nSELECT pg_sleep(2);");
    try (Replicas replicas = Replicas.start(2, Replicas.config(db, migrations.dir()).toBuilder()
        .maxStreamsPerClient(4096).build())) {
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < DURING; i++) answers.add(Http.arriveAndWait(replicas.url(i % 2), "during-" + i));
      for (CompletableFuture<HttpResponse<String>> a : answers) {
        HttpResponse<String> r = a.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("3", new JsonObject(r.body()).getString("version"));
      }
      List<CompletableFuture<HttpResponse<String>>> late = new ArrayList<>();
      for (int i = 0; i < AFTER; i++) late.add(Http.arriveAndWait(replicas.url(i % 2), "after-" + i));
      for (CompletableFuture<HttpResponse<String>> a : late) assertEquals(200, a.get(60, TimeUnit.SECONDS).statusCode());

      int all = DURING + AFTER;
      Poll.until("a service.released for every arrival", () ->
          db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.released'") >= all);
      assertEquals(all, db.queryLong("SELECT count(DISTINCT data->>'instance') FROM muster.events"
          + " WHERE type = 'service.starting'"));
      assertEquals(all, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.starting'"));
      assertEquals(all, db.queryLong("SELECT count(DISTINCT data->>'instance') FROM muster.events"
          + " WHERE type = 'service.released'"));
      assertEquals(all, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.released'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));
      assertEquals(0, db.queryLong("SELECT max(seq) - count(*) FROM muster.events"), "gapless");
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events a JOIN muster.events b ON b.seq = a.seq + 1"
          + " WHERE b.at < a.at"), "times rise with numbers");
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events s JOIN muster.events r"
          + " ON r.data->>'instance' = s.data->>'instance' AND r.type = 'service.released'"
          + " WHERE s.type = 'service.starting' AND r.seq < s.seq"), "each released after its own arrival");
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events r JOIN muster.events ready"
          + " ON ready.type = 'schema.ready' WHERE r.type = 'service.released' AND r.data->>'instance' LIKE 'during-%'"
          + " AND r.seq < ready.seq"), "the waiters' releases recorded after the outcome");
    }
  }
}
