package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.db.EmbeddedDatabase;
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
    if (config.database() != null) return new Database(config, null);
    log.warn("MUSTER_DATABASE_URL is not set: using an embedded PostgreSQL under {} (for trying Muster out)",
        config.dataDirectory().toAbsolutePath());
    EmbeddedDatabase embedded = EmbeddedDatabase.start(config.dataDirectory().resolve("postgres"), false);
    log.info("Embedded PostgreSQL at {}", embedded.url().uri());
    return new Database(config.toBuilder().database(embedded.url()).build(), embedded);
  }

  @Override
  public void close() {
    if (embedded != null) embedded.close();
  }
}
