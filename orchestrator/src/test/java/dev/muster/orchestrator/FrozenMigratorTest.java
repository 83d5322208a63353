package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14.5: a migrator frozen (SIGSTOP) after its {@code ALTER TABLE}, inside the migration's transaction,
 * holds ACCESS EXCLUSIVE on the table for as long as it is frozen — unless its session ends. Migration sessions
 * run with {@code idle_in_transaction_session_timeout}, so PostgreSQL ends it and the table's readers are served
 * again while the process is still frozen; meanwhile the API shows the run's session idle in transaction. Woken,
 * the migrator runs the migration again (SQLSTATE 25P03 is a lost session, not a failed migration).
 */
@ExtendWith(PostgresExtension.class)
class FrozenMigratorTest {

  @Test
  void aFrozenMigratorsTransactionEndsAndReadersAreServedWhileItIsStillFrozen(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations migrations = LockSafetyTest.table(dir);
    StringBuilder v2 = new StringBuilder("ALTER TABLE t ADD COLUMN c int;\n");
    for (int i = 0; i < 400; i++) v2.append("SELECT pg_sleep(0.01);\n"); // many statements: a freeze falls between two
    Map<String, String> env = Map.of("MUSTER_IDLE_IN_TRANSACTION_TIMEOUT", "5s");
    try (OrchestratorProcess a = OrchestratorProcess.start("replica-a", db.url(), migrations.dir(), env);
        OrchestratorProcess b = OrchestratorProcess.start("replica-b", db.url(), migrations.dir(), env);
        Connection reader = db.connect()) {
      assertEquals("1", LockSafetyTest.client(a.url(), "first", "1").awaitReady().version());
      migrations.write("V2__add_column.sql", v2.toString());
      List<CompletableFuture<Ready>> waiters = new ArrayList<>();
      for (OrchestratorProcess p : List.of(a, b)) {
        waiters.add(MusterClient.builder().url(a.url() + "," + b.url()).service("app").instance("app-" + p.name())
            .requiredVersion("2").timeout(Duration.ofSeconds(60)).build().readyAsync());
      }
      Poll.until("V2's ALTER holds its lock", Duration.ofSeconds(20), () -> db.queryLong("SELECT count(*) FROM pg_locks l"
          + " JOIN pg_stat_activity s USING (pid) WHERE l.mode = 'AccessExclusiveLock' AND l.granted"
          + " AND l.relation = 'public.t'::regclass AND s.application_name = 'muster-run:public'") > 0);
      String holder = db.query("SELECT data->>'orchestrator' AS o FROM muster.events WHERE type = 'schema.lock_acquired'"
          + " ORDER BY seq DESC LIMIT 1").get(0).get("o").toString();
      OrchestratorProcess migrator = holder.equals(a.name()) ? a : b;
      OrchestratorProcess other = migrator == a ? b : a;
      signal("STOP", migrator.pid());
      try {
        // The survivor shows the holder's lock age and its run session, frozen: idle in transaction.
        Poll.until("the API shows the run session idle in transaction", Duration.ofSeconds(10), () -> {
          JsonObject view = Http.get(other.url() + "/api/v1/schemas/public").json();
          JsonObject backend = view.getJsonObject("runBackend");
          return view.getString("lockSince") != null && backend != null
              && "idle in transaction".equals(backend.getString("state"));
        });
        try (Statement st = reader.createStatement()) {
          st.execute("SET statement_timeout = '20s'"); // far longer than the idle timeout, far shorter than a freeze
          st.executeQuery("SELECT count(*) FROM t").close(); // served: the frozen run's transaction was ended
        }
        assertEquals(0, db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'muster-run:public'"
            + " AND state LIKE 'idle in transaction%'"), "no run session is left holding the table");
        assertEquals(0, db.queryLong("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'"
            + " AND column_name = 'c'"), "the frozen ALTER was rolled back");
      } finally {
        signal("CONT", migrator.pid());
      }
      // Woken, it finds its session ended: nothing wrong with the migration, which it runs again — no waiter fails.
      for (CompletableFuture<Ready> w : waiters) {
        assertEquals("2", w.get(60, TimeUnit.SECONDS).version(), migrator.log());
      }
      assertEquals(0, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM public.flyway_schema_history WHERE version = '2'"));
      assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.applied'"
          + " AND data->>'version' = '2'"));
    }
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal);
  }
}
