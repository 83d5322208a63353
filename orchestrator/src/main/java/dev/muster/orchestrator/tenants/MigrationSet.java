package dev.muster.orchestrator.tenants;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.projection.SchemaInfo;
import org.flywaydb.core.Flyway;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.internal.info.MigrationInfoImpl;

/**
 * The migration files, resolved and checksummed once per process, and what a schema's history says against them
 * ({@link #standing}) — without a Flyway call per schema.
 */
public final class MigrationSet {
  /**
   * One resolved migration; {@code version} is null for a repeatable one. {@code transactional}: it can run inside
   * a transaction (not a {@code CREATE INDEX CONCURRENTLY}), so it may share one with the others. {@code sql}: its
   * text, when {@link DirectApply} may run it without Flyway ({@link PlainSql}); null when Flyway must.
   */
  public record Resolved(String version, String description, String script, Integer checksum, boolean transactional,
      String sql) {}

  private final List<Resolved> versioned;
  private final List<Resolved> repeatable;
  private final String latest;

  MigrationSet(List<Resolved> versioned, List<Resolved> repeatable) {
    this.versioned = List.copyOf(versioned);
    this.repeatable = List.copyOf(repeatable);
    String newest = null;
    for (Resolved r : versioned) {
      if (newest == null || MigrationVersion.fromVersion(r.version()).compareTo(MigrationVersion.fromVersion(newest)) > 0) {
        newest = r.version();
      }
    }
    this.latest = newest;
  }

  /** From one Flyway {@code info} (of any schema): each migration as resolved from the files. */
  public static MigrationSet of(MigrationInfoService info) {
    return of(info, null);
  }

  /** As {@link #of(MigrationInfoService)}, with the text of each migration the direct path may run. */
  public static MigrationSet withDirectPath(Flyway flyway) {
    return of(flyway.info(), PlainSql.scan(flyway.getConfiguration()));
  }

  private static MigrationSet of(MigrationInfoService info, PlainSql plain) {
    List<Resolved> versioned = new ArrayList<>();
    List<Resolved> repeatable = new ArrayList<>();
    for (MigrationInfo m : info.all()) {
      if (!m.getState().isResolved()) continue; // applied somewhere, but not among the files
      Resolved r = new Resolved(m.getVersion() == null ? null : m.getVersion().getVersion(),
          m.getDescription(), m.getScript(), m.getResolvedChecksum(),
          // Flyway tells it only on its implementation; anything else is taken as non-transactional (never grouped).
          m instanceof MigrationInfoImpl impl && impl.canExecuteInTransaction(), plain == null ? null : plain.text(m));
      if (m.getVersion() == null) {
        repeatable.add(r);
      } else if (versioned.stream().noneMatch(v -> v.version().equals(r.version()))) {
        versioned.add(r);
      }
    }
    return new MigrationSet(versioned, repeatable);
  }

  /** Resolves the files with one Flyway {@code info} of {@code anySchema} (which it only reads). */
  public static MigrationSet resolve(DatabaseUrl database, List<String> locations, String anySchema) {
    return of(Flyway.configure()
        .dataSource(database.jdbcUrl(), database.user(), database.password())
        .schemas(anySchema).defaultSchema(anySchema)
        .locations(locations.toArray(String[]::new))
        .connectRetries(0)
        .load().info());
  }

  /** The newest version among the files, null when there are none. */
  public String latest() {
    return latest;
  }

  public int size() {
    return versioned.size() + repeatable.size();
  }

  /**
   * What {@link DirectApply} would run for {@code standing}, oldest first: its pending migrations when each is plain
   * SQL, all newer than the schema's version, and nothing else is pending or wrong; null when Flyway must run it.
   */
  public List<Resolved> direct(Standing standing) {
    if (!standing.transactional() || standing.failedRow() || standing.checksumMismatch() || standing.drift() != null) {
      return null;
    }
    MigrationVersion current = standing.current() == null ? null : MigrationVersion.fromVersion(standing.current());
    Map<String, Resolved> byVersion = new HashMap<>();
    for (Resolved r : versioned) byVersion.put(r.version(), r);
    List<Resolved> run = new ArrayList<>();
    for (SchemaInfo.Migration m : standing.pending()) {
      Resolved r = m.version() == null ? null : byVersion.get(m.version());
      if (r == null || r.sql() == null) return null; // a repeatable one, or one only Flyway may run
      // Below the schema's version (out of order, or under a baseline), Flyway decides what happens.
      if (current != null && MigrationVersion.fromVersion(r.version()).compareTo(current) <= 0) return null;
      run.add(r);
    }
    run.sort(Comparator.comparing(r -> MigrationVersion.fromVersion(r.version())));
    return run;
  }

