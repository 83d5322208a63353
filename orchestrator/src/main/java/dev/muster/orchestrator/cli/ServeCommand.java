package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.config.MusterConfig;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the orchestrator: HTTP API, dashboard and coordinator. SIGTERM stops it gracefully.")
public final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("muster");

  @Mixin
  Settings settings;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port (env MUSTER_HTTP_PORT; default 8080)")
  Integer httpPort;

  @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token required on writes "
      + "(env MUSTER_TOKEN; unset: open)")
  String token;

  @Option(names = "--read-token", paramLabel = "TOKEN", description = "bearer token required on reads "
      + "(env MUSTER_READ_TOKEN; unset: reads are open)")
  String readToken;

  @Override
  public Integer call() throws InterruptedException {
    MusterConfig.Builder b = settings.config().toBuilder();
    if (httpPort != null) b.httpPort(httpPort);
    if (token != null) b.token(token);
    if (readToken != null) b.readToken(readToken);
    Database database = Database.open(b.build());
    MusterConfig config = database.config;
    if (config.token() == null) log.warn("MUSTER_TOKEN is not set: anyone who reaches this port can announce arrivals");
    Vertx vertx = Vertx.vertx();
    Orchestrator orchestrator;
    try {
      orchestrator = Orchestrator.start(vertx, config, true).await();
    } catch (Exception e) {
      log.error("Could not start: {}", e.getMessage());
      vertx.close();
      database.close();
      return ExitCodes.USAGE;
    }
    log.info("Muster orchestrator {} serving on http://localhost:{}/ ({})", config.replicaId(), orchestrator.port(),
        config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("Stopping: no new arrivals; a run under way may finish; services move to other replicas");
      try {
        orchestrator.stop().await();
        vertx.close().await();
      } catch (Exception e) {
        log.warn("Unclean stop: {}", e.getMessage());
      }
      database.close();
      stopped.countDown();
    }, "muster-shutdown"));
    stopped.await();
    return ExitCodes.OK;
  }
}
