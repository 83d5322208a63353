package dev.muster.orchestrator.events;

import org.flywaydb.core.api.MigrationVersion;

/** Schema versions in Flyway's order: {@code 1.10 > 1.9}, {@code 2 = 2.0}. */
public final class Versions {
  private Versions() {}

  public static int compare(String a, String b) {
    return MigrationVersion.fromVersion(a).compareTo(MigrationVersion.fromVersion(b));
  }

  /** True when a schema at {@code version} ({@code null}: nothing applied) is new enough for {@code required} ({@code null}: anything is). */
  public static boolean reaches(String version, String required) {
    if (required == null) return true;
    return version != null && compare(version, required) >= 0;
  }

  /** The newer of two versions; either may be {@code null}. */
  public static String newer(String a, String b) {
    if (a == null) return b;
    if (b == null) return a;
    return compare(a, b) >= 0 ? a : b;
  }
}
