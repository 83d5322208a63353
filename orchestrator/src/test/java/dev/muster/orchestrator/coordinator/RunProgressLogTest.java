package dev.muster.orchestrator.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.muster.orchestrator.config.MusterConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Issue 9.5: a long run says it is under way once every 30 s of the orchestrator's clock — no more, no less. */
class RunProgressLogTest {
  private final ManualClock clock = new ManualClock();
  private final MemoryLog log = new MemoryLog(clock);
  private final FakeRunner runner = new FakeRunner("public", 3, 1);
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final Logger runLog = (Logger) LoggerFactory.getLogger(Run.class);

  @BeforeEach
  void capture() {
    lines.start();
    runLog.addAppender(lines);
  }

  @AfterEach
  void release() {
    runLog.detachAppender(lines);
  }

  private long progressLines() {
    synchronized (lines.list) {
      return lines.list.stream().filter(e -> e.getFormattedMessage().contains("run under way for")).count();
    }
  }

  @Test
  void oneProgressLineEveryThirtySecondsWhileTheRunGoesOnAndNoneAfter() {
    runner.holdRuns();
    Coordinator c = new Coordinator(MusterConfig.defaults(), log.writer("replica-a"), log, new FakeLocks(),
        schema -> runner, clock);
    c.start();
    c.arrive(new Arrival.Request("app", "app-1", "public", null, null, null));
    log.deliver();
    clock.advance(Duration.ofSeconds(29));
    assertEquals(0, progressLines());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(1, progressLines());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(2, progressLines());
    assertEquals(List.of("Schema public: run under way for 30 s", "Schema public: run under way for 60 s"),
        lines.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("under way")).toList());
    runner.release();
    log.deliver();
    clock.advance(Duration.ofMinutes(5));
    assertEquals(2, progressLines(), "none once the run is over");
  }
}
