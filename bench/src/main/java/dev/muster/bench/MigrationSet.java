package dev.muster.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The migrations each scenario runs: written to a folder of the bench's own, or (the fleet scenario) the
 * sample app's set bundled into the jar at build time.
 */
final class MigrationSet {
  /** Where the build copies {@code sample-app/src/main/resources/db/migration}. */
  static final String SAMPLE_RESOURCE = "dev/muster/bench/sample-migrations";

  /** Flyway location, e.g. {@code filesystem:/tmp/x} or {@code classpath:dev/muster/bench/sample-migrations}. */
  final String location;
  /** What the set is, for the report. */
  final String description;

  private MigrationSet(String location, String description) {
    this.location = location;
    this.description = description;
  }

  /**
   * Two migrations; the second waits at the {@linkplain Gate gate} of its schema, then changes the table and
   * records in {@code bench_marks} the instant its last statement ran — the end of the migration proper,
   * before Flyway's bookkeeping and commit.
   */
  static MigrationSet gated(Path dir) {
    return gated(dir, 2);
  }

  /**
   * Like {@link #gated(Path)} with {@code total} migrations: after the gated {@code V2}, {@code total - 2} quick
   * ones (a column each), which a fleet's streams hear as a burst of {@code migration.*} events; the last records
   * the migration's end.
   */
  static MigrationSet gated(Path dir, int total) {
    if (total < 2) throw new IllegalArgumentException("a gated set has at least 2 migrations");
    String marks = """
        CREATE TABLE bench_marks (what text PRIMARY KEY, at timestamptz NOT NULL);
        INSERT INTO bench_marks (what, at) VALUES ('migration_end', clock_timestamp());
        """;
    write(dir, "V1__create_items.sql", """
        CREATE TABLE bench_items (id bigserial PRIMARY KEY, note text);
        INSERT INTO bench_items (note) SELECT 'item ' || g FROM generate_series(1, 1000) g;
        """);
    write(dir, "V2__label_items.sql", Gate.WAIT_SQL + """
        ALTER TABLE bench_items ADD COLUMN label text;
        UPDATE bench_items SET label = upper(note);
        """ + (total == 2 ? marks : ""));
    for (int v = 3; v <= total; v++) {
      write(dir, "V" + v + "__column_" + v + ".sql", "ALTER TABLE bench_items ADD COLUMN c" + v + " int;\n"
          + (v == total ? marks : ""));
    }
    return new MigrationSet("filesystem:" + dir.toAbsolutePath(), total == 2 ? "2 migrations, the second held at a gate"
        : total + " migrations, the second held at a gate");
  }

  /** Like {@link #gated}, but the second migration fails after the gate: SQLSTATE 23502 (not_null_violation). */
  static MigrationSet failing(Path dir) {
    write(dir, "V1__create_items.sql", """
        CREATE TABLE bench_items (id bigserial PRIMARY KEY, note text);
        INSERT INTO bench_items (note) SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 'item ' || g END
        FROM generate_series(1, 1000) g;
        """);
    write(dir, "V2__require_notes.sql", Gate.WAIT_SQL + """
        -- Fails: a tenth of the rows have no note.
        ALTER TABLE bench_items ALTER COLUMN note SET NOT NULL;
        """);
    return new MigrationSet("filesystem:" + dir.toAbsolutePath(), "2 migrations, the second fails with 23502 after a gate");
  }

  /** One quick migration: a schema that is soon ready, for arrivals that are released at once. */
  static MigrationSet single(Path dir) {
    write(dir, "V1__create_items.sql", "CREATE TABLE bench_items (id bigserial PRIMARY KEY, note text);\n");
    return new MigrationSet("filesystem:" + dir.toAbsolutePath(), "1 migration");
  }

  /**
   * The realistic set for a fleet start: the sample app's migrations when the jar has them (tables, a
   * 20,000-row seed, a backfill, a trigger, {@code CREATE INDEX CONCURRENTLY}), otherwise ten of the same kinds.
   */
  static MigrationSet realistic(Path dir) {
    if (MigrationSet.class.getClassLoader().getResource(SAMPLE_RESOURCE + "/") != null
        || MigrationSet.class.getClassLoader().getResource(SAMPLE_RESOURCE) != null) {
      return new MigrationSet("classpath:" + SAMPLE_RESOURCE, "the sample app's migrations");
    }
    return generated(dir);
  }

  /** Ten migrations of the kinds real projects have, for builds without the sample app's. */
  static MigrationSet generated(Path dir) {
    write(dir, "V1__create_accounts.sql", """
        CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE,
          created_at timestamptz NOT NULL DEFAULT now());
        """);
    write(dir, "V2__create_orders.sql", """
        CREATE TABLE orders (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id),
          total_cents bigint NOT NULL, placed_at timestamptz NOT NULL DEFAULT now());
        """);
    write(dir, "V3__seed_accounts.sql", """
        INSERT INTO accounts (email, created_at)
        SELECT 'customer' || g || '@example.com', now() - (g % 30) * interval '1 day' FROM generate_series(1, 20000) g;
        INSERT INTO orders (account_id, total_cents) SELECT 1 + g % 20000, g % 9973 FROM generate_series(1, 40000) g;
        """);
    write(dir, "V4__add_display_name.sql", "ALTER TABLE accounts ADD COLUMN display_name text;\n");
    write(dir, "V5__backfill_display_name.sql", """
        UPDATE accounts SET display_name = split_part(email, '@', 1) WHERE display_name IS NULL;
        ALTER TABLE accounts ALTER COLUMN display_name SET NOT NULL;
        """);
    write(dir, "V6__order_status.sql", """
        ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'placed',
          ADD CONSTRAINT orders_status_check CHECK (status IN ('placed', 'paid', 'shipped'));
        """);
    write(dir, "V7__index_orders_by_account.sql", "CREATE INDEX orders_account_idx ON orders (account_id, placed_at);\n");
    write(dir, "V8__account_totals.sql", """
        CREATE TABLE account_totals (account_id bigint PRIMARY KEY REFERENCES accounts (id), total_cents bigint NOT NULL);
        INSERT INTO account_totals SELECT account_id, sum(total_cents) FROM orders GROUP BY account_id;
        """);
    write(dir, "V9__index_accounts_created_concurrently.sql",
        "CREATE INDEX CONCURRENTLY accounts_created_idx ON accounts (created_at);\n");
    write(dir, "V9__index_accounts_created_concurrently.sql.conf", "executeInTransaction=false\n");
    write(dir, "V10__orders_placed_idx.sql", "CREATE INDEX orders_placed_idx ON orders (placed_at) WHERE status = 'placed';\n");
    return new MigrationSet("filesystem:" + dir.toAbsolutePath(), "10 generated migrations");
  }

  private static void write(Path dir, String file, String sql) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(file), sql);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
