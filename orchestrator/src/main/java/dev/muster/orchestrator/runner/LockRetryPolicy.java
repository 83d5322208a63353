package dev.muster.orchestrator.runner;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * When a migration whose lock wait timed out (SQLSTATE 55P03) is tried again: after an exponential pause with
 * jitter (half of it random, so replicas and schemas do not retry in step), while both bounds — attempts and
 * time since the first attempt — allow. Pure: the random source is given, so a test can pin it.
 */
public final class LockRetryPolicy {
  /** SQLSTATE lock_not_available: a {@code lock_timeout} ran out. */
  public static final String LOCK_NOT_AVAILABLE = "55P03";

  private final int maxAttempts;
  private final Duration maxElapsed;
  private final Duration firstDelay;
  private final Duration maxDelay;
  private final LongUnaryOperator random;

  /** @param random given n > 0, a number in [0, n) */
  public LockRetryPolicy(int maxAttempts, Duration maxElapsed, Duration firstDelay, Duration maxDelay,
      LongUnaryOperator random) {
    if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1");
    this.maxAttempts = maxAttempts;
    this.maxElapsed = maxElapsed;
    this.firstDelay = firstDelay;
    this.maxDelay = maxDelay.compareTo(firstDelay) < 0 ? firstDelay : maxDelay;
    this.random = random;
  }

  public LockRetryPolicy(int maxAttempts, Duration maxElapsed, Duration firstDelay, Duration maxDelay) {
    this(maxAttempts, maxElapsed, firstDelay, maxDelay, n -> ThreadLocalRandom.current().nextLong(n));
  }

  public static boolean isLockTimeout(String sqlState) {
    return LOCK_NOT_AVAILABLE.equals(sqlState);
  }

  /**
   * The pause after attempt {@code attempt} (1 for the first) failed, or {@code null} when the bounds allow no
   * further attempt: {@code elapsed} is the time since the first attempt began.
   */
  public Duration next(int attempt, Duration elapsed) {
    if (attempt >= maxAttempts) return null;
    long cap = maxDelay.toMillis();
    long base = firstDelay.toMillis() << Math.min(attempt - 1, 30);
    long ceiling = base <= 0 || base > cap ? cap : base;
    long half = ceiling / 2;
    Duration delay = Duration.ofMillis(ceiling - half + (half > 0 ? random.applyAsLong(half + 1) : 0));
    if (elapsed.plus(delay).compareTo(maxElapsed) > 0) return null;
    return delay;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration maxElapsed() {
    return maxElapsed;
  }
}
