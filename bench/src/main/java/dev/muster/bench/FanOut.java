package dev.muster.bench;

import dev.muster.orchestrator.events.EventType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenario 1: N services wait for one schema, spread over R replicas; the run ends; how long until each is
 * released (its {@code awaitReady()} returns)?
 *
 * <p>Two reference instants, both on the database server's clock (the same clock as the JVM's when it runs on
 * the same host, as the embedded server does):
 * <ul>
 *   <li><b>from schema.ready</b> — the event's {@code at}: PostgreSQL's {@code clock_timestamp()} at the append
 *   of {@code schema.ready}, right after Flyway returned on the runner's thread. What follows is Muster's
 *   fan-out proper: commit, NOTIFY, every replica's listener, the coordinators, each SSE stream, the SDK.</li>
 *   <li><b>from migration end</b> — {@code clock_timestamp()} in the migration's last statement. Adds what a
 *   service also waits for: the migration's commit, Flyway's history row, the runner's INVALID-index check.</li>
 * </ul>
 * The gate keeps the run from ending before every client's stream is open, so no client is measured while
 * still connecting.
 */
final class FanOut {

  /**
   * @param endToApplied per run: from the migration's last statement to the {@code at} of its
   *                     {@code migration.applied} (appended from Flyway's callback, before the commit)
   * @param appliedToReady per run: from there to the {@code at} of {@code schema.ready} (the commit, Flyway's
   *                     history row, the runner's checks, the hop back to the event loop)
   */
  record Result(int clients, int replicas, int runs, int released, int expected, Stats fromReady,
      Stats fromMigrationEnd, List<Double> slowestPerRun, Stats endToApplied, Stats appliedToReady) {
    JsonObject json() {
      return new JsonObject().put("clients", clients).put("replicas", replicas).put("runs", runs)
          .put("released", released).put("expected", expected)
          .put("fromSchemaReady", fromReady.json()).put("fromMigrationEnd", fromMigrationEnd.json())
          .put("slowestPerRunMs", new JsonArray(slowestPerRun.stream().map(Stats::round).toList()))
          .put("migrationEndToAppliedEvent", endToApplied.json())
          .put("appliedEventToSchemaReady", appliedToReady.json());
    }
  }

  private FanOut() {}

  /** Runs each size {@code repeat} times on one set of replicas. */
  static List<Result> run(BenchDatabase db, Path work, int replicas, List<Integer> sizes, int repeat, boolean warmup)
      throws Exception {
    MigrationSet set = MigrationSet.gated(work.resolve("fan-out"));
    List<Result> results = new ArrayList<>();
    try (ReplicaSet r = ReplicaSet.start(replicas, db, set.location, "bench-fanout")) {
      if (warmup) {
        Progress.say("fan-out: warm-up round (10 clients, not counted)");
        GatedRound.run(db, r, "fanout", 10);
      }
      for (int clients : sizes) results.add(run(db, r, clients, repeat));
    }
    return results;
  }

  static Result run(BenchDatabase db, ReplicaSet replicas, int clients, int repeat) throws Exception {
    List<Double> fromReady = new ArrayList<>();
    List<Double> fromEnd = new ArrayList<>();
    List<Double> slowest = new ArrayList<>();
    List<Double> endToApplied = new ArrayList<>();
    List<Double> appliedToReady = new ArrayList<>();
    int released = 0;
    for (int run = 1; run <= repeat; run++) {
      Progress.say("fan-out: " + clients + " clients over " + replicas.size() + " replicas, run " + run + "/" + repeat);
      GatedRound round = GatedRound.run(db, replicas, "fanout", clients);
      Instant readyAt = round.eventAt(db, EventType.SCHEMA_READY);
      Instant migrationEnd = db.queryInstant("SELECT at FROM " + round.schema + ".bench_marks WHERE what = 'migration_end'");
      Instant appliedAt = db.queryInstant("SELECT at FROM muster.events WHERE schema_name = ?"
          + " AND type = '" + EventType.MIGRATION_APPLIED.wire() + "' AND data->>'version' = '2'", round.schema);
      endToApplied.add(GatedRound.millisBetween(migrationEnd, appliedAt));
      appliedToReady.add(GatedRound.millisBetween(appliedAt, readyAt));
      double runMax = 0;
      for (Waiters.Outcome o : round.outcomes) {
        if (o.ready() == null) {
          Progress.say("fan-out: a client was not released: " + o.error());
          continue;
        }
        released++;
        double ms = GatedRound.millisBetween(readyAt, o.at());
        fromReady.add(ms);
        fromEnd.add(GatedRound.millisBetween(migrationEnd, o.at()));
        runMax = Math.max(runMax, ms);
      }
      slowest.add(runMax);
    }
    return new Result(clients, replicas.size(), repeat, released, clients * repeat, Stats.of(fromReady),
        Stats.of(fromEnd), slowest, Stats.of(endToApplied), Stats.of(appliedToReady));
  }

  static void print(List<Result> results, PrintStream out) {
    if (results.isEmpty()) return;
    out.println("## fan-out: latency to each client's release (awaitReady returns)");
    out.println();
    Table t = new Table("clients", "replicas", "from", "count", "p50", "p90", "p99", "max");
    for (Result r : results) {
      t.row(Table.concat(new Object[] {r.clients, r.replicas, EventType.SCHEMA_READY.wire()}, Table.cells(r.fromReady)));
      t.row(Table.concat(new Object[] {r.clients, r.replicas, "migration end"}, Table.cells(r.fromMigrationEnd)));
    }
    t.print(out);
    out.println();
    out.println("Between the migration's last statement and schema.ready (median of runs):");
    for (Result r : results) {
      out.println("- " + r.clients + " clients: " + Stats.ms(r.endToApplied.p50()) + " until its migration.applied was "
          + "appended, then " + Stats.ms(r.appliedToReady.p50()) + " until schema.ready was");
    }
    for (Result r : results) {
      if (r.released != r.expected) out.println("NOT RELEASED: " + (r.expected - r.released) + " of " + r.expected
          + " clients at " + r.clients);
    }
    out.println();
  }
}
