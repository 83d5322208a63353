package dev.muster.orchestrator.db;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.postgres.PostgresUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A PostgreSQL server of our own, for {@code serve} without {@code MUSTER_DATABASE_URL} and for {@code demo}:
 * zonky's binaries from Maven Central, data kept under the given directory across restarts.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts on a free port; {@code clean} wipes data left by an earlier run. */
  public static EmbeddedDatabase start(Path dataDirectory, boolean clean) {
    try {
      Files.createDirectories(dataDirectory);
      return new EmbeddedDatabase(EmbeddedPostgres.builder()
          .setDataDirectory(dataDirectory.toAbsolutePath())
          .setCleanDataDirectory(clean)
          .setServerConfig("max_connections", "200")
          // Its owner stops it after the orchestrator; zonky's own hook would stop it under a running orchestrator.
          .setRegisterShutdownHook(false)
          .start());
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded PostgreSQL under " + dataDirectory, e);
    }
  }

  /** The superuser over TCP on localhost, trusted without a password, in plain text (it offers no TLS). */
  public DatabaseUrl url() {
    return DatabaseUrl.of(PostgresUrl.of("localhost", postgres.getPort(), "postgres", "postgres", "")
        .with("sslmode", "disable"));
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
