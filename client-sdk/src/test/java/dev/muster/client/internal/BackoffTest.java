package dev.muster.client.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.RepeatedTest;

class BackoffTest {
  @RepeatedTest(20)
  void pausesDoubleFromHundredMillisecondsToTwoSecondsWithJitter() {
    Backoff backoff = new Backoff();
    long[] steps = {100, 200, 400, 800, 1_600, 2_000, 2_000, 2_000};
    for (long step : steps) {
      assertBetween(step / 2, step, backoff.nextDelayMillis());
    }
  }

  @RepeatedTest(20)
  void resetStartsOverAtTheShortestPause() {
    Backoff backoff = new Backoff();
    for (int i = 0; i < 10; i++) {
      backoff.nextDelayMillis();
    }

    backoff.reset();

    assertBetween(50, 100, backoff.nextDelayMillis());
  }

  private static void assertBetween(long min, long max, long actual) {
    assertTrue(actual >= min && actual <= max, actual + " not in [" + min + ", " + max + "]");
  }
}
