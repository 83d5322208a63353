package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.db.EmbeddedDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The configured database, or — when none is configured — the embedded one under {@code .muster/}. */
final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("muster");

  final MusterConfig config;
  private final EmbeddedDatabase embedded;

  private Database(MusterConfig config, EmbeddedDatabase embedded) {
    this.config = config;
    this.embedded = embedded;
  }

  static Database open(MusterConfig config) {
    if (config.database() != null) {
      check(config.database());
      return new Database(config, null);
    }
    log.warn("MUSTER_DATABASE_URL is not set: using an embedded PostgreSQL under {} (for trying Muster out)",
        config.dataDirectory().toAbsolutePath());
    EmbeddedDatabase embedded = EmbeddedDatabase.start(config.dataDirectory().resolve("postgres"), false);
    log.info("Embedded PostgreSQL at {}", embedded.url().uri());
    return new Database(config.toBuilder().database(embedded.url()).build(), embedded);
  }

  /**
   * One connection before anything else, so that a certificate, TLS or password mistake stops every command
   * alike, at once, with a message that names the setting to change (exit 2).
   */
  private static void check(DatabaseUrl url) {
    try (Connection connection = DriverManager.getConnection(url.jdbcUrl(), url.jdbcProperties())) {
      log.debug("Connected to {}", url);
    } catch (SQLException e) {
      Optional<String> mend = url.explain(e);
      if (mend.isPresent()) throw new IllegalArgumentException(mend.get(), e);
      // Anything else (the server is not up yet, …) each command reports its own way, as without this check.
    }
  }

  @Override
  public void close() {
    if (embedded != null) embedded.close();
  }
}
