package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.events.Fields;
import dev.muster.orchestrator.projection.SchemaView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Pending migrations per schema. Nothing is applied.")
public final class PlanCommand implements Callable<Integer> {
  @Mixin
  Settings settings;

  @Mixin
  SchemaSelection selection;

  @Option(names = "--json", description = "print JSON instead of text")
  boolean json;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (Database database = Database.open(settings.config())) {
      List<SchemaView> schemas = StatusCommand.report(database.config, selection);
      if (json) {
        JsonArray plan = new JsonArray();
        for (SchemaView s : schemas) {
          JsonObject view = s.toJson();
          plan.add(new JsonObject().put(Fields.SCHEMA, s.schema()).put(Fields.VERSION, s.version())
              .put(Fields.PENDING, view.getJsonArray(Fields.PENDING)));
        }
        out.println(new JsonObject().put(Fields.SCHEMAS, plan).encodePrettily());
        return ExitCodes.OK;
      }
      for (SchemaView s : schemas) {
        String at = s.version() == null ? "no version" : "version " + s.version();
        out.println(s.schema() + " (at " + at + "): " + (s.pending().isEmpty() ? "up to date" : s.pending().size() + " pending"));
        s.pending().forEach(m -> out.println("  V" + m.version() + "  " + m.description() + "  (" + m.script() + ")"));
      }
      return ExitCodes.OK;
    }
  }
}
