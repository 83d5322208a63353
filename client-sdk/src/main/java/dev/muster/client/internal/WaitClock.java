package dev.muster.client.internal;

import java.util.concurrent.TimeUnit;

/**
 * The time a wait reads and the pauses it takes, so that tests can run a wait's deadlines and backoff
 * on a clock of their own instead of sleeping.
 */
public interface WaitClock {
  /** Like {@link System#nanoTime()}: only differences mean anything. */
  long nanoTime();

  /** Pauses the calling thread; an interrupt ends the pause with {@link InterruptedException}. */
  void sleep(long nanos) throws InterruptedException;

  /** The system's monotonic clock, and real pauses. */
  WaitClock SYSTEM = new WaitClock() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleep(long nanos) throws InterruptedException {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
  };
}
