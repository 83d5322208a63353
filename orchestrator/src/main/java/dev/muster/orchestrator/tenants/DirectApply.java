package dev.muster.orchestrator.tenants;

import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.flywaydb.core.internal.util.AbbreviationUtils;

/**
 * The direct path of {@code migrate --all}: a schema's pending migrations, when each is plain SQL that Flyway would
 * run in a transaction as written ({@link PlainSql}), run over JDBC in one transaction on the worker's connection,
 * with the history rows Flyway would write and the schema's events, committed together — or all rolled back.
 *
 * <p>It exists because Flyway's own work around each migration (its search path, existence checks, a refresh of its
 * history cache, the history insert: ~8 round trips a migration) and its set-up per schema were most of a tenant's
 * time; here a migration is one round trip. What it writes is what Flyway 11.20.3 writes on PostgreSQL: its history
 * table's DDL ({@code PostgreSQLDatabase.getRawCreateScript}), its row for a schema it created, its rows for applied
 * migrations ({@code JdbcTableSchemaHistory}), under its lock for the history table — so Flyway itself takes the
 * schema over where this left it. Everything else runs through Flyway ({@link BulkMigration}).
 */
final class DirectApply {
  /** Flyway's lock on a history table: this plus the hash of the table's quoted name (PostgreSQLAdvisoryLockTemplate). */
  private static final long FLYWAY_LOCK = 77431708279161L;
  private static final String NOT_FROM_EXTENSION = " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = o.oid"
      + " AND d.deptype = 'e')";
  /**
   * In the transaction, under Muster's lock: Flyway's lock (so a plain Flyway run elsewhere cannot interleave), the
   * user Flyway would record, the schema as Flyway's checks see it (exists; has a history table; empty, as
   * {@code PostgreSQLSchema.doEmpty} counts it), indexes a dead {@code CREATE INDEX CONCURRENTLY} left INVALID, and
   * Flyway's search path for the migrations (the schema first, then the session's), local to the transaction.
   */
  private static final String OPEN = "SELECT pg_try_advisory_xact_lock(?), current_user, n.oid IS NOT NULL,"
      + " EXISTS (SELECT 1 FROM pg_class t WHERE t.relnamespace = n.oid AND t.relname = '" + HistoryScan.TABLE + "'"
      + "   AND t.relkind IN ('r', 'p')),"
      + " NOT EXISTS (SELECT 1 FROM pg_class o WHERE o.relnamespace = n.oid AND o.relkind IN ('r', 'v', 'S', 't')"
      + NOT_FROM_EXTENSION + ")"
      + " AND NOT EXISTS (SELECT 1 FROM pg_type o WHERE o.typnamespace = n.oid AND o.typcategory NOT IN ('A', 'C')"
      + NOT_FROM_EXTENSION + ")"
      + " AND NOT EXISTS (SELECT 1 FROM pg_proc o WHERE o.pronamespace = n.oid" + NOT_FROM_EXTENSION + "),"
      + " ARRAY(SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname) FROM pg_index x"
      + "   JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relnamespace = n.oid AND NOT x.indisvalid ORDER BY 1),"
      + " set_config('search_path', quote_ident(s.name) || CASE WHEN current_setting('search_path') = '' THEN ''"
      + "   ELSE ',' || current_setting('search_path') END, true)"
      + " FROM (SELECT CAST(? AS text) AS name) s LEFT JOIN pg_namespace n ON n.nspname = s.name";

  /**
   * A schema as read under its lock, in the transaction {@link #open} began. {@code history}: its history rows,
   * null without a history table.
   */
  record Opened(boolean flywayFree, String installedBy, boolean exists, boolean empty, List<String> invalidIndexes,
      List<HistoryScan.Row> history) {
    /**
     * Whether the direct path can start from here as Flyway would: Flyway's lock free, and a history table, or one
     * Flyway would create (an empty schema; a missing one when it may create schemas). A non-empty schema without
     * one is Flyway's to refuse.
     */
    boolean canApply(boolean createSchemas) {
      return flywayFree && (history != null || (exists ? empty : createSchemas));
    }
  }

