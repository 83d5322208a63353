package dev.muster.client.internal;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The orchestrator's rules for the fields of an arrival, with its wording: each method returns why a
 * value is refused, or {@code null} when the orchestrator accepts it. {@code testdata/arrival-fields.tsv}
 * at the project's root lists the boundaries that the SDK's, the orchestrator's and muster-wait's tests
 * all check.
 */
public final class ArrivalFields {
  private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
  private static final Pattern INSTANCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]*");
  private static final int SCHEMA_MAX_BYTES = 63;
  private static final Pattern FLYWAY_VERSION = Pattern.compile("[0-9]{1,18}([._][0-9]{1,18}){0,7}");
  private static final Pattern OPAQUE_VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}");
  private static final Pattern DEPLOY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");

  public static final int MAX_INSTANCE_LENGTH = 128;

  private ArrivalFields() {}

  public static String service(String value) {
    return SERVICE.matcher(value).matches() ? null
        : "service must be 1-63 characters of letters, digits, '_', '.', '-', starting with a letter or digit";
  }

  public static String instance(String value) {
    return INSTANCE.matcher(value).matches() ? null
        : "instance must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter or digit";
  }

  public static String schema(String value) {
    if (value.isEmpty()) {
      return "schema must be a non-empty string";
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > SCHEMA_MAX_BYTES) {
      return "schema name must be at most 63 characters";
    }
    return SCHEMA.matcher(value).matches() ? null
        : "schema name must match [a-z_][a-z0-9_]* (lower-case letters, digits and underscores)";
  }

  /**
   * A client cannot know whether its schema is migrated by Flyway or delegated to the services' own
   * tool, so it accepts both forms; the orchestrator refuses the opaque form on a Flyway schema.
   */
  public static String requiredVersion(String value) {
    return FLYWAY_VERSION.matcher(value).matches() || OPAQUE_VERSION.matcher(value).matches() ? null
        : "requiredVersion must be a Flyway version (digits separated by '.' or '_', such as \"4\" or \"1.2\")"
            + " or, for a delegated schema, 1-128 characters of letters, digits, '_', '.', ':', '+', '-',"
            + " starting with a letter or digit";
  }

  public static String deploy(String value) {
    return DEPLOY.matcher(value).matches() ? null
        : "deploy must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter or digit";
  }
}
