package dev.muster.orchestrator.db;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.lock.LockKeys;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Muster's own schema {@code muster}, versioned by its own Flyway migrations ({@link #LOCATION}, inside this jar)
 * and history ({@code muster.schema_history}). A release that changes the schema adds a migration there; replicas
 * apply what is missing at start, one at a time under the bootstrap lock. A schema made by the release before
 * versions (objects but no history) is adopted in place: a baseline at 0, then V1, whose {@code IF NOT EXISTS}
 * keeps what is there. A schema newer than this build knows is refused: this replica would write to tables it does
 * not understand.
 */
public final class MusterSchema {
  public static final String SCHEMA = "muster";
  public static final String HISTORY_TABLE = "schema_history";
  public static final String LOCATION = "classpath:dev/muster/orchestrator/db/migration";

  private MusterSchema() {}

  /**
   * Brings {@code muster} to this build's version, blocking: waits for the bootstrap lock (its holder waits on
   * nothing else), refuses a newer schema, migrates, releases the lock. A crash anywhere leaves the schema at a
   * version: each migration is one transaction, and PostgreSQL drops a dead session's lock.
   */
  public static void migrate(DatabaseUrl database) {
    migrate(database, null);
  }

  /** Up to {@code target} only (null: the newest), as a test makes the schema of an older release. */
  static void migrate(DatabaseUrl database, String target) {
    try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.jdbcProperties());
        Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_lock(" + LockKeys.NAMESPACE + ", " + LockKeys.BOOTSTRAP + ")");
      try {
        Flyway flyway = flyway(database);
        MigrationVersion known = latestResolved(flyway);
        MigrationVersion found = applied(c);
        if (found != null && found.compareTo(known) > 0) throw new NewerSchemaException(found.getVersion(), known.getVersion());
        if (target == null) {
          flyway.migrate();
        } else {
          Flyway.configure(MusterSchema.class.getClassLoader()).configuration(flyway.getConfiguration()).target(target)
              .load().migrate();
        }
      } finally {
        st.execute("SELECT pg_advisory_unlock(" + LockKeys.NAMESPACE + ", " + LockKeys.BOOTSTRAP + ")");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not prepare schema " + SCHEMA + ": " + e.getMessage(), e);
    }
  }

  /** The newest version recorded in {@code muster.schema_history}, or null when there is none (yet). */
  static MigrationVersion applied(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT to_regclass('" + SCHEMA + "." + HISTORY_TABLE + "') IS NOT NULL")) {
      if (!rs.next() || !rs.getBoolean(1)) return null;
    }
    MigrationVersion newest = null;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM " + SCHEMA + "." + HISTORY_TABLE
            + " WHERE success AND version IS NOT NULL")) {
      while (rs.next()) {
        MigrationVersion v = MigrationVersion.fromVersion(rs.getString(1));
        if (newest == null || v.compareTo(newest) > 0) newest = v;
      }
    }
    return newest;
  }

  private static MigrationVersion latestResolved(Flyway flyway) {
    return Arrays.stream(flyway.info().all())
        .filter(m -> m.getState().isResolved() && m.getVersion() != null)
        .map(MigrationInfo::getVersion)
        .max(Comparator.naturalOrder())
        .orElseThrow(() -> new IllegalStateException("no migrations for schema " + SCHEMA + " at " + LOCATION));
  }

  private static Flyway flyway(DatabaseUrl database) {
    var configuration = Flyway.configure(MusterSchema.class.getClassLoader())
        .schemas(SCHEMA)
        .defaultSchema(SCHEMA)
        .table(HISTORY_TABLE)
        .createSchemas(true)
        .locations(LOCATION)
        // The release before versions left objects and no history: record a baseline below V1, then let V1 adopt them.
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .baselineDescription("muster schema before versions")
        .placeholderReplacement(false)
        .connectRetries(0);
    if (database != null) configuration.dataSource(database.jdbcUrl(), database.user(), database.password());
    return configuration.load();
  }

  /** An older replica meeting the schema of a newer release: it must not start. */
  public static final class NewerSchemaException extends IllegalStateException {
    private final String found;
    private final String known;

    NewerSchemaException(String found, String known) {
      super("schema " + SCHEMA + " is at version " + found + ", newer than this Muster knows (up to version " + known
          + "): a newer release has upgraded it; run that release (see docs/upgrading.md)");
      this.found = found;
      this.known = known;
    }

    public String found() {
      return found;
    }

    public String known() {
      return known;
    }
  }
}
