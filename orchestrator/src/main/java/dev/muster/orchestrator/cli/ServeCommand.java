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

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the orchestrator: HTTP API, dashboard and coordinator. SIGTERM stops it gracefully.")
public final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("muster");

  @Mixin
  Settings settings;

  @Mixin
  Settings.ServeOnly serveSettings;

  @Override
  public Integer call() throws InterruptedException {
    Database database = Database.open(settings.config());
    MusterConfig config = database.config;
    if (config.token() == null) log.warn("MUSTER_TOKEN is not set: anyone who reaches this port can announce arrivals");
    Vertx vertx = Orchestrator.vertx();
    Orchestrator orchestrator;
    try {
      orchestrator = Orchestrator.start(vertx, config, true).await();
    } catch (Exception e) {
      log.error("Could not start: {}", config.database().explain(e).orElse(e.getMessage()));
      vertx.close();
      database.close();
      return ExitCodes.USAGE;
    }
    log.info("Muster orchestrator {} serving on http://localhost:{}/ ({}; sockets on {})", config.replicaId(),
        orchestrator.port(), config, Orchestrator.transport(vertx));
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
