package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Fields;
import dev.muster.orchestrator.lock.SchemaLock;
import dev.muster.orchestrator.projection.Projection;
import dev.muster.orchestrator.projection.SchemaView;
import dev.muster.orchestrator.runner.FlywayRunner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Each schema: state, current and latest available version, pending migrations, who holds its "
        + "lock, how many services wait. Reads only.")
public final class StatusCommand implements Callable<Integer> {
  @Mixin
  Settings settings;

  @Mixin
  SchemaSelection selection;

  @Option(names = "--json", description = "print JSON instead of a table")
  boolean json;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (Database database = Database.open(settings.config())) {
      List<SchemaView> schemas = report(database.config, selection);
      if (json) {
        JsonArray all = new JsonArray();
        schemas.forEach(s -> all.add(s.toJson()));
        out.println(new JsonObject().put(Fields.SCHEMAS, all).encodePrettily());
      } else {
        out.printf("%-24s %-10s %-9s %-9s %-8s %-8s %s%n", "SCHEMA", "STATE", "VERSION", "LATEST", "PENDING", "WAITING",
            "LOCK HOLDER");
        for (SchemaView s : schemas) {
          out.printf("%-24s %-10s %-9s %-9s %-8d %-8d %s%n", s.schema(), s.status().wire(), dash(s.version()),
              dash(s.latestVersion()), s.pending().size(), s.waiting(), dash(s.lockHolder()));
          if (s.error() != null) {
            out.printf("  last run failed at V%s: [%s] %s%n", s.error().version(), s.error().sqlState(),
                s.error().message());
          }
          if (s.drift() != null) out.printf("  drifted from its migration files: %s%n", s.drift());
        }
      }
      return ExitCodes.OK;
    }
  }

  /**
   * Each selected schema's state, as a replica's projection would tell it: the log since each schema's last
   * outcome, who holds its lock now, and what its files and history say.
   */
  static List<SchemaView> report(MusterConfig config, SchemaSelection selection) throws SQLException {
    FlywayRunner runner = new FlywayRunner(config.database(), config.migrations(), false);
    List<String> schemas = selection.resolve(config);
    Projection projection = new Projection();
    try (Connection c = SchemaSelection.connect(config)) {
      EventStore.sinceLastOutcome(c, schemas).forEach(projection::apply);
      Map<String, String> holders = SchemaLock.holders(c, schemas);
      for (String schema : schemas) projection.observeHolder(schema, holders.get(schema));
    }
    List<SchemaView> views = new ArrayList<>();
    for (String schema : schemas) {
      projection.observe(runner.info(schema));
      views.add(projection.view(schema));
    }
    return views;
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }
}
