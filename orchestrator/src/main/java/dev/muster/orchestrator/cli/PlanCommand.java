package dev.muster.orchestrator.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
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
      JsonArray schemas = StatusCommand.report(database.config, selection);
      if (json) {
        JsonArray plan = new JsonArray();
        schemas.forEach(o -> {
          JsonObject s = (JsonObject) o;
          plan.add(new JsonObject().put("schema", s.getString("schema")).put("version", s.getString("version"))
              .put("pending", s.getJsonArray("pending")));
        });
        out.println(new JsonObject().put("schemas", plan).encodePrettily());
        return ExitCodes.OK;
      }
      for (Object o : schemas) {
        JsonObject s = (JsonObject) o;
        JsonArray pending = s.getJsonArray("pending");
        String at = s.getString("version") == null ? "no version" : "version " + s.getString("version");
        out.println(s.getString("schema") + " (at " + at + "): "
            + (pending.isEmpty() ? "up to date" : pending.size() + " pending"));
        pending.forEach(m -> {
          JsonObject migration = (JsonObject) m;
          out.println("  V" + migration.getString("version") + "  " + migration.getString("description")
              + "  (" + migration.getString("script") + ")");
        });
      }
      return ExitCodes.OK;
    }
  }
}
