package dev.muster.client.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Pauses between reconnects: 100 ms doubling to 2 s, each drawn at random from the upper half of the
 * current step so that a fleet cut off at the same moment does not reconnect in lockstep. Not
 * thread-safe; one per wait.
 */
public final class Backoff {
  static final long FIRST_MILLIS = 100;
  static final long MAX_MILLIS = 2_000;

  private long stepMillis = FIRST_MILLIS;

  /** The next pause in milliseconds; each call lengthens the one after, up to the maximum. */
  public long nextDelayMillis() {
    long step = stepMillis;
    stepMillis = Math.min(step * 2, MAX_MILLIS);
    return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
  }

  /** Back to the shortest pause, after a connection proved healthy. */
  public void reset() {
    stepMillis = FIRST_MILLIS;
  }
}