  /** A migration that failed, rolled back with the others; {@code migration} null when none was running. */
  static final class Failed extends Exception {
    private final MigrationSet.Resolved migration;

    Failed(MigrationSet.Resolved migration, SQLException cause) {
      super(cause.getMessage(), cause);
      this.migration = migration;
    }

    String version() {
      return migration == null ? null : migration.version();
    }

    String description() {
      return migration == null ? null : migration.description();
    }
  }

  private DirectApply() {}

  /** Begins a transaction on {@code c} and reads {@code schema} in it; {@link #apply} goes on, {@link #abandon} ends. */
  static Opened open(Connection c, String schema) throws SQLException {
    c.setAutoCommit(false);
    try {
      boolean free;
      String user;
      boolean exists;
      boolean hasHistory;
      boolean empty;
      List<String> invalid;
      try (PreparedStatement st = c.prepareStatement(OPEN)) {
        st.setLong(1, FLYWAY_LOCK + historyTable(schema).hashCode());
        st.setString(2, schema);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          free = rs.getBoolean(1);
          user = rs.getString(2);
          exists = rs.getBoolean(3);
          hasHistory = rs.getBoolean(4);
          empty = rs.getBoolean(5);
          invalid = Arrays.asList((String[]) rs.getArray(6).getArray());
        }
      }
      return new Opened(free, user, exists, empty, invalid, hasHistory ? HistoryScan.rows(c, schema) : null);
    } catch (SQLException | RuntimeException e) {
      abandon(c);
      throw e;
    }
  }

  /** Rolls back what {@link #open} began (locks, search path): the connection is as it was. */
  static void abandon(Connection c) {
    try {
      c.rollback();
      c.setAutoCommit(true);
    } catch (SQLException e) {
      // The connection is gone: nothing of the transaction survives it.
    }
  }

  /**
   * Runs {@code pending} (oldest first) in the transaction {@link #open} began, records each in the history table,
   * appends {@code events.apply(applied)} in the same transaction and commits; on any failure rolls it all back.
   */
  static List<Payload.MigrationApplied> apply(Connection c, String schema, Opened opened,
      List<MigrationSet.Resolved> pending, EventStore store, Function<List<Payload.MigrationApplied>, List<Payload>> events)
      throws Failed {
    MigrationSet.Resolved running = null;
    boolean created = false;
    try {
      History rows = new History();
      try (Statement st = c.createStatement()) {
        st.setEscapeProcessing(false); // as Flyway sends a script's statements: JDBC escapes untouched
        int rank = 1;
        created = opened.history() == null;
        if (created) {
          st.execute(preamble(schema, opened));
        } else {
          for (HistoryScan.Row row : opened.history()) rank = Math.max(rank, row.rank() + 1);
        }
        List<Payload.MigrationApplied> applied = new ArrayList<>();
        for (MigrationSet.Resolved m : pending) {
          running = m;
          long started = System.nanoTime();
          st.execute(m.sql());
          st.clearWarnings();
          int millis = (int) ((System.nanoTime() - started) / 1_000_000);
          rows.add(rank++, m.version(), m.description(), m.script(), m.checksum(), millis);
          applied.add(new Payload.MigrationApplied(schema, m.version(), m.description(), (long) millis));
        }
        running = null;
        rows.insert(c, historyTable(schema), opened.installedBy());
        store.appendAllInTransaction(c, events.apply(applied));
        c.commit();
        c.setAutoCommit(true);
        return applied;
      }
    } catch (SQLException e) {
      abandon(c);
      if (created) keepHistoryTable(c, schema, opened);
      throw new Failed(running, e);
    }
  }

  /**
   * Flyway commits a new history table (and a schema it creates) before it runs any migration, so a failed run
   * leaves them behind, empty: after a failure, so does this.
   */
  private static void keepHistoryTable(Connection c, String schema, Opened opened) {
    try (Statement st = c.createStatement()) {
      st.setEscapeProcessing(false);
      st.execute(preamble(schema, opened));
    } catch (SQLException e) {
      // The table's creation was what failed, or the connection is gone: nothing was left.
    }
  }

  /** The history table Flyway creates; before it the schema, when Flyway would create it, marked by a row of rank 0. */
  private static String preamble(String schema, Opened opened) {
    if (opened.exists()) return createTable(historyTable(schema));
    return "CREATE SCHEMA " + quote(schema) + ";\n" + createTable(historyTable(schema)) + "\nINSERT INTO "
        + historyTable(schema) + " (\"installed_rank\", \"version\", \"description\", \"type\", \"script\","
        + " \"checksum\", \"installed_by\", \"execution_time\", \"success\") VALUES (0, NULL, '<< Flyway Schema"
        + " Creation >>', 'SCHEMA', " + literal(quote(schema)) + ", NULL, " + literal(opened.installedBy()) + ", 0, true);";
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  /** Flyway's name for the schema's history table, quoted as Flyway quotes it (its lock key is its hash). */
  private static String historyTable(String schema) {
    return quote(schema) + "." + quote(HistoryScan.TABLE);
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** Flyway 11.20.3's history table on PostgreSQL (no tablespace configured), statement for statement. */
  private static String createTable(String table) {
    String name = HistoryScan.TABLE;
    return "CREATE TABLE " + table + " (\n"
        + "    \"installed_rank\" INT NOT NULL,\n"
        + "    \"version\" VARCHAR(50),\n"
        + "    \"description\" VARCHAR(200) NOT NULL,\n"
        + "    \"type\" VARCHAR(20) NOT NULL,\n"
        + "    \"script\" VARCHAR(1000) NOT NULL,\n"
        + "    \"checksum\" INTEGER,\n"
        + "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
        + "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
        + "    \"execution_time\" INTEGER NOT NULL,\n"
        + "    \"success\" BOOLEAN NOT NULL\n"
        + ");\n"
        + "ALTER TABLE " + table + " ADD CONSTRAINT \"" + name + "_pk\" PRIMARY KEY (\"installed_rank\");\n"
        + "CREATE INDEX \"" + name + "_s_idx\" ON " + table + " (\"success\");";
  }

  /**
   * History rows as Flyway writes them for SQL migrations (its abbreviations; installed_on its default), inserted in
   * one statement.
   */
  private static final class History {
    private final List<Integer> ranks = new ArrayList<>();
    private final List<String> versions = new ArrayList<>();
    private final List<String> descriptions = new ArrayList<>();
    private final List<String> scripts = new ArrayList<>();
    private final List<Integer> checksums = new ArrayList<>();
    private final List<Integer> times = new ArrayList<>();

    void add(int rank, String version, String description, String script, Integer checksum, int millis) {
      ranks.add(rank);
      versions.add(version);
      descriptions.add(AbbreviationUtils.abbreviateDescription(description));
      scripts.add(AbbreviationUtils.abbreviateScript(script));
      checksums.add(checksum);
      times.add(millis);
    }

    void insert(Connection c, String table, String installedBy) throws SQLException {
      try (PreparedStatement st = c.prepareStatement("INSERT INTO " + table + " (\"installed_rank\", \"version\","
          + " \"description\", \"type\", \"script\", \"checksum\", \"installed_by\", \"execution_time\", \"success\")"
          + " SELECT h.r, h.v, h.d, 'SQL', h.s, h.c, ?, h.e, true"
          + " FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::int[], ?::int[]) AS h(r, v, d, s, c, e)")) {
        st.setString(1, installedBy);
        st.setArray(2, array(c, "int4", ranks));
        st.setArray(3, array(c, "text", versions));
        st.setArray(4, array(c, "text", descriptions));
        st.setArray(5, array(c, "text", scripts));
        st.setArray(6, array(c, "int4", checksums));
        st.setArray(7, array(c, "int4", times));
        st.executeUpdate();
      }
    }

    private static Array array(Connection c, String type, List<?> values) throws SQLException {
      return c.createArrayOf(type, values.toArray());
    }
  }
}
