package dev.muster.bench;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.db.MusterSchema;
import dev.muster.orchestrator.events.EventPruner;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Retention;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A replica's start-up on a long event log (issue 11): {@code java -cp muster-bench.jar dev.muster.bench.LogStart
 * [EVENTS] [SCHEMAS]} (default 1,000,000 events over 200 schemas, a run every 25 events of a schema) on an embedded
 * PostgreSQL of its own, or {@code MUSTER_DATABASE_URL}'s scratch database. In one run: the previous release's
 * start-up read (every outcome, {@code DISTINCT ON}, no index for it) as the baseline, the upgrade to this release's
 * {@code muster} schema (its partial indexes built on the full log), this release's read (a skip scan) and a whole
 * replica's start until it answers {@code /api/v1/schemas}; then a pruning pass and the start after it.
 */
public final class LogStart {
  private static final String PREVIOUS_RELEASE_READ = "SELECT DISTINCT ON (schema_name) (data || jsonb_build_object('seq', seq, 'at', at))::text"
      + " FROM muster.events WHERE type IN ('schema.ready', 'schema.failed') ORDER BY schema_name, seq DESC";

  private LogStart() {}

  public static void main(String[] args) throws Exception {
    long events = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    int schemas = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    String env = System.getenv("MUSTER_DATABASE_URL");
    try (BenchDatabase db = env == null ? BenchDatabase.embedded()
        : BenchDatabase.external(MusterConfig.fromEnvironment(System.getenv()).database())) {
      // Baseline: a replica's start on an empty log, on the same server in the same run.
      db.execute("DROP SCHEMA IF EXISTS muster CASCADE");
      MusterSchema.migrate(db.url());
      System.out.printf(Locale.ROOT, "empty log: replica start, to its first /api/v1/schemas answer: %s%n",
          replicaStarts(db, 3, false));
      // The log as the release before versions left it: its DDL, then the events.
      db.execute("DROP SCHEMA muster CASCADE");
      db.execute("CREATE SCHEMA muster;"
          + " CREATE TABLE muster.event_counter (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), seq bigint NOT NULL);"
          + " CREATE TABLE muster.events (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), type text NOT NULL,"
          + "   schema_name text, data jsonb NOT NULL);"
          + " CREATE INDEX events_by_schema ON muster.events (schema_name, seq);");
      long t0 = System.nanoTime();
      db.execute("INSERT INTO muster.events (seq, at, type, schema_name, data)"
          + " SELECT i, now() - interval '1 second' * (" + events + " - i) / 100, t, s,"
          + "   jsonb_build_object('type', t, 'schema', s, 'service', 'app', 'instance', 'app-' || (i % 97),"
          + "     'version', '3', 'durationMs', 12, 'orchestrator', 'bench-log')"
          + " FROM (SELECT i, 'tenant_' || lpad((i % " + schemas + ")::text, 3, '0') AS s,"
          + "   CASE (i / " + schemas + ") % 25 WHEN 0 THEN 'schema.lock_acquired' WHEN 1 THEN 'migration.started'"
          + "     WHEN 2 THEN 'migration.applied' WHEN 3 THEN 'schema.ready'"
          + "     ELSE CASE WHEN i % 2 = 0 THEN 'service.starting' ELSE 'service.released' END END AS t"
          + "   FROM generate_series(1, " + events + ") i) g;"
          + " INSERT INTO muster.event_counter VALUES (true, " + events + "); ANALYZE muster.events;");
      double insertS = (System.nanoTime() - t0) / 1e9;
      long outcomes = db.queryLong("SELECT count(*) FROM muster.events WHERE type = 'schema.ready'");
      System.out.printf(Locale.ROOT, "log: %,d events over %d schemas, %,d outcomes (inserted in %.1f s)%n", events,
          schemas, outcomes, insertS);

      System.out.printf(Locale.ROOT, "previous release's start-up read (DISTINCT ON, no index for it): %s%n",
          times(db, PREVIOUS_RELEASE_READ));
      t0 = System.nanoTime();
      MusterSchema.migrate(db.url());
      System.out.printf(Locale.ROOT, "upgrade of muster to this release (adopt, V1, V2's partial indexes): %.2f s%n",
          (System.nanoTime() - t0) / 1e9);
      db.execute("ANALYZE muster.events");
      System.out.printf(Locale.ROOT, "previous release's read, with this release's indexes: %s%n", times(db, PREVIOUS_RELEASE_READ));
      System.out.printf(Locale.ROOT, "this release's start-up read (skip scan over events_outcomes): %s; through the"
          + " replica's EventStore: %s%n", times(db, EventStore.LAST_OUTCOMES), timesOfStore(db, 7));
      System.out.printf(Locale.ROOT, "replica start, to its first /api/v1/schemas answer: %s%n", replicaStarts(db, 3, true));

      Vertx vertx = Vertx.vertx();
      try {
        Pool pool = PgBuilder.pool().connectingTo(db.url().connectOptions()).using(vertx).build();
        t0 = System.nanoTime();
        long deleted = new EventPruner(pool, new Retention(null, events / 10)).prune().await();
        System.out.printf(Locale.ROOT, "pruning to %,d events: %,d deleted in %.1f s (%,d batches of %d)%n", events / 10,
            deleted, (System.nanoTime() - t0) / 1e9, (events - events / 10) / EventPruner.BATCH, EventPruner.BATCH);
      } finally {
        vertx.close().await();
      }
      System.out.printf(Locale.ROOT, "after pruning: %,d events left; replica start: %s%n",
          db.queryLong("SELECT count(*) FROM muster.events"), replicaStarts(db, 3, true));
    }
  }

