package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.muster.client.MigrationFailedException;
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
 * A run's {@code schema.ready} commits in the same transaction as its last migration and that migration's row in
 * Flyway's history (PostgreSQL's {@code xmin} says which transaction wrote a row): the schema is on record as ready
 * at the commit that makes it so, and never without it. When the last migration has no transaction of its own to
 * share ({@code CREATE INDEX CONCURRENTLY}) or is a repeatable one, the outcome follows the run, once, as before.
 */
@ExtendWith(PostgresExtension.class)
class ReadyWithTheLastMigrationTest {

  @Test
  void theOutcomeCommitsWithTheLastMigrationAndItsHistoryRow(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE second (id int);");
    awaitReady(db, migrations);
    String history = one(db, "SELECT xmin::text AS x FROM public.flyway_schema_history WHERE version = '3'");
    assertEquals(history, one(db, "SELECT xmin::text AS x FROM muster.events WHERE type = 'migration.applied'"
        + " AND data->>'version' = '3'"));
    assertEquals(history, one(db, "SELECT xmin::text AS x FROM muster.events WHERE type = 'schema.ready'"));
    assertNotEquals(history, one(db, "SELECT xmin::text AS x FROM public.flyway_schema_history WHERE version = '2'"),
        "each migration has a transaction of its own");
    assertEquals("3", one(db, "SELECT data->>'version' AS x FROM muster.events WHERE type = 'schema.ready'"));
    assertEquals(List.of("migration.applied", "schema.ready"), lastTypes(db, 2));
  }

  @Test
  void aLastMigrationWithoutATransactionIsFollowedByItsOutcome(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE second (id int);")
        .write("V4__orders_index.sql", "CREATE INDEX CONCURRENTLY orders_id ON orders (id);");
    awaitReady(db, migrations);
    String history = one(db, "SELECT xmin::text AS x FROM public.flyway_schema_history WHERE version = '4'");
    assertNotEquals(history, one(db, "SELECT xmin::text AS x FROM muster.events WHERE type = 'schema.ready'"));
    assertEquals("4", one(db, "SELECT data->>'version' AS x FROM muster.events WHERE type = 'schema.ready'"));
  }

  @Test
  void aRepeatableLastMigrationIsFollowedByItsOutcome(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE second (id int);")
        .write("R__order_ids.sql", "CREATE OR REPLACE VIEW order_ids AS SELECT id FROM orders;");
    awaitReady(db, migrations);
    String repeatable = one(db, "SELECT xmin::text AS x FROM public.flyway_schema_history WHERE version IS NULL"
        + " AND script = 'R__order_ids.sql'");
    assertNotEquals(repeatable, one(db, "SELECT xmin::text AS x FROM muster.events WHERE type = 'schema.ready'"));
    assertNotEquals(one(db, "SELECT xmin::text AS x FROM public.flyway_schema_history WHERE version = '3'"),
        one(db, "SELECT xmin::text AS x FROM muster.events WHERE type = 'schema.ready'"),
        "not ready at V3 while a repeatable migration is still to run");
    assertEquals("3", one(db, "SELECT data->>'version' AS x FROM muster.events WHERE type = 'schema.ready'"));
  }

  @Test
  void aLastMigrationRolledBackAtItsCommitIsAFailureNotReady(TestDatabase db, @TempDir Path dir) throws Exception {
    // A deferred constraint is checked at COMMIT: after the callback wrote schema.ready in the migration's transaction.
    Migrations migrations = Migrations.aroundSecond(dir, "CREATE TABLE second (id int);")
        .write("V3__orders.sql", "CREATE TABLE orders (id int UNIQUE DEFERRABLE INITIALLY DEFERRED);\n"
            + "INSERT INTO orders VALUES (1), (1);");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      MusterClient client = MusterClient.builder().url(replicas.url(0)).service("app").instance("app-1").build();
      MigrationFailedException failed = assertThrows(MigrationFailedException.class, client::awaitReady);
      assertEquals("23505", failed.sqlState(), failed.getMessage());
      // Each later arrival starts a run again (a fix may have come): the same failure, never ready.
      for (int i = 2; i <= 5; i++) {
        assertThrows(MigrationFailedException.class, MusterClient.builder().url(replicas.url(0)).service("app")
            .instance("app-" + i).build()::awaitReady);
      }
    }
    assertEquals(List.of(), db.query("SELECT seq FROM muster.events WHERE type = 'schema.ready'"));
    assertEquals("3", one(db, "SELECT string_agg(DISTINCT data->>'version', ',') AS x FROM muster.events"
        + " WHERE type = 'schema.failed'"));
    assertEquals("2", one(db, "SELECT max(version) AS x FROM public.flyway_schema_history WHERE success"));
  }

  private static void awaitReady(TestDatabase db, Migrations migrations) throws Exception {
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, migrations.dir()))) {
      MusterClient.builder().url(replicas.url(0)).service("app").instance("app-1").build().awaitReady();
    }
  }

  /** The one row's {@code x} (a query that finds none or several is a failure). */
  private static String one(TestDatabase db, String sql) throws Exception {
    List<Map<String, Object>> rows = db.query(sql);
    assertEquals(1, rows.size(), sql + " → " + rows);
    return String.valueOf(rows.get(0).get("x"));
  }

  private static List<String> lastTypes(TestDatabase db, int n) throws Exception {
    List<Map<String, Object>> rows = db.query("SELECT type FROM (SELECT seq, type FROM muster.events"
        + " WHERE type NOT LIKE 'service.%' ORDER BY seq DESC LIMIT " + n + ") t ORDER BY seq");
    return rows.stream().map(r -> String.valueOf(r.get("type"))).toList();
  }
}
