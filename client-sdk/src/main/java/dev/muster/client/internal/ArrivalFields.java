package dev.muster.client.internal;

import java.nio.charset.StandardCharsets;

/**
 * The orchestrator's rules for the fields of an arrival, with its wording: each method returns why a
 * value is refused, or {@code null} when the orchestrator accepts it. {@code testdata/arrival-fields.tsv}
 * at the project's root lists the boundaries that the SDK's, the orchestrator's and muster-wait's tests
 * all check.
 *
 * <p>Checked character by character, not with {@code java.util.regex}: compiling and running the
 * patterns cost a cold JVM milliseconds on every start, for rules this simple.
 */
public final class ArrivalFields {
  private static final int SERVICE_MAX = 63;
  private static final int SCHEMA_MAX_BYTES = 63;
  private static final int FLYWAY_PARTS_MAX = 8;
  private static final int FLYWAY_PART_DIGITS_MAX = 18;

  public static final int MAX_INSTANCE_LENGTH = 128;

  private ArrivalFields() {}

  public static String service(String value) {
    return isName(value, SERVICE_MAX, "_.-") ? null
        : "service must be 1-63 characters of letters, digits, '_', '.', '-', starting with a letter or digit";
  }

  public static String instance(String value) {
    return isName(value, MAX_INSTANCE_LENGTH, "_.:-") ? null
        : "instance must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter or digit";
  }

  /** Whether the character may appear in an instance id (after its first, which must be a letter or digit). */
  public static boolean isInstanceChar(int c) {
    return isAsciiLetterOrDigit(c) || c == '_' || c == '.' || c == ':' || c == '-';
  }

  public static String schema(String value) {
    if (value.isEmpty()) {
      return "schema must be a non-empty string";
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > SCHEMA_MAX_BYTES) {
      return "schema name must be at most 63 characters";
    }
    return isSchemaName(value) ? null
        : "schema name must match [a-z_][a-z0-9_]* (lower-case letters, digits and underscores)";
  }

  /**
   * A client cannot know whether its schema is migrated by Flyway or delegated to the services' own
   * tool, so it accepts both forms; the orchestrator refuses the opaque form on a Flyway schema.
   */
  public static String requiredVersion(String value) {
    return isFlywayVersion(value) || isName(value, MAX_INSTANCE_LENGTH, "_.:+-") ? null
        : "requiredVersion must be a Flyway version (digits separated by '.' or '_', such as \"4\" or \"1.2\")"
            + " or, for a delegated schema, 1-128 characters of letters, digits, '_', '.', ':', '+', '-',"
            + " starting with a letter or digit";
  }

  public static String deploy(String value) {
    return isName(value, MAX_INSTANCE_LENGTH, "_.:-") ? null
        : "deploy must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter or digit";
  }

  /** {@code [A-Za-z0-9][A-Za-z0-9<others>]{0,max-1}}. */
  private static boolean isName(String value, int max, String others) {
    if (value.isEmpty() || value.length() > max || !isAsciiLetterOrDigit(value.charAt(0))) {
      return false;
    }
    for (int i = 1; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!isAsciiLetterOrDigit(c) && others.indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  /** {@code [a-z_][a-z0-9_]*}. */
  private static boolean isSchemaName(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean allowed = c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9';
      if (!allowed) {
        return false;
      }
    }
    return !value.isEmpty();
  }

  /** {@code [0-9]{1,18}([._][0-9]{1,18}){0,7}}. */
  private static boolean isFlywayVersion(String value) {
    int parts = 1;
    int digits = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= '0' && c <= '9') {
        if (++digits > FLYWAY_PART_DIGITS_MAX) {
          return false;
        }
      } else if ((c == '.' || c == '_') && digits > 0 && parts < FLYWAY_PARTS_MAX) {
        parts++;
        digits = 0;
      } else {
        return false;
      }
    }
    return digits > 0;
  }

  private static boolean isAsciiLetterOrDigit(int c) {
    return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
  }
}
