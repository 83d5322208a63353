package dev.muster.orchestrator;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.db.EmbeddedDatabase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code java -jar muster-orchestrator.jar <command>}: the contract's commands and exit codes. */
@Command(name = "muster-orchestrator", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Runs each schema's migrations once for a whole fleet and tells every waiting service.",
    subcommands = {Main.Serve.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
  static final Logger log = LoggerFactory.getLogger("muster");

  /** Exit codes of the contract. */
  public static final int OK = 0, USAGE = 2, MIGRATION_FAILED = 3, TIMED_OUT = 4, UNREACHABLE = 5;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  static int execute(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, command, parsed) -> {
      if (e instanceof IllegalArgumentException) {
        command.getErr().println("muster: " + e.getMessage());
        return USAGE;
      }
      throw e;
    });
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    new CommandLine(this).usage(System.out);
    return USAGE;
  }

  /** Flags that mirror the environment; a flag wins over its variable. */
  static final class Settings {
    @Option(names = "--database-url", description = "postgresql://user:pass@host:port/db (env MUSTER_DATABASE_URL; "
        + "unset: embedded PostgreSQL under .muster/)")
    String databaseUrl;

    @Option(names = "--migrations", description = "Flyway locations, comma-separated (env MUSTER_MIGRATIONS; "
        + "default filesystem:migrations)")
    String migrations;

    @Option(names = "--schemas", description = "schemas that may be migrated: names and * patterns (env MUSTER_SCHEMAS; "
        + "default public)")
    String schemas;

    @Option(names = "--create-schemas", arity = "0..1", description = "create a matching schema on its first arrival "
        + "(env MUSTER_CREATE_SCHEMAS; default false)")
    Boolean createSchemas;

    @Option(names = "--max-parallel", description = "schemas migrated at the same time (env MUSTER_MAX_PARALLEL; default 4)")
    Integer maxParallel;

    MusterConfig config() {
      MusterConfig.Builder b = MusterConfig.fromEnvironment(System.getenv()).toBuilder();
      if (databaseUrl != null) b.database(DatabaseUrl.parse(databaseUrl));
      if (migrations != null) b.migrations(MusterConfig.csv(migrations));
      if (schemas != null) b.schemas(SchemaNames.parse(schemas));
      if (createSchemas != null) b.createSchemas(createSchemas);
      if (maxParallel != null) b.maxParallel(maxParallel);
      return b.build();
    }
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Run the orchestrator: HTTP API, dashboard and coordinator.")
  static final class Serve implements Callable<Integer> {
    @Mixin
    Settings settings;

    @Option(names = "--http-port", description = "HTTP port (env MUSTER_HTTP_PORT; default 8080)")
    Integer httpPort;

    @Option(names = "--token", description = "bearer token required on writes (env MUSTER_TOKEN; unset: open)")
    String token;

    @Override
    public Integer call() throws InterruptedException {
      MusterConfig.Builder b = settings.config().toBuilder();
      if (httpPort != null) b.httpPort(httpPort);
      if (token != null) b.token(token);
      MusterConfig config = b.build();
      EmbeddedDatabase embedded = null;
      if (config.database() == null) {
        log.warn("MUSTER_DATABASE_URL is not set: starting an embedded PostgreSQL under {} (for trying Muster out)",
            config.dataDirectory().toAbsolutePath());
        embedded = EmbeddedDatabase.start(config.dataDirectory().resolve("postgres"), false);
        config = config.toBuilder().database(embedded.url()).build();
        log.info("Embedded PostgreSQL at {}", embedded.url().uri());
      }
      if (config.token() == null) log.warn("MUSTER_TOKEN is not set: anyone who reaches this port can announce arrivals");
      Vertx vertx = Vertx.vertx();
      Orchestrator orchestrator;
      try {
        orchestrator = Orchestrator.start(vertx, config, true).await();
      } catch (Exception e) {
        log.error("Could not start: {}", e.getMessage());
        vertx.close();
        if (embedded != null) embedded.close();
        return USAGE;
      }
      log.info("Muster orchestrator {} serving on http://localhost:{}/ ({})", config.replicaId(), orchestrator.port(),
          config);
      CountDownLatch stopped = new CountDownLatch(1);
      EmbeddedDatabase database = embedded;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        log.info("Stopping");
        try {
          orchestrator.stop().await();
          vertx.close().await();
        } catch (Exception e) {
          log.warn("Unclean stop: {}", e.getMessage());
        }
        if (database != null) database.close();
        stopped.countDown();
      }, "muster-shutdown"));
      stopped.await();
      return OK;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"muster-orchestrator " + (v == null ? "dev" : v)};
    }
  }

}
