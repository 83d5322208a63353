package dev.muster.orchestrator.events;

import java.util.regex.Pattern;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Schema versions in Flyway's order: {@code 1.10 > 1.9}, {@code 2 = 2.0}. A delegated schema's versions are opaque
 * (an Alembic revision, a Django migration name): two of them are compared for equality unless both are Flyway
 * versions.
 */
public final class Versions {
  private static final Pattern FLYWAY = Pattern.compile("[0-9]{1,18}([._][0-9]{1,18}){0,7}");

  private Versions() {}

  public static int compare(String a, String b) {
    return MigrationVersion.fromVersion(a).compareTo(MigrationVersion.fromVersion(b));
  }

  /** Whether {@code v} reads as a Flyway version: digits separated by '.' or '_'. */
  public static boolean isFlyway(String v) {
    return v != null && FLYWAY.matcher(v).matches();
  }

  /**
   * True when a schema at {@code version} ({@code null}: nothing applied) is new enough for {@code required}
   * ({@code null}: anything is): at it or newer for Flyway versions, equal for opaque ones.
   */
  public static boolean reaches(String version, String required) {
    if (required == null) return true;
    if (version == null) return false;
    // The usual answer, asked once per waiter when an outcome releases a thousand: the very version it needs.
    if (version.equals(required)) return true;
    // Two opaque versions, or one of each, differ here: only equal ones reach each other.
    return isFlyway(version) && isFlyway(required) && compare(version, required) >= 0;
  }

  /** The newer of two versions; either may be {@code null}. Of two opaque ones, the later told ({@code b}). */
  public static String newer(String a, String b) {
    if (a == null) return b;
    if (b == null) return a;
    if (!isFlyway(a) || !isFlyway(b)) return b;
    return compare(a, b) >= 0 ? a : b;
  }
}
