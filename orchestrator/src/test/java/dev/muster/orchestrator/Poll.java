package dev.muster.orchestrator;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Looking again, every 20 ms, for what offers no event to wait on: a backend's end or phase in PostgreSQL's
 * views, a gauge of another process, a statement a server has logged. The bound only guards against a hang; no
 * test depends on how long the wait takes. Everything that can be waited for by an event is.
 */
final class Poll {
  static final Duration DEFAULT_BOUND = Duration.ofSeconds(30);
  private static final long INTERVAL_MS = 20;

  private Poll() {}

  /** Returns once {@code condition} holds; fails the test, naming {@code what}, if it does not within 30 s. */
  static void until(String what, BooleanSupplier condition) {
    until(what, DEFAULT_BOUND, condition);
  }

  /** Returns once {@code condition} holds; fails the test, naming {@code what}, if it does not within {@code bound}. */
  static void until(String what, Duration bound, BooleanSupplier condition) {
    if (!within(bound, condition)) fail("never within " + bound.toSeconds() + " s: " + what);
  }

  /** Whether {@code condition} came to hold within {@code bound}. */
  static boolean within(Duration bound, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) return false;
      try {
        Thread.sleep(INTERVAL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting", e);
      }
    }
    return true;
  }
}