  /**
   * What {@code history} (a schema's {@code flyway_schema_history} rows, null when it has none) says against the
   * files. Behind means Flyway has something to do — apply, or refuse with its own error (a failed row, a
   * changed checksum): either way, a run.
   */
  public Standing standing(String schema, List<HistoryScan.Row> history) {
    List<HistoryScan.Row> rows = history == null ? List.of() : history;
    Map<String, HistoryScan.Row> applied = new HashMap<>();
    Map<String, HistoryScan.Row> lastRepeatable = new HashMap<>();
    MigrationVersion current = null;
    boolean failed = false;
    for (HistoryScan.Row row : rows) {
      if (!row.success()) failed = true;
      if (row.version() == null) {
        if (row.success()) lastRepeatable.merge(row.description(), row, (a, b) -> a.rank() > b.rank() ? a : b);
        continue;
      }
      if (!row.success() || "SCHEMA".equals(row.type())) continue;
      // Flyway's repair marks an applied migration whose file is gone with a DELETE row: it no longer counts.
      if ("DELETE".equals(row.type())) {
        applied.remove(row.version());
      } else {
        applied.put(row.version(), row);
      }
    }
    for (String version : applied.keySet()) {
      MigrationVersion v = MigrationVersion.fromVersion(version);
      if (current == null || v.compareTo(current) > 0) current = v;
    }
    boolean mismatch = false;
    boolean transactional = true;
    List<SchemaInfo.Migration> pending = new ArrayList<>();
    List<String> drift = new ArrayList<>();
    Map<String, HistoryScan.Row> unmatched = new HashMap<>(applied);
    for (Resolved r : versioned) {
      HistoryScan.Row row = unmatched.remove(r.version());
      if (row == null) {
        pending.add(new SchemaInfo.Migration(r.version(), r.description(), r.script()));
        transactional &= r.transactional();
      } else if (!"BASELINE".equals(row.type()) && !Objects.equals(row.checksum(), r.checksum())) {
        mismatch = true;
        drift.add("migration " + r.version() + " was applied with checksum " + row.checksum() + " but its file has "
            + r.checksum());
      }
    }
    // Applied, but no file has it (deleted, or from a newer release's files): the history no longer matches.
    unmatched.values().stream().filter(row -> !"BASELINE".equals(row.type()))
        .sorted(java.util.Comparator.comparing(row -> MigrationVersion.fromVersion(row.version())))
        .forEach(row -> drift.add("migration " + row.version() + " was applied but no file has it"));
    for (Resolved r : repeatable) {
      HistoryScan.Row row = lastRepeatable.get(r.description());
      if (row == null || !Objects.equals(row.checksum(), r.checksum())) {
        pending.add(new SchemaInfo.Migration(null, r.description(), r.script()));
        transactional &= r.transactional();
      }
    }
    // Below a baseline, unapplied files are Flyway's business, not pending work.
    return new Standing(schema, current == null ? null : current.getVersion(), latest, pending, failed, mismatch,
        transactional, drift.isEmpty() ? null : String.join("; ", drift));
  }

  /**
   * A schema against the files: its version, what is pending, and whether Flyway would refuse it as it is
   * (a failed row in its history, an applied migration whose file changed); {@code transactional}: every pending
   * migration can run in a transaction, so they can all run in one; {@code drift}: how the history no longer matches
   * the files (an edited, a deleted or an unknown applied migration), or null.
   */
  public record Standing(String schema, String current, String latest, List<SchemaInfo.Migration> pending,
      boolean failedRow, boolean checksumMismatch, boolean transactional, String drift) {
    public Standing {
      pending = List.copyOf(pending);
    }

    /** Nothing for Flyway to do. */
    public boolean upToDate() {
      return pending.isEmpty() && !failedRow && !checksumMismatch && drift == null;
    }

    public SchemaInfo info() {
      return new SchemaInfo(schema, current, latest, upToDate() ? List.of() : pending, drift);
    }
  }
}
