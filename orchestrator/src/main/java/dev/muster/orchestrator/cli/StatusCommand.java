package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Fields;
import dev.muster.orchestrator.lock.SchemaLock;
import dev.muster.orchestrator.projection.Projection;
import dev.muster.orchestrator.projection.SchemaView;
import dev.muster.orchestrator.runner.FlywayRunner;
import dev.muster.orchestrator.runner.RunSessions;
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
          String held = held(s);
          if (held != null) out.println("  " + held);
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
      List<SchemaView> views = new ArrayList<>();
      for (String schema : schemas) {
        projection.observe(runner.info(schema));
        SchemaView view = projection.view(schema);
        // Only a run under way has a session to show: one look, not one per schema at rest.
        if (view.lockHolder() != null) view = view.withRunBackend(RunSessions.backend(c, schema));
        views.add(view);
      }
      return views;
    }
  }

  /**
   * A run under way, in a line: the lock's age and the run session's state now, then what it waits for —
   * "lock held 41 s; run session pid 2211 active, waiting on Lock:relation; V2 waits for pid 18142 (app-3, …)".
   */
  static String held(SchemaView s) {
    if (s.lockHolder() == null) return null;
    StringBuilder line = new StringBuilder();
    if (s.lockSince() != null) {
      line.append("lock held ").append(java.time.Duration.between(s.lockSince(), java.time.Instant.now()).toSeconds())
          .append(" s");
    }
    SchemaView.RunBackend b = s.runBackend();
    if (b != null) {
      if (line.length() > 0) line.append("; ");
      line.append("run session pid ").append(b.pid()).append(' ').append(b.state());
      if (b.waitEvent() != null) line.append(", waiting on ").append(b.waitEvent());
      if (b.stateAgeMs() != null) line.append(" for ").append(b.stateAgeMs() / 1000).append(" s");
    }
    if (s.blocked() != null && !s.blocked().blockers().isEmpty()) {
      if (line.length() > 0) line.append("; ");
      line.append("V").append(s.blocked().version()).append(" waits for ")
          .append(dev.muster.orchestrator.runner.RunSessions.describe(s.blocked().blockers()))
          .append(" (attempt ").append(s.blocked().attempt()).append(')');
    }
    return line.length() == 0 ? null : line.toString();
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }
}
