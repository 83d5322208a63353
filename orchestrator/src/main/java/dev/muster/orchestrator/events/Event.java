package dev.muster.orchestrator.events;

import io.vertx.core.json.JsonObject;

/**
 * One entry of the event log, as clients see it: the JSON object carries at least {@code seq}, {@code type},
 * {@code at} and {@code schema}, and where they apply the contract's other fields.
 */
public record Event(long seq, String type, String schema, JsonObject json) {

  // The contract's event types.
  public static final String SERVICE_STARTING = "service.starting";
  public static final String SERVICE_RELEASED = "service.released";
  public static final String SERVICE_GAVE_UP = "service.gave_up";
  public static final String SCHEMA_LOCK_ACQUIRED = "schema.lock_acquired";
  public static final String MIGRATION_STARTED = "migration.started";
  public static final String MIGRATION_APPLIED = "migration.applied";
  public static final String SCHEMA_READY = "schema.ready";
  public static final String SCHEMA_FAILED = "schema.failed";

  public static Event fromJson(JsonObject json) {
    return new Event(json.getLong("seq"), json.getString("type"), json.getString("schema"), json);
  }

  public String instance() {
    return json.getString("instance");
  }

  public String version() {
    return json.getString("version");
  }

  public String orchestrator() {
    return json.getString("orchestrator");
  }

  /** A new event's fields before the log gives it {@code seq} and {@code at}. */
  public static JsonObject of(String type, String schema) {
    return new JsonObject().put("type", type).put("schema", schema);
  }
}
