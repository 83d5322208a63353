package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate --all}'s direct path (plain SQL migrations applied without Flyway) leaves every schema as Flyway
 * would have: Flyway's own {@code info} and {@code validate} see it fully applied, a later Flyway run continues it,
 * its history table is the one Flyway creates, a failed tenant is left as Flyway leaves one. Whatever is not plain
 * SQL still goes through Flyway. Which path ran is read at the wire: Flyway writes each history row with an
 * {@code INSERT … VALUES}, the direct path with one {@code INSERT … SELECT} per schema.
 */
@ExtendWith(PostgresExtension.class)
class DirectPathTest {
  private static final String HISTORY_COLUMNS = "installed_rank, version, description, type, script, checksum,"
      + " installed_by, success";

  static Flyway flyway(TestDatabase db, String schema, Migrations m) {
    return Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).schemas(schema).defaultSchema(schema)
        .locations("filesystem:" + m.dir()).load();
  }

  /** Runs {@code migrate --all} through a recorder; returns the run and how many history rows Flyway inserted. */
  static Recorded migrateAll(TestDatabase db, Migrations m, String schemas, String... more) {
    try (SqlRecorder sql = SqlRecorder.start(db)) {
      int mark = sql.mark();
      List<String> args = new ArrayList<>(List.of("migrate", "--all", "--database-url", sql.url(), "--migrations",
          "filesystem:" + m.dir(), "--schemas", schemas));
      args.addAll(List.of(more));
      CommandsTest.Run run = CommandsTest.run(args.toArray(String[]::new));
      long flywayInserts = sql.statementsSince(mark).stream().filter(s -> s.contains("\"flyway_schema_history\"")
          && s.startsWith("INSERT") && s.contains("VALUES (") && !s.contains("Flyway Schema Creation")).count();
      return new Recorded(run, flywayInserts);
    }
  }

  record Recorded(CommandsTest.Run run, long flywayInserts) {}

  static List<Map<String, Object>> history(TestDatabase db, String schema) {
    return db.query("SELECT " + HISTORY_COLUMNS + " FROM " + schema + ".flyway_schema_history ORDER BY installed_rank");
  }

  @Test
  void aSchemaMigratedDirectlyIsFullyAppliedForFlywayAndAFlywayRunContinuesIt(TestDatabase db, @TempDir Path dir) {
    Migrations m = TenantsTest.tenMigrations(dir); // plain SQL, one of them a DO block
    List<String> tenants = TenantsTest.createTenants(db, 3);
    TenantsTest.execute(db, "CREATE SCHEMA reference");

    Recorded first = migrateAll(db, m, "tenant_*");
    assertEquals(0, first.run().exit(), first.run().out() + first.run().err());
    assertEquals(0, first.flywayInserts(), "the direct path ran: Flyway wrote no history row");
    flyway(db, "reference", m).migrate();

    for (String t : tenants) {
      Flyway flyway = flyway(db, t, m);
      MigrationInfoService info = flyway.info();
      assertEquals(0, info.pending().length, t);
      assertEquals(10, info.applied().length, t);
      for (MigrationInfo i : info.all()) {
        assertEquals(MigrationState.SUCCESS, i.getState(), t + " V" + i.getVersion());
        assertEquals(i.getResolvedChecksum(), i.getChecksum(), t + " V" + i.getVersion());
      }
      assertTrue(flyway.validateWithResult().validationSuccessful, t);
      // Row for row what Flyway wrote for the same files (times aside).
      assertEquals(history(db, "reference"), history(db, t), t);
    }

    m.write("V11__later.sql", "ALTER TABLE items ADD COLUMN c11 int;");
    MigrateResult later = flyway(db, tenants.get(0), m).migrate();
    assertEquals(1, later.migrationsExecuted);
    assertEquals("11", later.targetSchemaVersion);
    assertEquals(11L, db.queryLong("SELECT installed_rank FROM tenant_0000.flyway_schema_history WHERE version = '11'"));
    assertTrue(flyway(db, tenants.get(0), m).validateWithResult().validationSuccessful);

    // And the next migrate --all runs V11 directly on the other two, after Flyway's rows.
    Recorded second = migrateAll(db, m, "tenant_*");
    assertTrue(second.run().out().contains("2 migrated, 1 already up to date"), second.run().out());
    assertEquals(0, second.flywayInserts());
    for (String t : tenants) {
      assertEquals(11, flyway(db, t, m).info().applied().length, t);
      assertTrue(flyway(db, t, m).validateWithResult().validationSuccessful, t);
    }
  }

  @Test
  void theHistoryTableItCreatesIsTheOneFlywayCreates(TestDatabase db, @TempDir Path dir) {
    Migrations m = new Migrations(dir.resolve("migrations"))
        .write("V1__items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY);")
        .write("V2__names.sql", "ALTER TABLE items ADD COLUMN name text;");
    TenantsTest.execute(db, "CREATE SCHEMA tenant_empty; CREATE SCHEMA ref_empty");

    // tenant_new does not exist: created, as Flyway creates a schema, with its marker row.
    Recorded run = migrateAll(db, m, "tenant_empty,tenant_new", "--create-schemas");
    assertEquals(0, run.run().exit(), run.run().out() + run.run().err());
    assertEquals(0, run.flywayInserts());
    flyway(db, "ref_empty", m).migrate();
    Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).schemas("ref_new").defaultSchema("ref_new")
        .createSchemas(true).locations("filesystem:" + m.dir()).load().migrate();

    for (String[] pair : new String[][] {{"tenant_empty", "ref_empty"}, {"tenant_new", "ref_new"}}) {
      assertEquals(catalog(db, pair[1]), catalog(db, pair[0]), pair[0]);
      assertEquals(rowsNamed(db, pair[1]), rowsNamed(db, pair[0]), pair[0]);
    }
    assertEquals("<< Flyway Schema Creation >>", history(db, "tenant_new").get(0).get("description"));
    assertEquals(Integer.valueOf(0), history(db, "tenant_new").get(0).get("installed_rank"));
    assertEquals(0, flyway(db, "tenant_new", m).info().pending().length);
    assertTrue(flyway(db, "tenant_new", m).validateWithResult().validationSuccessful);
  }

  /** The history table as the catalog describes it, with the schema's name taken out. */
  static List<Object> catalog(TestDatabase db, String schema) {
    List<Object> all = new ArrayList<>();
    all.addAll(db.query("SELECT column_name, ordinal_position, data_type, character_maximum_length, is_nullable,"
        + " column_default FROM information_schema.columns WHERE table_schema = ? AND table_name = 'flyway_schema_history'"
        + " ORDER BY ordinal_position", schema));
    all.addAll(db.query("SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c"
        + " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
        + " WHERE n.nspname = ? AND t.relname = 'flyway_schema_history' ORDER BY c.conname", schema));
    all.addAll(db.query("SELECT indexname, replace(indexdef, schemaname || '.', '') AS def FROM pg_indexes"
        + " WHERE schemaname = ? AND tablename = 'flyway_schema_history' ORDER BY indexname", schema));
    all.addAll(db.query("SELECT t.relkind, t.relpersistence, t.reloptions::text AS options, t.relhasindex"
        + " FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace"
        + " WHERE n.nspname = ? AND t.relname = 'flyway_schema_history'", schema));
    return all;
  }

  static List<Map<String, Object>> rowsNamed(TestDatabase db, String schema) {
    return db.query("SELECT installed_rank, version, description, type, replace(script, ?, 'S') AS script, checksum,"
        + " installed_by, success FROM " + schema + ".flyway_schema_history ORDER BY installed_rank", schema);
  }

  @Test
  void aBrokenTenantIsLeftAsFlywayLeavesOneWhileTheOthersFinishEachVersionOnce(TestDatabase db, @TempDir Path dir) {
    Migrations m = TenantsTest.tenMigrations(dir);
    List<String> tenants = TenantsTest.createTenants(db, 6);
    TenantsTest.execute(db, "CREATE SCHEMA reference; INSERT INTO public.broken VALUES ('tenant_0002'), ('reference')");

    Recorded run = migrateAll(db, m, "tenant_*");
    assertEquals(3, run.run().exit(), run.run().out() + run.run().err());
    assertEquals(0, run.flywayInserts());
    assertTrue(run.run().out().contains("tenant_0002: FAILED at V5 [23514] ERROR: tenant tenant_0002 holds rows V5"
        + " cannot convert"), run.run().out());
    assertTrue(run.run().out().contains("5 migrated, 0 already up to date, 1 failed"), run.run().out());
    // Flyway, all in one transaction as Muster's Flyway path runs a tenant, leaves its history table, empty.
    try {
      Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).schemas("reference")
          .defaultSchema("reference").group(true).locations("filesystem:" + m.dir()).load().migrate();
    } catch (RuntimeException expected) {
      // V5 refuses it
    }
    assertEquals(catalog(db, "reference"), catalog(db, "tenant_0002"));
    assertEquals(List.of(), history(db, "tenant_0002"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_0002'"
        + " AND tablename <> 'flyway_schema_history'"), "nothing of V1-V4 is left");

    Map<String, long[]> histories = TenantsTest.histories(db, tenants);
    for (String t : tenants) {
      long[] h = histories.get(t);
      assertEquals(t.equals("tenant_0002") ? 0 : 10, h[0], t);
      assertEquals(h[0], h[1], t + ": each version once");
      assertEquals(0, h[2], t);
    }
    // The broken one's run in the log: its lock, then its failure with the SQLSTATE; nothing applied.
    List<Map<String, Object>> events = db.query("SELECT type, data->>'version' AS version,"
        + " data->'error'->>'sqlState' AS state FROM muster.events WHERE schema_name = 'tenant_0002' ORDER BY seq");
    assertEquals(List.of("schema.lock_acquired", "schema.failed"), events.stream().map(e -> e.get("type")).toList());
    assertEquals("5", events.get(1).get("version"));
    assertEquals("23514", events.get(1).get("state"));
    assertEquals(50, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.applied'"));

    // Fixed, Flyway itself (or the next migrate --all) takes it from there.
    TenantsTest.execute(db, "DELETE FROM public.broken");
    assertEquals(10, flyway(db, "tenant_0002", m).migrate().migrationsExecuted);
  }

  @Test
  void aNonTransactionalMigrationGoesThroughFlyway(TestDatabase db, @TempDir Path dir) {
    Migrations m = new Migrations(dir.resolve("migrations"))
        .write("V1__items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY, name text);")
        .write("V2__index.sql", "CREATE INDEX CONCURRENTLY items_name ON items (name);")
        .write("V3__more.sql", "ALTER TABLE items ADD COLUMN note text;");
    List<String> tenants = TenantsTest.createTenants(db, 3);

    Recorded run = migrateAll(db, m, "tenant_*");
    assertEquals(0, run.run().exit(), run.run().out() + run.run().err());
    assertEquals(9, run.flywayInserts(), "Flyway wrote each tenant's 3 rows");
    for (String t : tenants) {
      assertEquals(3, flyway(db, t, m).info().applied().length, t);
      assertEquals(1, db.queryLong("SELECT count(*) FROM pg_indexes WHERE schemaname = ? AND indexname = 'items_name'", t));
    }
  }

  @Test
  void aPlaceholderOrASqlCallbackGoesThroughFlyway(TestDatabase db, @TempDir Path dir) {
    Migrations placeholder = new Migrations(dir.resolve("placeholder"))
        .write("V1__items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY);")
        .write("V2__notes.sql", "CREATE TABLE ${flyway:defaultSchema}.notes (id int);");
    TenantsTest.createTenants(db, 2);
    Recorded run = migrateAll(db, placeholder, "tenant_*");
    assertEquals(0, run.run().exit(), run.run().out() + run.run().err());
    assertEquals(4, run.flywayInserts());
    assertEquals(2, db.queryLong("SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'tenant_%' AND tablename = 'notes'"));

    Migrations callback = new Migrations(dir.resolve("callback"))
        .write("V1__items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY);")
        .write("afterMigrate.sql", "INSERT INTO public.after_migrate VALUES (current_schema());");
    TenantsTest.execute(db, "CREATE TABLE public.after_migrate (schema_name text); CREATE SCHEMA other_0; CREATE SCHEMA other_1");
    Recorded withCallback = migrateAll(db, callback, "other_*");
    assertEquals(0, withCallback.run().exit(), withCallback.run().out() + withCallback.run().err());
    assertEquals(2, withCallback.flywayInserts());
    assertEquals(2, db.queryLong("SELECT count(*) FROM public.after_migrate"), "Flyway ran the callback for each schema");
  }

  @Test
  void itHoldsFlywaysOwnLockOnTheHistoryTableWhileItMigrates(TestDatabase db, @TempDir Path dir) {
    // The migration records the advisory locks held in the database while it runs: under plain Flyway, Flyway's
    // (on its own second connection); under migrate --all, Muster's schema lock and, if the direct path takes it,
    // Flyway's — so a plain Flyway run elsewhere and the direct path exclude each other.
    Migrations m = new Migrations(dir.resolve("migrations")).write("V1__seen.sql", "CREATE TABLE seen AS"
        + " SELECT classid::bigint, objid::bigint, objsubid FROM pg_locks WHERE locktype = 'advisory'"
        + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database());");
    TenantsTest.execute(db, "CREATE SCHEMA tenant_x");
    flyway(db, "tenant_x", m).migrate();
    List<Map<String, Object>> underFlyway = db.query("SELECT * FROM tenant_x.seen");
    assertEquals(1, underFlyway.size(), underFlyway.toString());
    TenantsTest.execute(db, "DROP SCHEMA tenant_x CASCADE; CREATE SCHEMA tenant_x");

    Recorded run = migrateAll(db, m, "tenant_x");
    assertEquals(0, run.run().exit(), run.run().out() + run.run().err());
    assertEquals(0, run.flywayInserts());
    List<Map<String, Object>> direct = db.query("SELECT * FROM tenant_x.seen");
    assertTrue(direct.containsAll(underFlyway), direct + " holds " + underFlyway);
    assertTrue(direct.size() > underFlyway.size(), "Muster's own lock too: " + direct);
  }

  @Test
  void anIndexADeadConcurrentBuildLeftInvalidStillSendsTheTenantToTheRepairingRun(TestDatabase db, @TempDir Path dir) {
    Migrations m = new Migrations(dir.resolve("migrations"))
        .write("V1__items.sql", "CREATE TABLE items (id int, name text);");
    TenantsTest.execute(db, "CREATE SCHEMA tenant_r");
    assertEquals(0, migrateAll(db, m, "tenant_r").run().exit());
    TenantsTest.execute(db, "INSERT INTO tenant_r.items VALUES (1, 'a'), (2, 'a')");
    try {
      TenantsTest.execute(db, "CREATE UNIQUE INDEX CONCURRENTLY items_name ON tenant_r.items (name)");
    } catch (IllegalStateException expected) {
      // the duplicate stops the build and leaves the index INVALID
    }
    assertEquals(1, db.queryLong("SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        + " WHERE i.relname = 'items_name' AND NOT x.indisvalid"));
    m.write("V2__more.sql", "ALTER TABLE items ADD COLUMN c int;");

    Recorded run = migrateAll(db, m, "tenant_r");
    assertEquals(0, run.run().exit(), run.run().out() + run.run().err());
    assertTrue(run.run().out().contains("1 joined another replica's run"), run.run().out());
    assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'items_name'"), "dropped first");
    assertEquals(2, flyway(db, "tenant_r", m).info().applied().length);
  }

  @Test
  void filesOnTheClasspathTakeTheDirectPathToo(TestDatabase db, @TempDir Path dir) throws Exception {
    Migrations m = new Migrations(dir.resolve("classes").resolve("tenantdb"))
        .write("V1__items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY);")
        .write("V2__names.sql", "ALTER TABLE items ADD COLUMN name text;");
    TenantsTest.execute(db, "CREATE SCHEMA tenant_c");
    Thread thread = Thread.currentThread();
    ClassLoader before = thread.getContextClassLoader();
    try (java.net.URLClassLoader loader = new java.net.URLClassLoader(
        new java.net.URL[] {dir.resolve("classes").toUri().toURL()}, before)) {
      thread.setContextClassLoader(loader); // where Flyway looks for classpath: locations
      long flywayInserts;
      CommandsTest.Run run;
      try (SqlRecorder sql = SqlRecorder.start(db)) {
        int mark = sql.mark();
        run = CommandsTest.run("migrate", "--all", "--database-url", sql.url(), "--migrations", "classpath:tenantdb",
            "--schemas", "tenant_c");
        flywayInserts = sql.statementsSince(mark).stream().filter(s -> s.contains("\"flyway_schema_history\"")
            && s.startsWith("INSERT") && s.contains("VALUES (")).count();
      }
      assertEquals(0, run.exit(), run.out() + run.err());
      assertEquals(0, flywayInserts, "the direct path ran");
      Flyway flyway = Flyway.configure(loader).dataSource(db.jdbcUrl(), db.user(), db.password()).schemas("tenant_c")
          .defaultSchema("tenant_c").locations("classpath:tenantdb").load();
      assertEquals(2, flyway.info().applied().length);
      assertTrue(flyway.validateWithResult().validationSuccessful);
    } finally {
      thread.setContextClassLoader(before);
    }
  }
}
