package dev.muster.bench;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.db.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The PostgreSQL the benchmarks run on: an embedded server of their own (a fresh data directory, removed at
 * the end) or the one {@code --database-url} names. Every run works in schemas of its own named
 * {@code bench_<scenario>_<run>_<n>}, so runs never see each other's tables.
 */
public final class BenchDatabase implements AutoCloseable {
  /** Every schema a scenario creates matches this; the replicas are configured with it. */
  public static final String SCHEMA_PATTERN = "bench_*";

  private final DatabaseUrl url;
  private final EmbeddedDatabase embedded;
  private final Path embeddedDirectory;
  private final String run = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36), 36);
  private final List<String> created = new ArrayList<>();
  private int schemas;

  private BenchDatabase(DatabaseUrl url, EmbeddedDatabase embedded, Path embeddedDirectory) {
    this.url = url;
    this.embedded = embedded;
    this.embeddedDirectory = embeddedDirectory;
  }

  /** A server of the database URL's: nothing is started, nothing but the bench schemas is dropped at the end. */
  public static BenchDatabase external(DatabaseUrl url) {
    return new BenchDatabase(url, null, null);
  }

  /**
   * The orchestrator's embedded PostgreSQL in a fresh directory, with {@code synchronous_commit = on} for the
   * bench's database, as in production (the embedded server starts with it off). It also starts with
   * {@code fsync = off} on its command line, which no setting can override: commits wait for the WAL write,
   * not for the disk. Figures for a durable server come from {@code --database-url}.
   */
  public static BenchDatabase embedded() {
    Path dir;
    try {
      dir = Files.createTempDirectory("muster-bench-pg");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    EmbeddedDatabase db = EmbeddedDatabase.start(dir, true);
    BenchDatabase bench = new BenchDatabase(db.url(), db, dir);
    // Per database, because the server's command line (-c synchronous_commit=off) beats ALTER SYSTEM.
    bench.execute("ALTER DATABASE " + db.url().database() + " SET synchronous_commit = on");
    return bench;
  }

  public DatabaseUrl url() {
    return url;
  }

  public boolean isEmbedded() {
    return embedded != null;
  }

  /** A new, empty schema {@code bench_<scenario>_<run>_<n>}, dropped again by {@link #close()}. */
  public synchronized String newSchema(String scenario) {
    String name = ("bench_" + scenario + "_" + run + "_" + (++schemas)).toLowerCase(Locale.ROOT);
    execute("CREATE SCHEMA " + name);
    created.add(name);
    return name;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  public void execute(String sql) {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage() + "\nSQL: " + sql, e);
    }
  }

  public long queryLong(String sql, Object... params) {
    try (Connection c = connect(); PreparedStatement st = prepare(c, sql, params); ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage() + "\nSQL: " + sql, e);
    }
  }

  public String queryString(String sql, Object... params) {
    try (Connection c = connect(); PreparedStatement st = prepare(c, sql, params); ResultSet rs = st.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage() + "\nSQL: " + sql, e);
    }
  }

  /** The timestamps the query returns, in order; {@code timestamptz} keeps microseconds. */
  public List<Instant> queryInstants(String sql, Object... params) {
    try (Connection c = connect(); PreparedStatement st = prepare(c, sql, params); ResultSet rs = st.executeQuery()) {
      List<Instant> instants = new ArrayList<>();
      while (rs.next()) instants.add(rs.getObject(1, OffsetDateTime.class).toInstant());
      return instants;
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage() + "\nSQL: " + sql, e);
    }
  }

  /** The one timestamp the query must return. */
  public Instant queryInstant(String sql, Object... params) {
    List<Instant> instants = queryInstants(sql, params);
    if (instants.size() != 1) throw new IllegalStateException("expected one timestamp from " + sql + ", got " + instants);
    return instants.get(0);
  }

  private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
    PreparedStatement st = c.prepareStatement(sql);
    for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
    return st;
  }

  /** Drops the schemas this run created; stops and removes the embedded server. */
  @Override
  public void close() {
    try {
      if (embedded == null) {
        for (String schema : created) {
          try {
            execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
          } catch (RuntimeException e) {
            System.err.println("bench: could not drop schema " + schema + ": " + e.getMessage());
          }
        }
      }
    } finally {
      if (embedded != null) {
        embedded.close();
        deleteTree(embeddedDirectory);
      }
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return; // the server removes its data directory itself
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("bench: could not remove " + dir + ": " + e.getMessage());
    }
  }
}
