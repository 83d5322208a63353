package dev.muster.client;

import java.time.Duration;
import java.util.Locale;

/** Durations in messages: {@code 600 s}, {@code 1.5 s}, {@code 250 ms}. */
final class Durations {
  private Durations() {}

  static String format(Duration duration) {
    long millis = duration.toMillis();
    if (millis < 1_000) {
      return millis + " ms";
    }
    if (millis < 10_000 && millis % 1_000 != 0) {
      return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
    return duration.toSeconds() + " s";
  }
}
