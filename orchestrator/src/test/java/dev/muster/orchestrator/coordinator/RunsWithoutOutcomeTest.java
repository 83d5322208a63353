package dev.muster.orchestrator.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.projection.SchemaInfo;
import dev.muster.orchestrator.runner.MigrationFailure;
import dev.muster.orchestrator.runner.Runner;
import io.vertx.core.Future;
import java.sql.SQLException;
import java.time.Duration;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;

/**
 * Issue 9.1 and 9.3 without PostgreSQL: Flyway's own lock contention is never {@code schema.failed} (retried after a
 * backoff, no attempt spent), and a run whose session keeps dying is retried with backoff — never at once — up to the
 * bound, then fails with its cause.
 */
class RunsWithoutOutcomeTest {
  private final ManualClock clock = new ManualClock();
  private final MemoryLog log = new MemoryLog(clock);
  private final FakeRunner fake = new FakeRunner("public", 3, 1);

  /** The fake, failing its first {@code failures} runs with {@code failure} before it applies anything. */
  private Runner failingFirst(int failures, MigrationFailure failure) {
    int[] left = {failures};
    return new Runner() {
      @Override
      public Future<SchemaInfo> inspect(String schema) {
        return fake.inspect(schema);
      }

      @Override
      public Future<Prepared> prepare(String schema) {
        return fake.prepare(schema);
      }

      @Override
      public Future<Result> migrate(String schema, Progress progress) {
        if (left[0]-- > 0) return Future.failedFuture(failure);
        return fake.migrate(schema, progress);
      }
    };
  }

  private Coordinator replica(Runner runner) {
    Coordinator c = new Coordinator(MusterConfig.defaults(), log.writer("replica-a"), log, new FakeLocks(),
        schema -> runner, clock);
    c.start();
    c.arrive(new Arrival.Request("app", "app-1", "public", null, null, null));
    log.deliver();
    return c;
  }

  @Test
  void flywaysOwnLockContentionIsRetriedAfterABackoffAndNeverFailed() {
    MigrationFailure contention = new MigrationFailure(new FlywayException("Number of retries exceeded while attempting"
        + " to acquire PostgreSQL advisory lock. Configure the number of retries with the 'lockRetryCount' option"),
        null, null, "1");
    assertTrue(contention.lockContention());
    replica(failingFirst(5, contention));
    for (int i = 0; i < 5; i++) {
      assertEquals(0, log.count(EventType.SCHEMA_FAILED), "contention is no failure");
      clock.advance(Duration.ofSeconds(31)); // past the longest backoff
      log.deliver();
    }
    assertEquals(1, log.count(EventType.SCHEMA_READY), log.lines().toString());
    assertEquals(0, log.count(EventType.SCHEMA_FAILED));
    assertEquals(0, log.count(EventType.SCHEMA_INTERRUPTED), "no attempt spent");
  }

  @Test
  void aSessionThatKeepsDyingIsRetriedAfterABackoffThenFailsWithItsCause() {
    MigrationFailure terminated = new MigrationFailure(new SQLException(
        "FATAL: terminating connection due to administrator command", "57P01"), "2", "step 2", "1");
    replica(failingFirst(10, terminated));
    assertEquals(1, log.count(EventType.SCHEMA_LOCK_ACQUIRED));
    assertEquals(1, log.count(EventType.SCHEMA_INTERRUPTED));
    clock.advance(Duration.ofMillis(499)); // the first backoff is at least 0.5 s: never at once
    log.deliver();
    assertEquals(1, log.count(EventType.SCHEMA_LOCK_ACQUIRED), "no tight loop");
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(31));
      log.deliver();
    }
    assertEquals(3, log.count(EventType.SCHEMA_LOCK_ACQUIRED), "three attempts: " + log.lines());
    assertEquals(2, log.count(EventType.SCHEMA_INTERRUPTED));
    assertEquals(1, log.count(EventType.SCHEMA_FAILED));
  }
}
