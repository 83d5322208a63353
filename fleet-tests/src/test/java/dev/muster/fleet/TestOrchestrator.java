package dev.muster.fleet;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.lock.LockKeys;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An orchestrator in the test's JVM, on a test database, with HTTP on a free port and a bearer token. */
final class TestOrchestrator implements AutoCloseable {
  static final String TOKEN = "fleet-test-token";

  private final Vertx vertx;
  final String url;

  private TestOrchestrator(Vertx vertx, Orchestrator orchestrator) {
    this.vertx = vertx;
    this.url = "http://127.0.0.1:" + orchestrator.port();
  }

  static TestOrchestrator start(TestDatabase db, Path migrations) {
    MusterConfig config = MusterConfig.defaults().toBuilder()
        .database(DatabaseUrl.parse(db.url()))
        .migrations(List.of("filesystem:" + migrations.toAbsolutePath()))
        .schemas(SchemaNames.parse("public"))
        .httpPort(0)
        .token(TOKEN)
        .build();
    Vertx vertx = Vertx.vertx();
    try {
      return new TestOrchestrator(vertx, Orchestrator.start(vertx, config, true).await());
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
  }

  /**
   * An orchestrator configured through the environment, as an operator sets it, with {@code settings} on top
   * of the test database, {@code migrations}, a free port and {@link #TOKEN}.
   */
  static TestOrchestrator fromEnvironment(TestDatabase db, Path migrations, Map<String, String> settings) {
    Map<String, String> env = new HashMap<>(Map.of("MUSTER_DATABASE_URL", db.url(),
        "MUSTER_MIGRATIONS", "filesystem:" + migrations.toAbsolutePath(), "MUSTER_HTTP_PORT", "0",
        "MUSTER_TOKEN", TOKEN));
    env.putAll(settings);
    Vertx vertx = Vertx.vertx();
    try {
      return new TestOrchestrator(vertx, Orchestrator.start(vertx, MusterConfig.fromEnvironment(env), true).await());
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
  }

  /** Writes migration files: name, SQL, name, SQL... */
  static Path migrations(Path dir, String... namesAndSql) throws IOException {
    Path migrations = Files.createDirectories(dir.resolve("migrations"));
    for (int i = 0; i < namesAndSql.length; i += 2) {
      Files.writeString(migrations.resolve(namesAndSql[i]), namesAndSql[i + 1]);
    }
    return migrations;
  }

  /**
   * Takes the schema's Muster lock on a connection of the caller's, as a stuck migrator would hold it: no run
   * can begin until the connection closes.
   */
  static Connection holdSchemaLock(TestDatabase db, String schema) throws SQLException {
    Connection holder = db.connect();
    try (PreparedStatement lock = holder.prepareStatement("SELECT pg_advisory_lock(?, ?)")) {
      lock.setInt(1, LockKeys.NAMESPACE);
      lock.setInt(2, LockKeys.forSchema(schema));
      lock.execute();
      return holder;
    } catch (SQLException e) {
      holder.close();
      throw e;
    }
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
