package dev.muster.orchestrator.tenants;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every schema's Flyway history in a round trip or two: the catalog says which of the schemas exist and have a
 * history table, then one {@code UNION ALL} per chunk of schemas reads them all. Schema names reach the SQL text
 * only after {@code SchemaNames} checked them (plain lower-case identifiers).
 */
public final class HistoryScan {
  /** Schemas per statement: keeps each statement's plan small. */
  private static final int CHUNK = 500;
  public static final String TABLE = "flyway_schema_history";

  /** One row of a history table. */
  public record Row(int rank, String version, String description, String type, Integer checksum, boolean success) {}

  /** What was read: which schemas exist, and the rows of each that has a history table. */
  public record Result(Set<String> existing, Map<String, List<Row>> histories) {
    /** The schema's rows; null when it has no history table. */
    public List<Row> history(String schema) {
      return histories.get(schema);
    }
  }

  private HistoryScan() {}

  public static Result read(Connection c, Collection<String> schemas) throws SQLException {
    Set<String> existing = new HashSet<>();
    List<String> withHistory = new ArrayList<>();
    Array names = c.createArrayOf("text", schemas.toArray());
    try (PreparedStatement st = c.prepareStatement("SELECT n.nspname, EXISTS (SELECT 1 FROM pg_class t"
        + " WHERE t.relnamespace = n.oid AND t.relname = '" + TABLE + "' AND t.relkind IN ('r', 'p'))"
        + " FROM pg_namespace n WHERE n.nspname = ANY(?)")) {
      st.setArray(1, names);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          existing.add(rs.getString(1));
          if (rs.getBoolean(2)) withHistory.add(rs.getString(1));
        }
      }
    }
    Map<String, List<Row>> histories = new HashMap<>();
    for (String schema : withHistory) histories.put(schema, new ArrayList<>());
    for (int from = 0; from < withHistory.size(); from += CHUNK) {
      List<String> chunk = withHistory.subList(from, Math.min(withHistory.size(), from + CHUNK));
      StringBuilder sql = new StringBuilder();
      for (String schema : chunk) {
        if (sql.length() > 0) sql.append(" UNION ALL ");
        sql.append("SELECT '").append(schema).append("'::text AS s, installed_rank, version, description, type,")
            .append(" checksum, success FROM ").append(schema).append('.').append(TABLE);
      }
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql.toString())) {
        while (rs.next()) histories.get(rs.getString(1)).add(row(rs));
      }
    }
    return new Result(existing, histories);
  }

  /** The rows of one schema's history table, which exists (a checked schema name): one round trip. */
  public static List<Row> rows(Connection c, String schema) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT '" + schema + "'::text AS s,"
        + " installed_rank, version, description, type, checksum, success FROM " + schema + "." + TABLE
        + " ORDER BY installed_rank")) {
      while (rs.next()) rows.add(row(rs));
    }
    return rows;
  }

  private static Row row(ResultSet rs) throws SQLException {
    Object checksum = rs.getObject(6);
    return new Row(rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
        checksum == null ? null : ((Number) checksum).intValue(), rs.getBoolean(7));
  }
}
