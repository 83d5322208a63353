package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.config.MusterConfig;
import java.time.Duration;
import java.util.function.Function;

/**
 * How one schema's migrations wait for locks (docs/lock-safety.md): each transactional migration runs with a
 * short {@code lock_timeout} and a {@code statement_timeout} guard, and is tried again on 55P03 by
 * {@link #retries}; migration sessions end when idle in a transaction for {@link #idleInTransactionTimeout}.
 * A non-transactional migration ({@code CREATE INDEX CONCURRENTLY}) gets no lock or statement timeout: cancelled
 * halfway it would leave an INVALID index. A zero duration means none.
 *
 * @param terminateIdleBlockers terminate a blocker idle in transaction longer than this; zero: never
 */
public record LockSafety(Duration lockTimeout, Duration statementTimeout, Duration idleInTransactionTimeout,
    LockRetryPolicy retries, Duration terminateIdleBlockers) {

  /** No timeouts, no retries: Flyway as it is. */
  public static final LockSafety OFF = new LockSafety(Duration.ZERO, Duration.ZERO, Duration.ZERO,
      new LockRetryPolicy(1, Duration.ZERO, Duration.ofMillis(1), Duration.ofMillis(1)), Duration.ZERO);

  public boolean enabled() {
    return !lockTimeout.isZero();
  }

  /** Each schema's, from the settings. */
  public static Function<String, LockSafety> from(MusterConfig config) {
    LockRetryPolicy retries = new LockRetryPolicy(config.lockAttempts(), config.lockRetryFor(), config.lockRetryDelay(),
        config.lockRetryMaxDelay());
    return schema -> new LockSafety(config.lockTimeout(schema), config.statementTimeout(schema),
        config.idleInTransactionTimeout(), retries, config.terminateIdleBlockers());
  }

  /** The same with a migration's own {@code -- muster:} lines over it. */
  LockSafety with(ScriptSettings script) {
    return new LockSafety(script.lockTimeout() != null ? script.lockTimeout() : lockTimeout,
        script.statementTimeout() != null ? script.statementTimeout() : statementTimeout, idleInTransactionTimeout,
        retries, terminateIdleBlockers);
  }

  /** In the form {@code set_config} takes: milliseconds. */
  static String millis(Duration d) {
    return Long.toString(d.toMillis());
  }
}
