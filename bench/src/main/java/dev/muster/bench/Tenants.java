package dev.muster.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.flywaydb.core.Flyway;

/**
 * Many tenant schemas, one run against the same PostgreSQL: {@code migrate --all} (in this JVM, as the command
 * runs) against a sequential loop of plain {@code Flyway.migrate()} over as many other schemas with the same
 * files; then each again with nothing to do. A sampler counts this database's client backends throughout (it
 * watches; it is not part of either side) and reports the peak of each side.
 */
final class Tenants {
  record Side(double firstSeconds, double noOpSeconds, long peakBackends, int exit, int noOpExit) {
    JsonObject json() {
      return new JsonObject().put("firstSeconds", firstSeconds).put("noOpSeconds", noOpSeconds)
          .put("peakBackends", peakBackends).put("exit", exit).put("noOpExit", noOpExit);
    }
  }

  record Result(int tenants, int migrations, int parallel, Side muster, Side flyway) {
    JsonObject json() {
      return new JsonObject().put("tenants", tenants).put("migrations", migrations).put("maxParallel", parallel)
          .put("muster", muster.json()).put("flywayLoop", flyway.json());
    }
  }

  private Tenants() {}

  static Result run(BenchDatabase db, Path work, int tenants, int migrations, int parallel) throws Exception {
    Path files = writeMigrations(work.resolve("tenant-migrations"), migrations);
    String location = "filesystem:" + files.toAbsolutePath();
    String musterPrefix = db.newSchema("tm") + "_"; // bench_tm_<run>_1_0001, ...
    String flywayPrefix = db.newSchema("tf") + "_";
    List<String> musterSchemas = create(db, musterPrefix, tenants);
    List<String> flywaySchemas = create(db, flywayPrefix, tenants);
    Progress.say("tenants: " + tenants + " schemas x " + migrations + " migrations, migrate --all, MUSTER_MAX_PARALLEL="
        + parallel);

    String[] args = {"migrate", "--all", "--database-url", db.url().uri(), "--migrations", location,
        "--schemas", musterPrefix + "*", "--max-parallel", String.valueOf(parallel)};
    Sampler sampler = new Sampler(db);
    long t0 = System.nanoTime();
    int exit = muster(args);
    double first = seconds(t0);
    long peak = sampler.peakAndReset();
    Progress.say("tenants: migrate --all " + first + " s, exit " + exit + ", peak backends " + peak);
    t0 = System.nanoTime();
    int noOpExit = muster(args);
    double noOp = seconds(t0);
    peak = Math.max(peak, sampler.peakAndReset());
    Progress.say("tenants: migrate --all again (nothing to do) " + noOp + " s");
    Side muster = new Side(first, noOp, peak, exit, noOpExit);

    t0 = System.nanoTime();
    loop(db, flywaySchemas, location);
    double loopFirst = seconds(t0);
    long loopPeak = sampler.peakAndReset();
    Progress.say("tenants: Flyway loop " + loopFirst + " s");
    t0 = System.nanoTime();
    loop(db, flywaySchemas, location);
    double loopNoOp = seconds(t0);
    loopPeak = Math.max(loopPeak, sampler.peakAndReset());
    sampler.close();
    Progress.say("tenants: Flyway loop again " + loopNoOp + " s");
    Side flyway = new Side(loopFirst, loopNoOp, loopPeak, 0, 0);

    check(db, musterSchemas, migrations);
    check(db, flywaySchemas, migrations);
    drop(db, musterSchemas);
    drop(db, flywaySchemas);
    return new Result(tenants, migrations, parallel, muster, flyway);
  }

  private static int muster(String[] args) {
    StringWriter out = new StringWriter();
    int exit = dev.muster.orchestrator.Main.execute(new PrintWriter(out), new PrintWriter(System.err, true), args);
    String text = out.toString();
    int summary = text.lastIndexOf("migrate --all:");
    Progress.say(summary >= 0 ? text.substring(summary).trim() : text.trim());
    return exit;
  }

