package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.coordinator.ArrivalRefused;
import dev.muster.orchestrator.config.MusterConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.tenants.BulkMigration;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Migrate schemas once, as a deploy step, under the same per-schema locks as serve: safe while "
        + "serve runs elsewhere (a run under way there is joined, not repeated).",
        "With --all: only the schemas that are behind run, MUSTER_MAX_PARALLEL at a time; canaries first; a failure "
            + "stops only its schema; a second run after an interruption does what is left; a summary at the end.",
        "Exit 0 when every schema is ready, 3 when a migration failed or a schema has drifted from its files, 4 on timeout,"
            + " 2 on bad usage."})
public final class MigrateCommand implements Callable<Integer> {
  @Mixin
  Settings settings;

  @Mixin
  SchemaSelection selection;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3600",
      description = "how long to wait for each schema (default ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Option(names = "--canary", paramLabel = "N|S[,S...]", description = "with --all: run these schemas first, alone "
      + "(a number: the first N that are behind; or names); when one fails, no other schema starts")
  String canary;

  @Option(names = "--wave", paramLabel = "N", defaultValue = "0", description = "with --all: after the canaries, "
      + "start the schemas N at a time, each wave once the one before has ended (default: one wave)")
  int wave;

  @Option(names = "--max-failures", paramLabel = "N", defaultValue = "0", description = "with --all: start no "
      + "further schema once N have failed (default: no limit; a failure stops only its own schema)")
  int maxFailures;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (timeoutSeconds < 1) throw new IllegalArgumentException("--timeout must be at least 1 second");
    PrintWriter out = spec.commandLine().getOut();
    try (Database database = Database.open(settings.config())) {
      MusterConfig config = database.config;
      List<String> schemas = selection.resolve(config);
      for (String schema : schemas) {
        if (config.runners().delegated(schema)) {
          throw new IllegalArgumentException("schema " + schema + " is delegated (MUSTER_RUNNER=" + config.runners()
              + "): its services migrate it with their own tool (muster-wait --migrate-with, the clients' migrate "
              + "callbacks); migrate runs Flyway only");
        }
      }
      if (selection.all) return new MigrateAll(config, out, spec.commandLine().getErr()).run(schemas, options(),
          Duration.ofSeconds(timeoutSeconds));
      if (canary != null || wave != 0 || maxFailures != 0) {
        throw new IllegalArgumentException("--canary, --wave and --max-failures go with --all");
      }
      Vertx vertx = Vertx.vertx();
      try {
        Orchestrator orchestrator = Orchestrator.start(vertx, config, false).await();
        List<Future<Event>> outcomes = new ArrayList<>();
        for (String schema : schemas) outcomes.add(orchestrator.migrate(schema, Duration.ofSeconds(timeoutSeconds)));
        int exit = ExitCodes.OK;
        for (int i = 0; i < schemas.size(); i++) {
          Event outcome;
          try {
            outcome = outcomes.get(i).await();
          } catch (ArrivalRefused refused) {
            // A drifted schema is never ready: it is refused before any run.
            out.println(schemas.get(i) + ": " + (refused.reason() == ArrivalRefused.Reason.DRIFTED ? "DRIFTED: " : "REFUSED: ")
                + refused.getMessage());
            exit = Math.max(exit, ExitCodes.MIGRATION_FAILED);
            continue;
          }
          out.println(describe(schemas.get(i), outcome));
          exit = Math.max(exit, exitCode(outcome));
        }
        orchestrator.stop().await();
        return exit;
      } finally {
        vertx.close().await();
      }
    }
  }

  private BulkMigration.Options options() {
    if (wave < 0 || maxFailures < 0) throw new IllegalArgumentException("--wave and --max-failures must be >= 0");
    List<String> named = new ArrayList<>();
    int count = 0;
    if (canary != null) {
      if (canary.matches("[0-9]+")) {
        count = Integer.parseInt(canary);
      } else {
        for (String name : canary.split(",")) {
          String rejection = settingsRejection(name.trim());
          if (rejection != null) throw new IllegalArgumentException("--canary: " + rejection);
          named.add(name.trim());
        }
      }
    }
    return new BulkMigration.Options(settings.config().maxParallel(), named, count, wave, maxFailures);
  }

  private String settingsRejection(String name) {
    return settings.config().schemas().rejection(name);
  }

  static String describe(String schema, Event outcome) {
    Payload p = outcome.payload();
    if (p instanceof Payload.SchemaFailed failed) {
      if (failed.version() == null) return schema + ": FAILED: " + failed.error().message();
      return schema + ": FAILED at V" + failed.version() + " " + (failed.description() == null ? "" : failed.description())
          + " [" + failed.error().sqlState() + "] " + failed.error().message();
    }
    if (p instanceof Payload.ServiceGaveUp gaveUp) {
      return schema + ": gave up waiting after " + gaveUp.durationMs() + " ms";
    }
    String version = p instanceof Payload.SchemaReady ready ? ready.version() : ((Payload.ServiceReleased) p).version();
    return schema + ": ready at " + (version == null ? "no version (no migrations)" : "version " + version);
  }

  static int exitCode(Event outcome) {
    if (outcome.type() == EventType.SCHEMA_FAILED) return ExitCodes.MIGRATION_FAILED;
    if (outcome.type() == EventType.SERVICE_GAVE_UP) return ExitCodes.TIMED_OUT;
    return ExitCodes.OK;
  }
}
