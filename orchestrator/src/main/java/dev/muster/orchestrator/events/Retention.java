package dev.muster.orchestrator.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How much of the event log to keep ({@code MUSTER_EVENTS_RETENTION}): events older than {@code maxAge}, and those
 * beyond the newest {@code maxEvents}, are pruned — either limit is enough — except what each schema's state needs
 * (its latest outcome and the run that led to it, and a run under way). {@code null} for a limit not set.
 */
public record Retention(Duration maxAge, Long maxEvents) {
  private static final Pattern AGE = Pattern.compile("(\\d{1,9})(d|h|m|s)");
  private static final Pattern COUNT = Pattern.compile("\\d{1,12}");

  public Retention {
    if (maxAge == null && maxEvents == null) throw new IllegalArgumentException("must set an age, a count or both");
    if (maxAge != null && maxAge.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("must keep events at least 1s, was " + maxAge);
    }
    if (maxEvents != null && maxEvents < 1) throw new IllegalArgumentException("must keep at least 1 event, was " + maxEvents);
  }

  /** {@code 30d}, {@code 12h}, {@code 90m}, {@code 3600s} (an age), {@code 1000000} (a count), or both: {@code 30d,1000000}. */
  public static Retention parse(String text) {
    Duration age = null;
    Long count = null;
    for (String part : text.split(",", -1)) {
      String p = part.strip();
      Matcher m = AGE.matcher(p);
      if (m.matches() && age == null) {
        long n = Long.parseLong(m.group(1));
        age = switch (m.group(2)) {
          case "d" -> Duration.ofDays(n);
          case "h" -> Duration.ofHours(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofSeconds(n);
        };
      } else if (COUNT.matcher(p).matches() && count == null) {
        count = Long.parseLong(p);
      } else {
        throw new IllegalArgumentException("must be an age (30d, 12h, 90m, 3600s), a count of events (1000000) or"
            + " both, comma-separated (30d,1000000), was '" + text + "'");
      }
    }
    return new Retention(age, count);
  }

  /** As {@link #parse} reads it. */
  public String format() {
    List<String> parts = new ArrayList<>();
    if (maxAge != null) {
      long s = maxAge.toSeconds();
      parts.add(s % 86_400 == 0 ? s / 86_400 + "d" : s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s");
    }
    if (maxEvents != null) parts.add(String.valueOf(maxEvents));
    return String.join(",", parts);
  }

  @Override
  public String toString() {
    return format();
  }
}