  private static String times(BenchDatabase db, String sql) throws Exception {
    List<Double> ms = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (int i = 0; i < 7; i++) {
        long t0 = System.nanoTime();
        int rows = 0;
        try (ResultSet rs = st.executeQuery(sql)) {
          while (rs.next()) rows++;
        }
        ms.add((System.nanoTime() - t0) / 1e6);
        if (rows == 0) throw new IllegalStateException("no outcomes read");
      }
    }
    return summary(ms);
  }

  private static String timesOfStore(BenchDatabase db, int n) {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = PgBuilder.pool().connectingTo(db.url().connectOptions()).using(vertx).build();
      EventStore store = new EventStore(pool, "bench-log");
      List<Double> ms = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        if (store.lastOutcomes().await().isEmpty()) throw new IllegalStateException("no outcomes read");
        ms.add((System.nanoTime() - t0) / 1e6);
      }
      return summary(ms);
    } finally {
      vertx.close().await();
    }
  }

  private static String replicaStarts(BenchDatabase db, int n, boolean hasLog) throws Exception {
    Path migrations = Files.createTempDirectory("muster-bench-log");
    Files.writeString(migrations.resolve("V1__one.sql"), "SELECT 1;");
    MusterConfig config = MusterConfig.defaults().toBuilder().database(db.url())
        .migrations(List.of("filesystem:" + migrations)).schemas(SchemaNames.parse("tenant_*")).httpPort(0).build();
    HttpClient http = HttpClient.newHttpClient();
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Vertx vertx = Vertx.vertx();
      try {
        long t0 = System.nanoTime();
        Orchestrator o = Orchestrator.start(vertx, config.toBuilder().replicaId("bench-" + i).build(), true).await();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + o.port()
            + "/api/v1/schemas")).build(), HttpResponse.BodyHandlers.ofString());
        ms.add((System.nanoTime() - t0) / 1e6);
        // Each schema of the log is listed, from its latest outcome (none on an empty log).
        if (r.statusCode() != 200 || (hasLog && !r.body().contains("tenant_"))) throw new IllegalStateException(r.body());
        o.stop().await();
      } finally {
        vertx.close().await();
      }
    }
    return summary(ms);
  }

  private static String summary(List<Double> ms) {
    List<Double> sorted = new ArrayList<>(ms);
    sorted.sort(null);
    return String.format(Locale.ROOT, "median %.1f ms (min %.1f, max %.1f, %d runs)", sorted.get(sorted.size() / 2),
        sorted.get(0), sorted.get(sorted.size() - 1), sorted.size());
  }
}
