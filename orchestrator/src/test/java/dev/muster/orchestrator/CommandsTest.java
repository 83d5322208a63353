package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.client.MusterClient;
import dev.muster.client.Ready;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The one-shot commands: plan, migrate, status, with the contract's exit codes. */
@ExtendWith(PostgresExtension.class)
class CommandsTest {

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void planListsWhatMigrateThenAppliesAndStatusReportsReady(TestDatabase db, @TempDir Path dir) {
    Migrations m = ArrivalModesTest.twoMigrations(dir);
    String[] common = {"--database-url", db.url(), "--migrations", "filesystem:" + m.dir()};

    Run plan = run(concat(new String[] {"plan"}, common));
    assertEquals(0, plan.exit(), plan.err());
    assertTrue(plan.out().contains("public (at no version): 2 pending"), plan.out());
    assertTrue(plan.out().contains("V2  orders"), plan.out());
    assertEquals(0, db.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'accounts'"), "plan applies nothing");

    Run migrate = run(concat(new String[] {"migrate", "--schema", "public"}, common));
    assertEquals(0, migrate.exit(), migrate.err());
    assertEquals("public: ready at version 2\n", migrate.out());

    Run status = run(concat(new String[] {"status", "--json"}, common));
    assertEquals(0, status.exit(), status.err());
    JsonObject schema = new JsonObject(status.out()).getJsonArray("schemas").getJsonObject(0);
    assertEquals("ready", schema.getString("state"));
    assertEquals("2", schema.getString("version"));
    assertEquals(0, schema.getJsonArray("pending").size());
    assertEquals(0L, schema.getLong("waiting"));
  }

  @Test
  void migrateExits3WithTheSqlErrorAndStatusShowsTheFailure(TestDatabase db, @TempDir Path dir) {
    Migrations m = ArrivalModesTest.twoMigrations(dir).write("V3__broken.sql", "SELECT * FROM missing_table;");
    String[] common = {"--database-url", db.url(), "--migrations", "filesystem:" + m.dir()};
    Run migrate = run(concat(new String[] {"migrate"}, common));
    assertEquals(3, migrate.exit(), migrate.out() + migrate.err());
    assertTrue(migrate.out().contains("[42P01]") && migrate.out().contains("missing_table"), migrate.out());

    Run status = run(concat(new String[] {"status"}, common));
    assertTrue(status.out().matches("(?s).*public\\s+failed\\s+2\\s+3\\s+1\\s+0\\s+-.*"), status.out());
    assertTrue(status.out().contains("last run failed at V3: [42P01]"), status.out());
  }

  @Test
  void aSchemaOutsideTheConfigurationIsBadUsage(TestDatabase db, @TempDir Path dir) {
    Run r = run("migrate", "--database-url", db.url(), "--migrations", "filesystem:" + dir, "--schema", "billing");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("schema 'billing' is not in MUSTER_SCHEMAS (public)"), r.err());
  }

  @Test
  void migrateWhileServeRunsJoinsTheRunInsteadOfRepeatingIt(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations m = ArrivalModesTest.twoMigrations(dir).write("V3__slow.sql", "SELECT pg_sleep(1);");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, m.dir()))) {
      CompletableFuture<Ready> service = MusterClient.builder().url(replicas.url(0)).service("app")
          .timeout(Duration.ofSeconds(30)).build().readyAsync();
      Run migrate = run("migrate", "--database-url", db.url(), "--migrations", "filesystem:" + m.dir());
      assertEquals(0, migrate.exit(), migrate.err());
      assertEquals("3", service.get(30, TimeUnit.SECONDS).version());
      assertEquals(3, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.started'"));
      assertEquals(3, db.queryLong("SELECT count(*) FROM public.flyway_schema_history"));
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
