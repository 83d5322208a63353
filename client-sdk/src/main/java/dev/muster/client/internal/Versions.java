package dev.muster.client.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Schema versions as Flyway writes them: numbers separated by {@code .} or {@code _}. Read character by
 * character, not with {@code java.util.regex}, which would cost a cold JVM milliseconds.
 */
public final class Versions {
  private Versions() {}

  /** Whether {@code text} is a version such as {@code 4}, {@code 1.2} or {@code 2_1_0}: {@code [0-9]+([._][0-9]+)*}. */
  public static boolean isValid(String text) {
    boolean digitBefore = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digitBefore = true;
      } else if ((c == '.' || c == '_') && digitBefore) {
        digitBefore = false;
      } else {
        return false;
      }
    }
    return digitBefore;
  }

  /**
   * Compares part by part as numbers of any length, so {@code 10 > 9}, {@code 1.2 = 1_2} and
   * {@code 4 = 4.0}, as Flyway does.
   *
   * @throws IllegalArgumentException if either is not {@linkplain #isValid valid}
   */
  public static int compare(String a, String b) {
    String[] left = parts(a);
    String[] right = parts(b);
    for (int i = 0; i < Math.max(left.length, right.length); i++) {
      int order = compareNumbers(i < left.length ? left[i] : "0", i < right.length ? right[i] : "0");
      if (order != 0) {
        return order;
      }
    }
    return 0;
  }

  private static String[] parts(String version) {
    if (!isValid(version)) {
      throw new IllegalArgumentException("not a version: '" + version + "'");
    }
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= version.length(); i++) {
      if (i == version.length() || version.charAt(i) == '.' || version.charAt(i) == '_') {
        parts.add(version.substring(start, i));
        start = i + 1;
      }
    }
    return parts.toArray(new String[0]);
  }

  private static int compareNumbers(String a, String b) {
    String x = stripLeadingZeros(a);
    String y = stripLeadingZeros(b);
    return x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
  }

  private static String stripLeadingZeros(String digits) {
    int i = 0;
    while (i < digits.length() - 1 && digits.charAt(i) == '0') {
      i++;
    }
    return digits.substring(i);
  }
}
