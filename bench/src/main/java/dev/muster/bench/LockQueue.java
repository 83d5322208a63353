package dev.muster.bench;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.runner.FlywayRunner;
import dev.muster.orchestrator.runner.LockSafety;
import dev.muster.orchestrator.runner.Runner;
import dev.muster.orchestrator.events.Payload;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scenario lock-queue (issue 14): an application transaction holds ACCESS SHARE on {@code t} for N seconds while
 * {@code ALTER TABLE t ADD COLUMN c int} arrives; a reader selects from {@code t} every 50 ms, each read with a 5 s
 * {@code statement_timeout}. Run twice in the same process on the same database: Flyway as it is (lock safety
 * off, the baseline), then with Muster's defaults (docs/lock-safety.md).
 */
final class LockQueue {
  static final long READ_EVERY_MS = 50;

  record Result(String mode, int reads, int readsFailed, Stats served, long doneAfterBlockerMs, int attempts) {
    JsonObject json() {
      return new JsonObject().put("mode", mode).put("reads", reads).put("readsFailed", readsFailed)
          .put("served", served.json()).put("doneAfterBlockerEndedMs", doneAfterBlockerMs).put("attempts", attempts);
    }
  }

  private LockQueue() {}

  static List<Result> run(BenchDatabase db, Path work, int holdSeconds) throws Exception {
    List<Result> results = new ArrayList<>();
    results.add(run(db, work, holdSeconds, "off (Flyway as it is)", s -> LockSafety.OFF));
    MusterConfig defaults = MusterConfig.defaults();
    results.add(run(db, work, holdSeconds, "on (Muster's defaults)", LockSafety.from(defaults)));
    return results;
  }

  private static Result run(BenchDatabase db, Path work, int holdSeconds, String mode,
      java.util.function.Function<String, LockSafety> safety) throws Exception {
    Progress.say("lock-queue: " + mode + ", the blocker holds " + holdSeconds + " s");
    String schema = db.newSchema("lock");
    Path dir = Files.createDirectories(work.resolve(schema));
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id bigserial PRIMARY KEY, n int);\n"
        + "INSERT INTO t (n) SELECT g FROM generate_series(1, 100) g;");
    FlywayRunner runner = new FlywayRunner(db.url(), List.of("filesystem:" + dir), false, safety);
    AtomicInteger attempts = new AtomicInteger(1);
    Runner.Progress progress = new Runner.Progress() {
      @Override
      public void started(String version, String description) {}

      @Override
      public void applied(Connection migration, String version, String description, long durationMs,
          boolean indexesValid) {}

      @Override
      public void retrying(Payload.MigrationRetrying retrying) {
        attempts.incrementAndGet();
      }
    };
    runner.migrate(schema, progress);
    Files.writeString(dir.resolve("V2__add_column.sql"), "ALTER TABLE t ADD COLUMN c int;");
    attempts.set(1);
    List<Double> served = new CopyOnWriteArrayList<>();
    AtomicInteger failed = new AtomicInteger();
    AtomicBoolean reading = new AtomicBoolean(true);
    try (Connection app = db.connect(); Connection reader = db.connect()) {
      app.setAutoCommit(false);
      try (Statement st = app.createStatement()) {
        st.executeQuery("SELECT count(*) FROM " + schema + ".t").close();
      }
      Thread readers = new Thread(() -> read(reader, schema, reading, served, failed), "lock-queue-reader");
      readers.start();
      CompletableFuture<Void> migration = CompletableFuture.runAsync(() -> {
        try {
          runner.migrate(schema, progress);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(holdSeconds * 1000L);
      app.commit();
      long endedAt = System.nanoTime();
      migration.get();
      long doneAfter = (System.nanoTime() - endedAt) / 1_000_000;
      reading.set(false);
      readers.join();
      return new Result(mode, served.size() + failed.get(), failed.get(), Stats.of(served), doneAfter, attempts.get());
    }
  }

  private static void read(Connection reader, String schema, AtomicBoolean reading, List<Double> served,
      AtomicInteger failed) {
    try (Statement st = reader.createStatement()) {
      st.execute("SET statement_timeout = '5s'");
      while (reading.get()) {
        long t0 = System.nanoTime();
        try {
          st.executeQuery("SELECT count(*) FROM " + schema + ".t").close();
          served.add((System.nanoTime() - t0) / 1e6);
        } catch (SQLException timedOut) {
          failed.incrementAndGet();
        }
        Thread.sleep(READ_EVERY_MS);
      }
    } catch (SQLException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonArray json(List<Result> results) {
    return new JsonArray(results.stream().map(Result::json).toList());
  }

  static void print(List<Result> results, PrintStream out) {
    out.println();
    out.println("## Lock queue: readers of t while ALTER TABLE t waits behind an open transaction");
    Table table = new Table("lock safety", "reads", "timed out (5 s)", "served", "p50", "p90", "p99", "max",
        "done after blocker ended", "attempts");
    for (Result r : results) {
      table.row(Table.concat(new Object[] {r.mode(), r.reads(), r.readsFailed()}, Table.concat(Table.cells(r.served()),
          r.doneAfterBlockerMs() + " ms", r.attempts())));
    }
    table.print(out);
  }
}
