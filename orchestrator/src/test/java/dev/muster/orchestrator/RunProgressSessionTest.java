package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.lock.LockKeys;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run writes its progress ({@code migration.started}) on its own lock session, never on the replica's pool. Flyway
 * announces each migration with that migration's transaction already open; waiting there for a pooled session —
 * behind the log reads of five thousand arriving streams — once kept the transaction idle past
 * {@code MUSTER_IDLE_IN_TRANSACTION_TIMEOUT}, three times, and a healthy run failed with 25P03. The lock session
 * is idle while the run holds it, so the announcement waits for nobody. Read at the wire: which session sent what.
 */
@ExtendWith(PostgresExtension.class)
class RunProgressSessionTest {

  @Test
  void eachMigrationIsAnnouncedOnTheRunsLockSessionAndAppliedInItsOwnTransaction(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations m = Migrations.aroundSecond(dir, "CREATE TABLE second (id int);");
    try (SqlRecorder sql = SqlRecorder.start(db);
        Replicas replicas = Replicas.start(1, Replicas.config(db, m.dir()).toBuilder()
            .database(DatabaseUrl.parse(sql.url())).build())) {
      int mark = sql.mark();
      HttpResponse<String> released = Http.arriveAndWait(replicas.url(0), "app-1").get(60, TimeUnit.SECONDS);
      assertEquals(200, released.statusCode(), released.body());
      assertTrue(released.body().contains("\"ready\""), released.body());

      List<SqlRecorder.Message> sent = sql.since(mark);
      Set<Integer> lock = sessionsSending(sent, "pg_try_advisory_lock(" + LockKeys.key("public") + ")");
      assertEquals(1, lock.size(), "one lock session took the schema: " + lock);
      List<SqlRecorder.Message> started = sending(sent, "migration.started");
      assertEquals(3, started.size(), "V1, V2 and V3 announced once each");
      for (SqlRecorder.Message s : started) assertTrue(lock.contains(s.session()), "announced on the lock session");
      Set<Integer> applied = sessionsSending(sent, "migration.applied");
      assertEquals(3, sending(sent, "migration.applied").size(), "V1, V2 and V3 applied once each");
      applied.retainAll(lock);
      assertEquals(Set.of(), applied, "each recorded in its own migration's transaction, not on the lock session");
    }
    assertEquals(3, db.query("SELECT 1 FROM public.flyway_schema_history WHERE success AND version IS NOT NULL").size());
  }

  private static List<SqlRecorder.Message> sending(List<SqlRecorder.Message> sent, String text) {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    return sent.stream().filter(m -> SqlRecorder.indexOf(m.payload(), needle) >= 0).toList();
  }

  private static Set<Integer> sessionsSending(List<SqlRecorder.Message> sent, String text) {
    Set<Integer> sessions = new TreeSet<>();
    sending(sent, text).forEach(m -> sessions.add(m.session()));
    return sessions;
  }
}
