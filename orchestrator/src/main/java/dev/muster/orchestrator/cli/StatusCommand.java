package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.lock.LockKeys;
import dev.muster.orchestrator.lock.SchemaLock;
import dev.muster.orchestrator.runner.FlywayRunner;
import dev.muster.orchestrator.runner.SchemaInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
  /** Services whose latest arrival has no release, give-up or outcome after it. */
  private static final String WAITING = "SELECT count(*) FROM muster.events s"
      + " WHERE s.schema_name = ? AND s.type = 'service.starting'"
      + " AND s.seq > coalesce((SELECT max(seq) FROM muster.events WHERE schema_name = s.schema_name"
      + "   AND type IN ('schema.ready', 'schema.failed')), 0)"
      + " AND NOT EXISTS (SELECT 1 FROM muster.events x WHERE x.schema_name = s.schema_name AND x.seq > s.seq"
      + "   AND x.type IN ('service.released', 'service.gave_up')"
      + "   AND x.data->>'service' = s.data->>'service' AND x.data->>'instance' = s.data->>'instance')";
  private static final String LAST_OUTCOME = "SELECT type, data FROM muster.events"
      + " WHERE schema_name = ? AND type IN ('schema.ready', 'schema.failed') ORDER BY seq DESC LIMIT 1";
  private static final String HOLDER = "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
      + " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 2"
      + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

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
      JsonArray schemas = report(database.config, selection);
      if (json) {
        out.println(new JsonObject().put("schemas", schemas).encodePrettily());
      } else {
        out.printf("%-24s %-10s %-9s %-9s %-8s %-8s %s%n", "SCHEMA", "STATE", "VERSION", "LATEST", "PENDING", "WAITING",
            "LOCK HOLDER");
        for (Object o : schemas) {
          JsonObject s = (JsonObject) o;
          out.printf("%-24s %-10s %-9s %-9s %-8d %-8d %s%n", s.getString("schema"), s.getString("state"),
              dash(s.getString("version")), dash(s.getString("latestVersion")), s.getJsonArray("pending").size(),
              s.getLong("waiting"), dash(s.getString("lockHolder")));
          JsonObject error = s.getJsonObject("error");
          if (error != null) {
            out.printf("  last run failed at V%s: [%s] %s%n", error.getString("version"), error.getString("sqlState"),
                error.getString("message"));
          }
        }
      }
      return ExitCodes.OK;
    }
  }

  static JsonArray report(MusterConfig config, SchemaSelection selection) throws SQLException {
    FlywayRunner runner = new FlywayRunner(config.database(), config.migrations(), false);
    JsonArray all = new JsonArray();
    try (Connection c = SchemaSelection.connect(config)) {
      boolean logged = exists(c, "muster.events");
      for (String schema : selection.resolve(config)) {
        SchemaInfo info = runner.info(schema);
        JsonArray pending = new JsonArray();
        info.pending().forEach(m -> pending.add(new JsonObject().put("version", m.version())
            .put("description", m.description()).put("script", m.script())));
        String holder = holder(c, schema);
        JsonObject lastOutcome = logged ? lastOutcome(c, schema) : null;
        boolean failed = lastOutcome != null && "schema.failed".equals(lastOutcome.getString("type")) && !info.upToDate();
        String state = holder != null ? "migrating" : failed ? "failed" : info.upToDate() ? "ready" : "pending";
        JsonObject error = null;
        if (failed) {
          JsonObject data = lastOutcome.getJsonObject("data");
          error = data.getJsonObject("error", new JsonObject()).copy().put("version", data.getString("version"))
              .put("description", data.getString("description"));
        }
        all.add(new JsonObject().put("schema", schema).put("state", state).put("version", info.current())
            .put("latestVersion", info.latest()).put("pending", pending).put("lockHolder", holder)
            .put("waiting", logged ? waiting(c, schema) : 0).put("error", error));
      }
    }
    return all;
  }

  private static String holder(Connection c, String schema) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(HOLDER)) {
      st.setLong(1, Integer.toUnsignedLong(LockKeys.NAMESPACE));
      st.setLong(2, Integer.toUnsignedLong(LockKeys.forSchema(schema)));
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) return null;
        String name = rs.getString(1);
        String prefix = SchemaLock.applicationName("");
        return name != null && name.startsWith(prefix) ? name.substring(prefix.length()) : "session " + name;
      }
    }
  }

  private static long waiting(Connection c, String schema) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(WAITING)) {
      st.setString(1, schema);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static JsonObject lastOutcome(Connection c, String schema) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(LAST_OUTCOME)) {
      st.setString(1, schema);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? new JsonObject().put("type", rs.getString(1)).put("data", new JsonObject(rs.getString(2))) : null;
      }
    }
  }

  private static boolean exists(Connection c, String table) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      st.setString(1, table);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }
}
