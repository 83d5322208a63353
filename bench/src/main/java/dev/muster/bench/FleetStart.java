package dev.muster.bench;

import dev.muster.orchestrator.events.EventType;
import dev.muster.client.MusterClient;
import dev.muster.orchestrator.config.DatabaseUrl;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;

/**
 * Scenario 2: K service instances start at the same instant against a schema that has never been migrated.
 * <ul>
 *   <li><b>muster</b>: each waits through the SDK (replicas already running, as in a real deploy); the
 *   orchestrator migrates once. Time until each instance is released.</li>
 *   <li><b>flyway</b> (the status quo): each runs {@code Flyway.migrate()} itself at start. One wins Flyway's
 *   lock and migrates; the others retry the lock every second, then find nothing to do. Time until each
 *   {@code migrate()} returns.</li>
 * </ul>
 * Both on threads of this process, from one start latch: processes would add a JVM start per instance
 * (seconds on two cores), the same for both modes, and blur what differs — the coordination. Each instance has
 * its own SDK client or its own Flyway with its own connections, as it would in its own process. The
 * baseline sets {@code flyway.postgresql.transactional.lock=false}, as Muster's runner does: with the
 * default transaction-level lock a {@code CREATE INDEX CONCURRENTLY} migration waits for ever on Flyway's own
 * lock transaction (flyway#3497), so a team with such a migration must set it too.
 */
final class FleetStart {
  static final Duration TIMEOUT = Duration.ofMinutes(5);

  /** One mode's figures: each instance's time from the common start, and each run's slowest (the fleet's). */
  record Mode(String name, Stats instances, List<Double> fleetReadyPerRun, int succeeded, int expected,
      List<String> errors) {
    double medianFleetReady() {
      return Stats.of(fleetReadyPerRun).p50();
    }

    JsonObject json() {
      return new JsonObject().put("mode", name).put("instances", instances.json())
          .put("fleetReadyPerRunMs", new JsonArray(fleetReadyPerRun.stream().map(Stats::round).toList()))
          .put("succeeded", succeeded).put("expected", expected).put("errors", errors);
    }
  }

  /** @param musterRunMs per run: the orchestrator's run itself, lock to outcome ({@code schema.ready}'s durationMs) */
  record Result(int instances, int replicas, int runs, int migrations, String set, Mode muster, Mode flyway,
      List<Double> musterRunMs) {
    /** How many times longer the fleet waits for plain Flyway than for Muster (medians of the runs' slowest). */
    double ratio() {
      return flyway.medianFleetReady() / muster.medianFleetReady();
    }

    JsonObject json() {
      return new JsonObject().put("instances", instances).put("replicas", replicas).put("runs", runs)
          .put("migrations", migrations).put("migrationSet", set).put("muster", muster.json())
          .put("flyway", flyway.json()).put("ratio", Stats.round(ratio()))
          .put("musterRunPerRunMs", new JsonArray(musterRunMs.stream().map(Stats::round).toList()));
    }
  }

  private FleetStart() {}

  static Result run(BenchDatabase db, Path work, int replicas, int instances, int repeat, boolean warmup,
      String locationOverride) throws Exception {
    MigrationSet set = locationOverride != null ? null : MigrationSet.realistic(work.resolve("fleet"));
    String location = locationOverride != null ? locationOverride : set.location;
    String description = locationOverride != null ? locationOverride : set.description;
    Runs muster = new Runs("muster", instances);
    Runs flyway = new Runs("flyway", instances);
    int migrations = -1;
    List<Double> runMs = new ArrayList<>();
    try (ReplicaSet r = ReplicaSet.start(replicas, db, location, "bench-fleet")) {
      if (warmup) {
        Progress.say("fleet: warm-up round of each mode (2 instances, not counted)");
        musterRound(db, r, 2);
        flywayRound(db, location, 2);
      }
      for (int run = 1; run <= repeat; run++) {
        // Alternate the order, so that neither mode always runs on a warmer (or more tired) machine.
        for (boolean musterFirst : run % 2 == 1 ? new boolean[] {true, false} : new boolean[] {false, true}) {
          Progress.say("fleet: " + instances + " instances, " + (musterFirst ? "muster" : "plain flyway") + ", run "
              + run + "/" + repeat);
          Round round = musterFirst ? musterRound(db, r, instances) : flywayRound(db, location, instances);
          (musterFirst ? muster : flyway).add(round);
          if (musterFirst) {
            runMs.add((double) db.queryLong("SELECT coalesce(max((data->>'durationMs')::bigint), -1) FROM muster.events"
                + " WHERE schema_name = ? AND type = '" + EventType.SCHEMA_READY.wire() + "'", round.schema));
          }
          int applied = round.verify(db);
          if (migrations < 0) migrations = applied;
          else if (applied != migrations) {
            (musterFirst ? muster : flyway).errors.add("applied " + applied + " migrations, the other mode " + migrations);
          }
        }
      }
    }
    return new Result(instances, replicas, repeat, migrations, description, muster.mode(), flyway.mode(), runMs);
  }

