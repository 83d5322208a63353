package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 9.5: a run longer than the worker pool's execute-time limit (Vert.x warns with a stack trace every second
 * past it) runs on an executor of its own, where no blocked-thread warning applies. The limit is cut from 60 s to
 * 2 s here, so that a 6 s migration is "long".
 */
@ExtendWith(PostgresExtension.class)
class LongRunTest {

  @Test
  void aRunLongerThanTheWorkerLimitGetsNoBlockedThreadWarning(TestDatabase db, @TempDir Path dir) throws Exception {
    ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    warnings.start();
    Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(warnings);
    Vertx vertx = Vertx.vertx(new VertxOptions().setMaxWorkerExecuteTime(2).setMaxWorkerExecuteTimeUnit(TimeUnit.SECONDS)
        .setBlockedThreadCheckInterval(250));
    try {
      Migrations migrations = Migrations.aroundSecond(dir, "SELECT pg_sleep(6);");
      Orchestrator o = Orchestrator.start(vertx, Replicas.config(db, migrations.dir()).toBuilder().replicaId("long")
          .build(), true).await();
      Http.Response r = Http.postJson("http://127.0.0.1:" + o.port() + "/api/v1/arrivals?wait=true&timeout=25",
          new JsonObject().put("service", "app").put("instance", "app-1").put("schema", "public"));
      assertEquals(200, r.status(), r.body());
      assertEquals("3", r.json().getString("version"), r.body());
      o.stop().await();
    } finally {
      vertx.close().await();
      root.detachAppender(warnings);
    }
    List<String> inRuns;
    synchronized (warnings.list) {
      inRuns = warnings.list.stream().filter(e -> e.getLoggerName().endsWith("BlockedThreadChecker"))
          .filter(e -> inRun(e.getThrowableProxy()) || e.getFormattedMessage().contains("muster-runs"))
          .map(ILoggingEvent::getFormattedMessage).toList();
    }
    assertTrue(inRuns.isEmpty(), "blocked-thread warnings about a run: " + inRuns);
  }

  /** Whether the warning's stack trace is inside a Flyway run. */
  private static boolean inRun(IThrowableProxy t) {
    if (t == null) return false;
    for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
      if (frame.getSTEAsString().contains("FlywayRunner.migrate")) return true;
    }
    return false;
  }
}
