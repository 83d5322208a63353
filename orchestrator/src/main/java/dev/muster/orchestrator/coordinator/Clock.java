package dev.muster.orchestrator.coordinator;

import java.time.Duration;
import java.time.Instant;

/**
 * Time for the coordinator: durations, and timers that fire on its context. {@link VertxClock} in a replica; a
 * clock a test moves by hand, so that timeouts and take-overs are tested without sleeping.
 */
public interface Clock {

  /** A monotonic reading for durations, as {@link System#nanoTime()}. */
  long nanoTime();

  /** The wall-clock time. */
  Instant now();

  /** Runs {@code task} once after {@code delay}, on the caller's context. */
  Timer schedule(Duration delay, Runnable task);

  /**
   * Runs {@code task} on the caller's context once the caller's task and everything it queued have run — at once
   * where nothing is queued (a test's clock): work that must not stand in front of what this turn set going.
   */
  default void later(Runnable task) {
    task.run();
  }

  /** A scheduled task; cancelling it twice, or after it ran, does nothing. */
  interface Timer {
    void cancel();
  }
}
