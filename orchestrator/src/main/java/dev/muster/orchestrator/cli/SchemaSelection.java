package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.MusterConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/** {@code [--schema S]... [--all]}: which schemas a one-shot command works on. */
public final class SchemaSelection {
  @Option(names = "--schema", paramLabel = "S", description = "a schema to work on; repeatable "
      + "(default: the names in MUSTER_SCHEMAS without wildcards)")
  List<String> named = new ArrayList<>();

  @Option(names = "--all", description = "every existing schema that matches MUSTER_SCHEMAS, and every literal name in it")
  boolean all;

  /** The schemas, each allowed by the configuration; throws {@link IllegalArgumentException} naming a bad one. */
  List<String> resolve(MusterConfig config) throws SQLException {
    Set<String> schemas = new LinkedHashSet<>();
    for (String name : named) {
      String rejection = config.schemas().rejection(name);
      if (rejection != null) throw new IllegalArgumentException(rejection);
      schemas.add(name);
    }
    if (all || named.isEmpty()) schemas.addAll(config.schemas().literals());
    if (all) schemas.addAll(existingMatching(config));
    return List.copyOf(schemas);
  }

  /**
   * For {@code status}: as {@link #resolve}, but without {@code --schema} every existing schema that matches too
   * (patterns included), as with {@code --all}.
   */
  List<String> resolveForStatus(MusterConfig config) throws SQLException {
    if (!named.isEmpty() || all) return resolve(config);
    Set<String> schemas = new LinkedHashSet<>(config.schemas().literals());
    schemas.addAll(existingMatching(config));
    return List.copyOf(schemas);
  }

  private static List<String> existingMatching(MusterConfig config) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Connection c = connect(config); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT nspname FROM pg_namespace ORDER BY nspname")) {
      while (rs.next()) {
        String name = rs.getString(1);
        if (config.schemas().rejection(name) == null) found.add(name);
      }
    }
    return found;
  }

  static Connection connect(MusterConfig config) throws SQLException {
    return DriverManager.getConnection(config.database().jdbcUrl(), config.database().user(),
        config.database().password());
  }
}
