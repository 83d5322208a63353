package dev.muster.bench;

import dev.muster.orchestrator.events.EventType;
import dev.muster.client.MigrationFailedException;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenario 3: N services wait; the migration fails (SQLSTATE 23502 after the gate); how long from the
 * {@code schema.failed} event's {@code at} until each waiter's {@code awaitReady()} throws
 * {@link MigrationFailedException}? Issue 5 asks for "within 100 ms"; this measures it, tests never assert speed.
 */
final class FailurePropagation {
  static final String EXPECTED_SQLSTATE = "23502";
  static final double TARGET_MS = 100;

  record Result(int waiters, int replicas, int runs, int failedAsExpected, int expected, Stats fromFailed,
      List<String> surprises) {
    JsonObject json() {
      return new JsonObject().put("waiters", waiters).put("replicas", replicas).put("runs", runs)
          .put("failedAsExpected", failedAsExpected).put("expected", expected).put("fromSchemaFailed", fromFailed.json())
          .put("withinTargetMs", TARGET_MS).put("allWithinTarget", fromFailed.max() <= TARGET_MS)
          .put("surprises", surprises);
    }
  }

  private FailurePropagation() {}

  static List<Result> run(BenchDatabase db, Path work, int replicas, List<Integer> sizes, int repeat, boolean warmup)
      throws Exception {
    MigrationSet set = MigrationSet.failing(work.resolve("failure"));
    List<Result> results = new ArrayList<>();
    try (ReplicaSet r = ReplicaSet.start(replicas, db, set.location, "bench-failure")) {
      if (warmup) {
        Progress.say("failure: warm-up round (10 waiters, not counted)");
        GatedRound.run(db, r, "failure", 10);
      }
      for (int waiters : sizes) results.add(run(db, r, waiters, repeat));
    }
    return results;
  }

  static Result run(BenchDatabase db, ReplicaSet replicas, int waiters, int repeat) throws Exception {
    List<Double> fromFailed = new ArrayList<>();
    List<String> surprises = new ArrayList<>();
    int failed = 0;
    for (int run = 1; run <= repeat; run++) {
      Progress.say("failure: " + waiters + " waiters over " + replicas.size() + " replicas, run " + run + "/" + repeat);
      GatedRound round = GatedRound.run(db, replicas, "failure", waiters);
      Instant failedAt = round.eventAt(db, EventType.SCHEMA_FAILED);
      for (Waiters.Outcome o : round.outcomes) {
        if (o.error() instanceof MigrationFailedException f && EXPECTED_SQLSTATE.equals(f.sqlState())) {
          failed++;
          fromFailed.add(GatedRound.millisBetween(failedAt, o.at()));
        } else if (surprises.size() < 5) {
          surprises.add(o.ready() != null ? "released: " + o.ready() : String.valueOf(o.error()));
        }
      }
    }
    return new Result(waiters, replicas.size(), repeat, failed, waiters * repeat, Stats.of(fromFailed), surprises);
  }

  static void print(List<Result> results, PrintStream out) {
    if (results.isEmpty()) return;
    out.println("## failure propagation: schema.failed → each waiter's MigrationFailedException");
    out.println();
    Table t = new Table("waiters", "replicas", "count", "p50", "p90", "p99", "max", "≤ 100 ms");
    for (Result r : results) {
      t.row(Table.concat(new Object[] {r.waiters, r.replicas}, Table.concat(Table.cells(r.fromFailed),
          r.fromFailed.max() <= TARGET_MS ? "all" : "not all")));
    }
    t.print(out);
    for (Result r : results) {
      if (r.failedAsExpected != r.expected) out.println("UNEXPECTED: " + (r.expected - r.failedAsExpected) + " of "
          + r.expected + " waiters at " + r.waiters + " did not fail with " + EXPECTED_SQLSTATE + ": " + r.surprises);
    }
    out.println();
  }
}
