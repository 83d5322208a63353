package dev.muster.orchestrator.http;

import dev.muster.orchestrator.config.RunnerChoice;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.events.Fields;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.regex.Pattern;

/** The body of {@code POST /api/v1/arrivals}, checked field by field before anything else happens. */
record ArrivalRequest(String service, String instance, String schema, String requiredVersion, Duration timeout,
    boolean canMigrate, String deploy) {

  private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
  private static final Pattern INSTANCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[0-9]{1,18}([._][0-9]{1,18}){0,7}");
  /** A delegated schema's version: opaque (an Alembic revision, a Django migration name). */
  private static final Pattern OPAQUE_VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}");
  private static final Pattern DEPLOY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
  static final String OPAQUE_VERSION_RULE =
      "1-128 characters of letters, digits, '_', '.', ':', '+', '-', starting with a letter or digit";
  static final long MAX_TIMEOUT_SECONDS = 86_400;

  static ArrivalRequest parse(JsonObject body, SchemaNames allowed) {
    return parse(body, allowed, RunnerChoice.FLYWAY);
  }

  static ArrivalRequest parse(JsonObject body, SchemaNames allowed, RunnerChoice runners) {
    String service = service(body);
    String instance = instance(body);
    String schema = string(body, Fields.SCHEMA, false);
    if (schema == null) schema = "public";
    String invalidSchema = SchemaNames.invalid(schema);
    if (invalidSchema != null) throw invalid(invalidSchema);
    String rejection = allowed.rejection(schema);
    if (rejection != null) throw new ApiException(403, "schema_not_allowed", rejection);
    boolean delegated = runners.delegated(schema);
    String version = delegated ? opaqueVersion(body) : version(body);
    Duration timeout = timeout(body.getValue(Fields.TIMEOUT_SECONDS));
    Object canMigrate = body.getValue(Fields.CAN_MIGRATE);
    if (canMigrate != null && !(canMigrate instanceof Boolean)) throw invalid("canMigrate must be true or false");
    String deploy = string(body, Fields.DEPLOY, false);
    if (deploy != null && !DEPLOY.matcher(deploy).matches()) {
      throw invalid("deploy must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter or digit");
    }
    // On a Flyway schema, canMigrate and deploy are accepted and have no effect: the orchestrator runs Flyway.
    return new ArrivalRequest(service, instance, schema, version, timeout, Boolean.TRUE.equals(canMigrate), deploy);
  }

  /** The {@code service} of a body, checked; 400 unless valid. */
  static String service(JsonObject body) {
    String service = string(body, Fields.SERVICE, true);
    if (!SERVICE.matcher(service).matches()) {
      throw invalid("service must be 1-63 characters of letters, digits, '_', '.', '-', starting with a letter or digit");
    }
    return service;
  }

  /** The {@code instance} of a body, checked; 400 unless valid. */
  static String instance(JsonObject body) {
    String instance = string(body, Fields.INSTANCE, true);
    if (!INSTANCE.matcher(instance).matches()) {
      throw invalid("instance must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter or digit");
    }
    return instance;
  }

  /** An opaque version named {@code what}, as it was given; 400 unless it has the form. */
  static String opaqueVersion(String what, Object raw) {
    if (raw == null) return null;
    String text = raw instanceof Integer || raw instanceof Long ? raw.toString() : raw instanceof String t ? t : null;
    if (text == null || !OPAQUE_VERSION.matcher(text).matches()) {
      throw invalid(what + " must be " + OPAQUE_VERSION_RULE);
    }
    return text;
  }

  private static String opaqueVersion(JsonObject body) {
    return opaqueVersion(Fields.REQUIRED_VERSION, body.getValue(Fields.REQUIRED_VERSION));
  }

  private static String version(JsonObject body) {
    Object raw = body.getValue(Fields.REQUIRED_VERSION);
    if (raw == null) return null;
    String text;
    if (raw instanceof String) {
      text = (String) raw;
    } else if (raw instanceof Integer || raw instanceof Long) {
      text = raw.toString();
    } else {
      throw invalid("requiredVersion must be a string such as \"4\" or \"1.2\"");
    }
    return version(Fields.REQUIRED_VERSION, text);
  }

  /** A Flyway version named {@code what}, in its dotted form; 400 unless it is one. */
  static String version(String what, String text) {
    if (!VERSION.matcher(text).matches()) {
      throw invalid(what + " must be a Flyway version: digits separated by '.' or '_', such as \"4\" or \"1.2\"");
    }
    return text.replace('_', '.');
  }

  static Duration timeout(Object raw) {
    if (raw == null) return null;
    long seconds;
    if (raw instanceof Integer || raw instanceof Long) {
      seconds = ((Number) raw).longValue();
    } else if (raw instanceof String && ((String) raw).matches("[0-9]{1,9}")) {
      seconds = Long.parseLong((String) raw);
    } else {
      throw invalid("timeout must be a whole number of seconds");
    }
    if (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
      throw invalid("timeout must be between 1 and " + MAX_TIMEOUT_SECONDS + " seconds, was " + seconds);
    }
    return Duration.ofSeconds(seconds);
  }

  private static String string(JsonObject body, String field, boolean required) {
    Object value = body.getValue(field);
    if (value == null) {
      if (required) throw invalid(field + " is required");
      return null;
    }
    if (!(value instanceof String)) throw invalid(field + " must be a string");
    return (String) value;
  }

  private static ApiException invalid(String message) {
    return new ApiException(400, "invalid_request", message);
  }
}
