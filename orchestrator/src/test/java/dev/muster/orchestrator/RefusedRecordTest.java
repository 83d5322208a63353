package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
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
 * A record the database refuses for good does not stop the log. PostgreSQL is made to refuse one waiter's
 * {@code service.released} (a check constraint, SQLSTATE 23514) while it is batched with twenty others': those
 * twenty are recorded, the refused one is dropped with an error in the replica's log, and the arrivals after it are
 * answered and recorded as ever — the log gapless.
 */
@ExtendWith(PostgresExtension.class)
class RefusedRecordTest {
  static final int FINE = 20;
  static final int LATER = 5;

  @Test
  void aRecordTheDatabaseRefusesIsDroppedAndEverythingElseIsRecorded(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE second (id int);");
    try (LogCapture logs = new LogCapture();
        Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      assertEquals(200, Http.arriveAndWait(replicas.url(0), "first").get(60, TimeUnit.SECONDS).statusCode());
      Poll.until("the first arrival's release on record", () ->
          db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.released'") == 1);
      db.execute("ALTER TABLE muster.events ADD CONSTRAINT refuse_poison"
          + " CHECK (NOT (type = 'service.released' AND data->>'instance' = 'poison'))");

      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      answers.add(Http.arriveAndWait(replicas.url(0), "poison"));
      for (int i = 0; i < FINE; i++) answers.add(Http.arriveAndWait(replicas.url(0), "fine-" + i));
      for (CompletableFuture<HttpResponse<String>> a : answers) {
        HttpResponse<String> r = a.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
      }
      Poll.until("the refused record given up on", () ->
          logs.errors().stream().anyMatch(e -> e.contains("Dropped service.released")));
      for (int i = 0; i < LATER; i++) {
        HttpResponse<String> r = Http.arriveAndWait(replicas.url(0), "later-" + i).get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), "an arrival after the refused record: " + r.body());
      }

      Poll.until("a service.released for every other arrival", () ->
          db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.released'") == 1 + FINE + LATER);
      assertEquals(1 + FINE + LATER, db.queryLong("SELECT count(DISTINCT data->>'instance') FROM muster.events"
          + " WHERE type = 'service.released' AND data->>'instance' <> 'poison'"));
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.released'"
          + " AND data->>'instance' = 'poison'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'service.starting'"
          + " AND data->>'instance' = 'poison'"), "its arrival is on record");
      assertEquals(0, db.queryLong("SELECT max(seq) - count(*) FROM muster.events"), "gapless");
      List<String> dropped = logs.errors().stream().filter(e -> e.contains("Dropped")).toList();
      assertEquals(1, dropped.size(), String.valueOf(dropped));
      assertTrue(dropped.get(0).contains("refuse_poison"), "the database's reason is in the line: " + dropped.get(0));
    }
  }
}
