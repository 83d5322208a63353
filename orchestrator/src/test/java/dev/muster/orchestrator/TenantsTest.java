package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate --all} over many tenant schemas: each migration once in each history table, a broken tenant
 * failing alone with its SQLSTATE, the canary holding the wave back, a second run that has nothing to do.
 */
@ExtendWith(PostgresExtension.class)
class TenantsTest {

  static Migrations tenMigrations(Path dir) {
    Migrations m = new Migrations(dir.resolve("migrations"));
    m.write("V1__items.sql", "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL);");
    for (int v = 2; v <= 10; v++) m.write("V" + v + "__step_" + v + ".sql", "ALTER TABLE items ADD COLUMN c" + v + " int;");
    // A tenant whose data V5 cannot take: marked by a row in a table the test makes outside the tenants.
    m.write("V5__step_5.sql", "ALTER TABLE items ADD COLUMN c5 int;\n"
        + "DO $$ BEGIN IF EXISTS (SELECT 1 FROM public.broken WHERE tenant = current_schema()) THEN\n"
        + "  RAISE EXCEPTION 'tenant % holds rows V5 cannot convert', current_schema() USING ERRCODE = '23514';\n"
        + "END IF; END $$;");
    return m;
  }

  static List<String> createTenants(TestDatabase db, int count) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) names.add(String.format("tenant_%04d", i));
    StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS public.broken (tenant text);");
    for (String n : names) ddl.append("CREATE SCHEMA ").append(n).append(';');
    execute(db, ddl.toString());
    return names;
  }

  static void execute(TestDatabase db, String sql) {
    try (var c = db.connect(); var st = c.createStatement()) {
      st.execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** Per schema: successful versioned rows, distinct versions, failed rows — read from every history table at once. */
  static Map<String, long[]> histories(TestDatabase db, List<String> schemas) {
    StringBuilder sql = new StringBuilder();
    for (String s : schemas) {
      if (sql.length() > 0) sql.append(" UNION ALL ");
      sql.append("SELECT '").append(s).append("' AS s, count(*) FILTER (WHERE success AND version IS NOT NULL) AS ok,")
          .append(" count(DISTINCT version) FILTER (WHERE success) AS versions, count(*) FILTER (WHERE NOT success) AS bad")
          .append(" FROM ").append(s).append(".flyway_schema_history");
    }
    Map<String, long[]> result = new java.util.HashMap<>();
    for (Map<String, Object> row : db.query(sql.toString())) {
      result.put((String) row.get("s"), new long[] {((Number) row.get("ok")).longValue(),
          ((Number) row.get("versions")).longValue(), ((Number) row.get("bad")).longValue()});
    }
    return result;
  }

  static String[] args(TestDatabase db, Migrations m, String... more) {
    List<String> all = new ArrayList<>(List.of("migrate", "--all", "--database-url", db.url(), "--migrations",
        "filesystem:" + m.dir(), "--schemas", "tenant_*"));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void fiveHundredTenantsTenMigrationsEachAppliedOnceThenNothingToDo(TestDatabase db, @TempDir Path dir) {
    Migrations m = tenMigrations(dir);
    List<String> tenants = createTenants(db, 500);

    CommandsTest.Run first = CommandsTest.run(args(db, m));
    assertEquals(0, first.exit(), first.out() + first.err());
    assertTrue(first.out().contains("500 migrated, 0 already up to date, 0 failed"), first.out());
    Map<String, long[]> histories = histories(db, tenants);
    for (String t : tenants) {
      long[] h = histories.get(t);
      assertEquals(10, h[0], t + ": each of the 10 migrations applied");
      assertEquals(10, h[1], t + ": none twice");
      assertEquals(0, h[2], t);
    }
    assertEquals(5000, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'migration.applied'"));
    assertEquals(5000, db.queryLong("SELECT count(DISTINCT (schema_name, data->>'version')) FROM muster.events"
        + " WHERE type = 'migration.applied'"));
    assertEquals(500, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'"));

    long events = db.queryLong("SELECT count(*) FROM muster.events");
    CommandsTest.Run again = CommandsTest.run(args(db, m));
    assertEquals(0, again.exit(), again.out() + again.err());
    assertTrue(again.out().contains("0 of 500 schema(s) behind"), again.out());
    assertTrue(again.out().contains("0 migrated, 500 already up to date"), again.out());
    assertEquals(events, db.queryLong("SELECT count(*) FROM muster.events"), "a no-op pass writes nothing");
  }

  @Test
  void aBrokenTenantFailsAloneWithItsSqlStateWhileTheOthersFinish(TestDatabase db, @TempDir Path dir) {
    Migrations m = tenMigrations(dir);
    List<String> tenants = createTenants(db, 40);
    execute(db, "INSERT INTO public.broken VALUES ('tenant_0007')");

    CommandsTest.Run run = CommandsTest.run(args(db, m));
    assertEquals(3, run.exit(), run.out() + run.err());
    assertTrue(run.out().contains("tenant_0007: FAILED at V5 [23514] ERROR: tenant tenant_0007 holds rows V5 cannot convert"), run.out());
    assertTrue(run.out().contains("39 migrated, 0 already up to date, 1 failed"), run.out());
    Map<String, long[]> histories = histories(db, tenants);
    for (String t : tenants) {
      // One transaction per tenant: the broken one is left as it was, not half-migrated.
      assertEquals(t.equals("tenant_0007") ? 0 : 10, histories.get(t)[0], t);
    }
    assertEquals("23514", db.query("SELECT data->'error'->>'sqlState' AS s FROM muster.events WHERE type = 'schema.failed'"
        + " AND schema_name = 'tenant_0007'").get(0).get("s"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.failed'"));
  }

  @Test
  void statusJsonAgreesWithEveryHistoryTable(TestDatabase db, @TempDir Path dir) {
    Migrations m = tenMigrations(dir);
    List<String> tenants = createTenants(db, 60);
    execute(db, "INSERT INTO public.broken VALUES ('tenant_0042')");
    assertEquals(3, CommandsTest.run(args(db, m)).exit());
    execute(db, "CREATE SCHEMA tenant_0100"); // arrived since: behind, never run

    // Without --all: every schema the pattern matches.
    CommandsTest.Run status = CommandsTest.run("status", "--json", "--database-url", db.url(), "--migrations",
        "filesystem:" + m.dir(), "--schemas", "tenant_*");
    assertEquals(0, status.exit(), status.err());
    JsonObject json = new JsonObject(status.out());
    assertEquals(61, json.getInteger("total"));
    assertEquals(59, json.getJsonObject("counts").getInteger("ready"));
    assertEquals(1, json.getJsonObject("counts").getInteger("failed"));
    assertEquals(1, json.getJsonObject("counts").getInteger("pending"));
    assertEquals("tenant_0042", json.getJsonArray("schemas").getJsonObject(0).getString("schema"), "failed first");
    Map<String, Object> versions = new java.util.HashMap<>();
    StringBuilder sql = new StringBuilder();
    for (String t : tenants) {
      if (sql.length() > 0) sql.append(" UNION ALL ");
      sql.append("SELECT '").append(t).append("' AS s, (SELECT max(version::int)::text FROM ").append(t)
          .append(".flyway_schema_history WHERE success AND version IS NOT NULL) AS v");
    }
    for (Map<String, Object> row : db.query(sql.toString())) versions.put((String) row.get("s"), row.get("v"));
    for (Object o : json.getJsonArray("schemas")) {
      JsonObject s = (JsonObject) o;
      String name = s.getString("schema");
      if (name.equals("tenant_0100")) {
        assertEquals("pending", s.getString("state"));
        assertEquals(10, s.getJsonArray("pending").size());
        continue;
      }
      assertEquals(versions.get(name), s.getString("version"), name);
      assertEquals("10", s.getString("latestVersion"), name);
      assertEquals(name.equals("tenant_0042") ? "failed" : "ready", s.getString("state"), name);
      assertEquals(name.equals("tenant_0042") ? 10 : 0, s.getJsonArray("pending").size(), name);
    }

    CommandsTest.Run failed = CommandsTest.run("status", "--json", "--state", "failed", "--database-url", db.url(),
        "--migrations", "filesystem:" + m.dir(), "--schemas", "tenant_*");
    assertEquals(1, new JsonObject(failed.out()).getJsonArray("schemas").size(), failed.out());
    CommandsTest.Run behind = CommandsTest.run("status", "--behind", "--database-url", db.url(),
        "--migrations", "filesystem:" + m.dir(), "--schemas", "tenant_*");
    assertTrue(behind.out().startsWith("61 schema(s): 1 pending, 59 ready, 1 failed"), behind.out());
    assertTrue(behind.out().contains("tenant_0042") && behind.out().contains("tenant_0100")
        && !behind.out().contains("tenant_0001"), behind.out());
  }

  @Test
  void sigkillMidWaveThenASecondRunCompletesEverythingWithNothingAppliedTwice(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Migrations m = tenMigrations(dir);
    List<String> tenants = createTenants(db, 100);
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", classpath, Main.class.getName(), "migrate", "--all")
        .redirectErrorStream(true).redirectOutput(dir.resolve("first.log").toFile());
    pb.environment().put("MUSTER_DATABASE_URL", db.url());
    pb.environment().put("MUSTER_MIGRATIONS", "filesystem:" + m.dir());
    pb.environment().put("MUSTER_SCHEMAS", "tenant_*");
    Process first = pb.start();
    try {
      // Watching the log for what the process does; the bound only guards against a hang.
      boolean started = Poll.within(java.time.Duration.ofSeconds(180), () -> !first.isAlive()
          || db.queryLong("SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'tenant_%'"
          + " AND tablename = 'flyway_schema_history'") >= 10
          && db.queryLong("SELECT CASE WHEN to_regclass('muster.events') IS NULL THEN 0 ELSE"
          + " (SELECT count(*) FROM muster.events WHERE type = 'schema.ready') END") >= 10);
      assertTrue(started && first.isAlive(), "10 tenants migrated while it runs:\n"
          + java.nio.file.Files.readString(dir.resolve("first.log")));
    } finally {
      first.destroyForcibly(); // SIGKILL: no unlock, no outcome for the runs under way
      first.waitFor();
    }
    long done = db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'");
    assertTrue(done < 100, "killed mid-wave: " + done + " of 100 done");

    CommandsTest.Run second = CommandsTest.run(args(db, m));
    assertEquals(0, second.exit(), second.out() + second.err());
    Map<String, long[]> histories = histories(db, tenants);
    for (String t : tenants) {
      assertEquals(10, histories.get(t)[0], t + ": complete");
      assertEquals(10, histories.get(t)[1], t + ": nothing applied twice");
      assertEquals(0, histories.get(t)[2], t);
    }
    // Through Flyway, a tenant whose migrations committed just before the kill has no outcome in the log (the second
    // run finds it up to date and writes nothing; the direct path commits schema.ready with the migrations): what
    // every reader shows is still ready, for all 100.
    JsonObject status = new JsonObject(CommandsTest.run("status", "--json", "--database-url", db.url(), "--migrations",
        "filesystem:" + m.dir(), "--schemas", "tenant_*").out());
    assertEquals(100, status.getJsonObject("counts").getInteger("ready"), status.encodePrettily());
    assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock'"
        + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"), "no stale lock");
  }

  @Test
  void anArrivalForATenantThatDoesNotExistIs404UnlessSchemasAreCreated(TestDatabase db, @TempDir Path dir) {
    Migrations m = tenMigrations(dir);
    execute(db, "CREATE TABLE public.broken (tenant text)"); // V5 reads it
    JsonObject arrival = new JsonObject().put("service", "app").put("instance", "a1").put("schema", "tenant_new");
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, m.dir()).toBuilder().createSchemas(false).build())) {
      Http.Response refused = Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true", arrival);
      assertEquals(404, refused.status(), refused.body());
      assertEquals("unknown_schema", refused.json().getString("error"));
      assertTrue(refused.json().getString("message").contains("MUSTER_CREATE_SCHEMAS=true"), refused.body());
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_new'"));
      // A schema not found is not remembered as missing: once it is created, the same replica migrates it.
      JsonObject late = arrival.copy().put("schema", "tenant_late");
      assertEquals(404, Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true", late).status());
      execute(db, "CREATE SCHEMA tenant_late");
      Http.Response created = Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true", late);
      assertEquals(200, created.status(), created.body());
      assertEquals(10, db.queryLong("SELECT count(*) FROM tenant_late.flyway_schema_history WHERE success"
          + " AND version IS NOT NULL"));
    }
    try (Replicas replicas = Replicas.start(1, Replicas.config(db, m.dir()).toBuilder().createSchemas(true).build())) {
      Http.Response ready = Http.postJson(replicas.url(0) + "/api/v1/arrivals?wait=true", arrival);
      assertEquals(200, ready.status(), ready.body());
      assertEquals("10", ready.json().getString("version"));
      assertEquals(10, db.queryLong("SELECT count(*) FROM tenant_new.flyway_schema_history WHERE success"
          + " AND version IS NOT NULL"));
    }
  }

  @Test
  void aFailedCanaryStopsTheWave(TestDatabase db, @TempDir Path dir) {
    Migrations m = tenMigrations(dir);
    List<String> tenants = createTenants(db, 30);
    execute(db, "INSERT INTO public.broken VALUES ('tenant_0021')");

    CommandsTest.Run run = CommandsTest.run(args(db, m, "--canary", "tenant_0021,tenant_0003"));
    assertEquals(3, run.exit(), run.out() + run.err());
    assertTrue(run.out().contains("tenant_0021: FAILED at V5 [23514]"), run.out());
    assertTrue(run.out().contains("1 migrated, 0 already up to date, 1 failed, 28 not started"), run.out());
    assertEquals(2, db.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'flyway_schema_history'"
        + " AND schemaname LIKE 'tenant_%'"),
        "no other tenant was touched");

    // Fixed, the canaries pass and the rest follow.
    execute(db, "DELETE FROM public.broken");
    CommandsTest.Run fixed = CommandsTest.run(args(db, m, "--canary", "2"));
    assertEquals(0, fixed.exit(), fixed.out() + fixed.err());
    assertTrue(fixed.out().contains("29 migrated, 1 already up to date, 0 failed"), fixed.out());
    for (long[] h : histories(db, tenants).values()) assertEquals(10, h[0]);
  }
}
