package dev.muster.bench;

import java.time.LocalTime;
import java.time.temporal.ChronoUnit;

/** What the bench is doing, on standard error, so that standard output holds only the results. */
final class Progress {
  private static volatile boolean quiet;

  private Progress() {}

  static void quiet(boolean value) {
    quiet = value;
  }

  static void say(String message) {
    if (!quiet) System.err.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + message);
  }
}
