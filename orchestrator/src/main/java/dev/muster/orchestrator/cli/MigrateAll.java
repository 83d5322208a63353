package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.db.Bootstrap;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.tenants.BulkMigration;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * {@code migrate --all}: {@link BulkMigration} for the schemas that are behind, then — for the few whose lock
 * another replica holds, or that need a repair first — the coordinator's path, which joins the run under way.
 * One line per schema that ran, failed or was held back, then a summary; exit 3 when any failed or was held back.
 */
final class MigrateAll {
  private final MusterConfig config;
  private final PrintWriter out;
  private final PrintWriter err;

  private final boolean toConsole;

  /** @param toConsole whether {@code out} is the process's standard output (a bar is drawn only on a terminal) */
  MigrateAll(MusterConfig config, PrintWriter out, PrintWriter err, boolean toConsole) {
    this.config = config;
    this.out = out;
    this.err = err;
    this.toConsole = toConsole;
  }

  int run(List<String> schemas, BulkMigration.Options options, Duration timeout) throws Exception {
    long started = System.nanoTime();
    bootstrap();
    Map<BulkMigration.Kind, Integer> counts = new EnumMap<>(BulkMigration.Kind.class);
    List<String> joined = new ArrayList<>();
    int exit = ExitCodes.OK;
    Progress progress = Progress.create(out, toConsole);
    List<BulkMigration.Result> results;
    try (BulkMigration bulk = new BulkMigration(config, options.parallel())) {
      results = bulk.run(schemas, options, new BulkMigration.Listener() {
        @Override
        public void planned(int total, int behind) {
          progress.planned(total, behind);
        }

        @Override
        public void finished(BulkMigration.Result r) {
          if (r.kind() == BulkMigration.Kind.UP_TO_DATE) return; // counted, not listed
          progress.finished(r, line(r, options));
        }
      });
    } finally {
      progress.close();
    }
    for (BulkMigration.Result r : results) {
      counts.merge(r.kind(), 1, Integer::sum);
      if (r.kind() == BulkMigration.Kind.BUSY || r.kind() == BulkMigration.Kind.REPAIR) joined.add(r.schema());
      if (r.kind() == BulkMigration.Kind.FAILED || r.kind() == BulkMigration.Kind.SKIPPED) {
        exit = ExitCodes.MIGRATION_FAILED;
      }
    }
    int joinedFailed = 0;
    if (!joined.isEmpty()) {
      Vertx vertx = Vertx.vertx();
      try {
        Orchestrator orchestrator = Orchestrator.start(vertx, config, false).await();
        List<Future<Event>> outcomes = new ArrayList<>();
        for (String schema : joined) outcomes.add(orchestrator.migrate(schema, timeout));
        for (int i = 0; i < joined.size(); i++) {
          Event outcome = outcomes.get(i).await();
          out.println(MigrateCommand.describe(joined.get(i), outcome));
          int code = MigrateCommand.exitCode(outcome);
          if (code != ExitCodes.OK) joinedFailed++;
          exit = Math.max(exit, code);
        }
        orchestrator.stop().await();
      } finally {
        vertx.close().await();
      }
    }
    out.printf("migrate --all: %d schema(s): %d migrated, %d already up to date, %d failed, %d not started, "
            + "%d joined another replica's run (%d of them not ready) in %.1f s%n", schemas.size(),
        counts.getOrDefault(BulkMigration.Kind.MIGRATED, 0), counts.getOrDefault(BulkMigration.Kind.UP_TO_DATE, 0),
        counts.getOrDefault(BulkMigration.Kind.FAILED, 0), counts.getOrDefault(BulkMigration.Kind.SKIPPED, 0),
        joined.size(), joinedFailed, (System.nanoTime() - started) / 1e9);
    out.flush();
    return exit;
  }

  static String line(BulkMigration.Result r, BulkMigration.Options options) {
    return switch (r.kind()) {
      case MIGRATED -> r.schema() + ": ready at " + (r.version() == null ? "no version (no migrations)"
          : "version " + r.version()) + " (" + r.executed() + " applied)";
      case UP_TO_DATE -> r.schema() + ": ready at version " + r.version() + " (nothing to do)";
      case FAILED -> r.schema() + ": FAILED at V" + r.failedVersion() + " [" + r.error().sqlState() + "] "
          + r.error().message();
      case SKIPPED -> r.schema() + ": not started (" + (options.maxFailures() > 0 ? "a canary failed or "
          + options.maxFailures() + " failure(s) reached" : "a canary failed") + ")";
      case BUSY -> r.schema() + ": held by another replica's run: joining it";
      case REPAIR -> r.schema() + ": an interrupted index build to drop first: running it the coordinator's way";
    };
  }

  /** Muster's own objects at their version (created, upgraded, or a newer one refused), before the first event. */
  private void bootstrap() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Bootstrap.run(vertx, config.database()).await();
    } finally {
      vertx.close().await();
    }
  }

}
