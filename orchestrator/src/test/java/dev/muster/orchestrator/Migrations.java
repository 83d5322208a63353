package dev.muster.orchestrator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes Flyway migration files for a test. */
final class Migrations {
  private final Path dir;

  Migrations(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  Migrations write(String file, String sql) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(file), sql);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** V1 and V3 quick, V2 whatever {@code secondSql} does (usually: takes its time, so a test can act mid-run). */
  static Migrations aroundSecond(java.nio.file.Path dir, String secondSql) {
    return new Migrations(dir.resolve("migrations"))
        .write("V1__accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY);")
        .write("V2__second.sql", secondSql)
        .write("V3__orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY);");
  }

  /**
   * A chain of {@code count} migrations like a real project's: tables, a foreign key, an index, a backfill;
   * each sleeps a little so that concurrent starters overlap with it.
   */
  Migrations chain(int count) {
    write("V1__create_accounts.sql", "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);\n"
        + "INSERT INTO accounts (name) SELECT 'account ' || g FROM generate_series(1, 100) g;");
    for (int v = 2; v <= count; v++) {
      write("V" + v + "__step_" + v + ".sql",
          "CREATE TABLE step_" + v + " (id bigserial PRIMARY KEY, account_id bigint REFERENCES accounts(id), n int);\n"
              + "CREATE INDEX step_" + v + "_account ON step_" + v + " (account_id);\n"
              + "INSERT INTO step_" + v + " (account_id, n) SELECT id, " + v + " FROM accounts;\n"
              + "SELECT pg_sleep(0.005);");
    }
    return this;
  }
}