  private static void loop(BenchDatabase db, List<String> schemas, String location) {
    for (String schema : schemas) {
      Flyway.configure()
          .dataSource(db.url().jdbcUrl(), db.url().user(), db.url().password())
          .schemas(schema).defaultSchema(schema).locations(location)
          .load().migrate();
    }
  }

  private static Path writeMigrations(Path dir, int count) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("V1__items.sql"),
        "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());");
    for (int v = 2; v <= count; v++) {
      String sql = v % 5 == 0 ? "CREATE INDEX items_c" + (v - 1) + " ON items (c" + (v - 1) + ");"
          : "ALTER TABLE items ADD COLUMN c" + v + " int;";
      Files.writeString(dir.resolve("V" + v + "__step_" + v + ".sql"), sql);
    }
    return dir;
  }

  private static List<String> create(BenchDatabase db, String prefix, int count) {
    List<String> names = new ArrayList<>();
    StringBuilder ddl = new StringBuilder();
    for (int i = 0; i < count; i++) {
      String name = prefix + String.format("%04d", i);
      names.add(name);
      ddl.append("CREATE SCHEMA ").append(name).append(';');
    }
    db.execute(ddl.toString());
    return names;
  }

  private static void drop(BenchDatabase db, List<String> schemas) {
    for (int from = 0; from < schemas.size(); from += 100) {
      StringBuilder ddl = new StringBuilder();
      for (String s : schemas.subList(from, Math.min(schemas.size(), from + 100))) {
        ddl.append("DROP SCHEMA ").append(s).append(" CASCADE;");
      }
      db.execute(ddl.toString());
    }
  }

  /** Every schema has each migration exactly once. */
  private static void check(BenchDatabase db, List<String> schemas, int migrations) {
    StringBuilder sql = new StringBuilder("SELECT count(*) FROM (");
    for (int i = 0; i < schemas.size(); i++) {
      if (i > 0) sql.append(" UNION ALL ");
      sql.append("SELECT count(*) FILTER (WHERE success AND version IS NOT NULL) AS ok, count(DISTINCT version) AS d")
          .append(" FROM ").append(schemas.get(i)).append(".flyway_schema_history");
    }
    sql.append(") h WHERE ok <> ").append(migrations).append(" OR d <> ").append(migrations);
    long wrong = db.queryLong(sql.toString());
    if (wrong != 0) throw new IllegalStateException(wrong + " schema(s) not at " + migrations + " migrations exactly once");
  }

  private static double seconds(long nanos) {
    return Math.round((System.nanoTime() - nanos) / 1e7) / 100.0;
  }

  static void print(Result r, PrintStream out) {
    out.println();
    out.println("### Tenants: " + r.tenants() + " schemas x " + r.migrations() + " migrations (MUSTER_MAX_PARALLEL="
        + r.parallel() + ")");
    out.println();
    Table t = new Table("", "`migrate --all`", "sequential `Flyway.migrate()` loop", "ratio");
    t.row("first pass, s", r.muster().firstSeconds(), r.flyway().firstSeconds(),
        String.format("%.1fx", r.flyway().firstSeconds() / r.muster().firstSeconds()));
    t.row("no-op pass, s", r.muster().noOpSeconds(), r.flyway().noOpSeconds(),
        String.format("%.1fx", r.flyway().noOpSeconds() / r.muster().noOpSeconds()));
    t.row("peak client backends", r.muster().peakBackends(), r.flyway().peakBackends(), "");
    t.print(out);
  }

  /** Counts this database's client backends every 10 ms, on a connection of its own (not counted). */
  private static final class Sampler implements AutoCloseable {
    private final AtomicLong peak = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Sampler(BenchDatabase db) throws SQLException {
      Connection c = db.connect();
      thread = new Thread(() -> {
        try (c; Statement st = c.createStatement()) {
          while (!stop.get()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")) {
              rs.next();
              peak.accumulateAndGet(rs.getLong(1), Math::max);
            }
            Thread.sleep(10);
          }
        } catch (Exception e) {
          if (!stop.get()) System.err.println("bench: backend sampler stopped: " + e.getMessage());
        }
      }, "backend-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    long peakAndReset() {
      return peak.getAndSet(0);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(5_000);
    }
  }
}
