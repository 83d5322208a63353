package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MusterClient;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each event's {@code at} is when it happened: a migration's {@code migration.applied}, written at the end of
 * the migration's own transaction, reads after its {@code migration.started}, and the log's times rise with its
 * numbers.
 */
@ExtendWith(PostgresExtension.class)
class EventTimesTest {

  @Test
  void theLogsTimesReadInTheOrderThingsHappened(TestDatabase db, @TempDir Path dir) throws Exception {
    // V2 takes a while inside its transaction: with the transaction's start as its time, its 'applied' would
    // read before its own 'started'.
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE slow (id int);\nSELECT pg_sleep(0.3);");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      MusterClient.builder().url(replicas.url(0)).service("app").instance("app-1").build().awaitReady();
    }
    // Microseconds since the epoch, compared in SQL: no time zone or precision lost on the way.
    List<Map<String, Object>> log = db.query("SELECT seq, type, coalesce(data->>'version', '') AS version,"
        + " (extract(epoch FROM at) * 1000000)::bigint AS at FROM muster.events ORDER BY seq");
    long previous = Long.MIN_VALUE;
    for (Map<String, Object> e : log) {
      long at = ((Number) e.get("at")).longValue();
      assertTrue(at >= previous, "times rise with the numbers: " + log);
      previous = at;
    }
    for (String version : List.of("1", "2", "3")) {
      long started = at(log, "migration.started", version);
      long applied = at(log, "migration.applied", version);
      assertTrue(started <= applied, "V" + version + " applied after it started: " + log);
    }
    assertTrue(at(log, "migration.started", "2") < at(log, "migration.applied", "2"), "V2 took its time: " + log);
    assertTrue(at(log, "migration.applied", "3") <= at(log, "schema.ready", "3"));
    assertEquals(1, log.stream().filter(e -> e.get("type").equals("schema.ready")).count());
  }

  private static long at(List<Map<String, Object>> log, String type, String version) {
    return log.stream().filter(e -> e.get("type").equals(type) && e.get("version").equals(version))
        .map(e -> ((Number) e.get("at")).longValue()).findFirst().orElseThrow(() -> new AssertionError(type + " " + version));
  }
}
