package dev.muster.client;

import dev.muster.client.internal.WaitClock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A wait's clock that moves only when told: a pause moves it by the pause, at once, and a test (or the
 * scripted orchestrator, per heartbeat) moves it with {@link #advance}. So deadlines and backoff run
 * without sleeping, and a timeout is reached after the same steps on a loaded machine as on an idle one.
 */
final class ManualClock implements WaitClock {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AtomicInteger pauses = new AtomicInteger();
  private final CountDownLatch firstPause = new CountDownLatch(1);
  private final boolean pausesBlock;

  private ManualClock(boolean pausesBlock) {
    this.pausesBlock = pausesBlock;
  }

  /** Pauses take no time: the clock jumps by the pause. */
  static ManualClock instant() {
    return new ManualClock(false);
  }

  /** Pauses last until the pausing thread is interrupted, for a test to catch a wait in its backoff. */
  static ManualClock pausesUntilInterrupted() {
    return new ManualClock(true);
  }

  @Override
  public long nanoTime() {
    return now.get();
  }

  @Override
  public void sleep(long nanos) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    pauses.incrementAndGet();
    firstPause.countDown();
    if (pausesBlock) {
      Thread.sleep(Long.MAX_VALUE);
    }
    now.addAndGet(nanos);
  }

  void advance(Duration duration) {
    now.addAndGet(duration.toNanos());
  }

  int pauses() {
    return pauses.get();
  }

  /** Waits (really) until the wait pauses for the first time. */
  boolean awaitFirstPause(Duration within) throws InterruptedException {
    return firstPause.await(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }
}