  /** Every instance waits through the SDK. */
  static Round musterRound(BenchDatabase db, ReplicaSet replicas, int instances) throws Exception {
    String schema = db.newSchema("fleet");
    String[] services = {"app", "worker", "beat"};
    List<Callable<Object>> starts = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      String service = services[i % services.length];
      MusterClient client = MusterClient.builder()
          .url(replicas.urlsFrom(i))
          .service(service)
          .instance(service + "-" + (i + 1))
          .schema(schema)
          .timeout(TIMEOUT)
          .build();
      starts.add(client::awaitReady);
    }
    return Round.together(schema, starts);
  }

  /** Every instance runs Flyway itself, as teams do today. */
  static Round flywayRound(BenchDatabase db, String location, int instances) throws Exception {
    String schema = db.newSchema("flyway");
    DatabaseUrl url = db.url();
    List<Callable<Object>> starts = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      Flyway flyway = Flyway.configure()
          .configuration(Map.of("flyway.postgresql.transactional.lock", "false")) // first: it replaces the rest
          .dataSource(url.jdbcUrl(), url.user(), url.password())
          .schemas(schema)
          .defaultSchema(schema)
          .locations(location)
          .load();
      starts.add(flyway::migrate);
    }
    return Round.together(schema, starts);
  }

  /** One round: K starts released by one latch; each one's time from the release. */
  static final class Round {
    final String schema;
    final List<Double> millis = new ArrayList<>();
    final List<String> errors = new ArrayList<>();

    private Round(String schema) {
      this.schema = schema;
    }

    static Round together(String schema, List<Callable<Object>> starts) throws InterruptedException {
      Round round = new Round(schema);
      ExecutorService threads = Executors.newFixedThreadPool(starts.size());
      try {
        CountDownLatch ready = new CountDownLatch(starts.size());
        CountDownLatch go = new CountDownLatch(1);
        long[] startNanos = new long[1];
        List<Future<Long>> ends = new ArrayList<>();
        for (Callable<Object> start : starts) {
          ends.add(threads.submit(() -> {
            ready.countDown();
            go.await();
            start.call();
            return System.nanoTime();
          }));
        }
        ready.await();
        Thread.sleep(20); // let every thread reach go.await()
        startNanos[0] = System.nanoTime();
        go.countDown();
        for (Future<Long> end : ends) {
          try {
            round.millis.add((end.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) - startNanos[0]) / 1e6);
          } catch (ExecutionException e) {
            round.errors.add(String.valueOf(e.getCause()));
          } catch (java.util.concurrent.TimeoutException e) {
            round.errors.add("did not finish within " + TIMEOUT.toMinutes() + " min");
          }
        }
      } finally {
        threads.shutdownNow();
      }
      return round;
    }

    /** Each migration applied once, and successfully; returns how many there are. */
    int verify(BenchDatabase db) {
      long total = db.queryLong("SELECT count(*) FROM " + schema + ".flyway_schema_history WHERE version IS NOT NULL");
      long distinct = db.queryLong("SELECT count(DISTINCT version) FROM " + schema
          + ".flyway_schema_history WHERE version IS NOT NULL AND success");
      if (total != distinct) errors.add(total + " history rows for " + distinct + " migrations in " + schema);
      return (int) distinct;
    }
  }

  /** A mode's rounds together. */
  private static final class Runs {
    final String name;
    final int instances;
    final List<Double> millis = new ArrayList<>();
    final List<Double> fleetReady = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    int expected;

    Runs(String name, int instances) {
      this.name = name;
      this.instances = instances;
    }

    void add(Round round) {
      millis.addAll(round.millis);
      expected += instances;
      if (round.errors.isEmpty() && !round.millis.isEmpty()) {
        fleetReady.add(round.millis.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
      }
      round.errors.stream().limit(5).forEach(errors::add);
    }

    Mode mode() {
      return new Mode(name, Stats.of(millis), fleetReady, millis.size(), expected, errors);
    }
  }

  static void print(Result r, PrintStream out) {
    if (r == null) return;
    out.println("## fleet start: " + r.instances + " instances at the same instant, " + r.migrations + " migrations ("
        + r.set + "), fresh schema");
    out.println();
    Table t = new Table("mode", "count", "p50", "p90", "p99", "max", "fleet ready (median of runs)");
    t.row(Table.concat(new Object[] {"muster (" + r.replicas + " replicas)"}, Table.concat(Table.cells(r.muster.instances),
        Stats.ms(r.muster.medianFleetReady()))));
    t.row(Table.concat(new Object[] {"flyway in each instance"}, Table.concat(Table.cells(r.flyway.instances),
        Stats.ms(r.flyway.medianFleetReady()))));
    t.print(out);
    out.println();
    out.println(String.format(Locale.ROOT, "ratio (flyway / muster, fleet ready): %.2f×", r.ratio()));
    out.println("Muster's run itself, lock to schema.ready (median of runs): " + Stats.ms(Stats.of(r.musterRunMs).p50()));
    for (Mode m : List.of(r.muster, r.flyway)) {
      if (m.succeeded != m.expected || !m.errors.isEmpty()) {
        out.println("PROBLEMS in " + m.name + ": " + (m.expected - m.succeeded) + " of " + m.expected
            + " instances did not start; " + m.errors);
      }
    }
    out.println();
  }
}
