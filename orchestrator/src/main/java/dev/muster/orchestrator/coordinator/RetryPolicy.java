package dev.muster.orchestrator.coordinator;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * When a run that ended without an outcome is tried again, and when it stops being tried: exponential backoff with
 * jitter (so that replicas do not retry in step), up to a bound of attempts. A run whose session died (an operator's
 * {@code pg_terminate_backend}, a restart) counts as an attempt; at the bound, its cause is the run's failure.
 * Immutable.
 */
public final class RetryPolicy {
  /** Three attempts, 1 s then 2 s apart (each ±50 %), never more than 30 s. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(30),
      () -> ThreadLocalRandom.current().nextDouble());

  private final int attempts;
  private final Duration base;
  private final Duration max;
  private final DoubleSupplier random;

  /** @param random uniform in [0, 1): the jitter's source */
  public RetryPolicy(int attempts, Duration base, Duration max, DoubleSupplier random) {
    if (attempts < 1) throw new IllegalArgumentException("attempts must be at least 1");
    this.attempts = attempts;
    this.base = base;
    this.max = max;
    this.random = random;
  }

  /** How many attempts a run gets before its cause is its failure. */
  public int attempts() {
    return attempts;
  }

  /** Whether attempt {@code attempt} (1-based) is the last one allowed. */
  public boolean isLast(int attempt) {
    return attempt >= attempts;
  }

  /** How long to wait before attempt {@code attempt} + 1: base × 2^(attempt−1), capped, times a jitter in [0.5, 1.5). */
  public Duration delayAfter(int attempt) {
    long ms = base.toMillis() << Math.min(Math.max(attempt - 1, 0), 20);
    ms = Math.min(ms, max.toMillis());
    return Duration.ofMillis(Math.max(1, (long) (ms * (0.5 + random.getAsDouble()))));
  }
}
