package dev.muster.client;

import dev.muster.client.internal.Json;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * One event from the orchestrator's stream about the schema, such as {@code migration.started}.
 * The optional fields return {@code null} when the event does not carry them; {@link #data()} has
 * everything as sent.
 */
public final class MusterEvent {
  private final long id;
  private final String type;
  private final String atText;
  private Instant at; // parsed when asked for: java.time's parser costs a cold JVM tens of milliseconds
  private final String schema;
  private final String service;
  private final String instance;
  private final String version;
  private final String description;
  private final Long durationMs;
  private final String orchestrator;
  private final String errorSqlState;
  private final String errorMessage;
  private final Integer errorExitCode;
  private final String errorOutput;
  private final Long run;
  private final Long leaseSeconds;
  private final String requiredVersion;
  private final String reason;
  private final String data;

  private MusterEvent(long id, String type, Map<String, Object> fields, String data) {
    this.id = id;
    this.type = type;
    this.atText = Json.text(fields.get("at"));
    this.schema = Json.text(fields.get("schema"));
    this.service = Json.text(fields.get("service"));
    this.instance = Json.text(fields.get("instance"));
    this.version = Json.text(fields.get("version"));
    this.description = Json.text(fields.get("description"));
    this.durationMs = fields.get("durationMs") instanceof Number n ? n.longValue() : null;
    this.orchestrator = Json.text(fields.get("orchestrator"));
    Map<?, ?> error = fields.get("error") instanceof Map<?, ?> m ? m : Map.of();
    this.errorSqlState = Json.text(error.get("sqlState"));
    this.errorMessage = Json.text(error.get("message"));
    this.errorExitCode = error.get("exitCode") instanceof Long n ? Integer.valueOf(n.intValue()) : null;
    this.errorOutput = Json.text(error.get("output"));
    this.run = fields.get("run") instanceof Long n ? n : null;
    this.leaseSeconds = fields.get("leaseSeconds") instanceof Long n ? n : null;
    this.requiredVersion = Json.text(fields.get("requiredVersion"));
    this.reason = Json.text(fields.get("reason"));
    this.data = data;
  }

  /**
   * Reads an event from its SSE fields. The SSE {@code event:} is the type and {@code id:} the
   * sequence number; the JSON data's {@code type} and {@code seq} stand in when they are missing.
   * An event whose data says {@code "seq": null} is not in the log yet (the orchestrator sent it while
   * its database was unavailable): its id is {@code -1}, whatever id the stream carried over. Data that
   * is not a JSON object still makes an event, with only its type and id.
   */
  static MusterEvent parse(String sseId, String sseType, String data) {
    Map<String, Object> fields;
    try {
      fields = Json.parseObject(data);
    } catch (IllegalArgumentException notAnObject) {
      fields = Map.of();
    }
    String type = "message".equals(sseType) && fields.get("type") instanceof String t ? t : sseType;
    boolean unlogged = fields.containsKey("seq") && fields.get("seq") == null;
    long id = unlogged ? -1 : sequenceNumber(sseId, fields.get("seq"));
    return new MusterEvent(id, type, fields, data);
  }

  /** The event's sequence number in the orchestrator's log; {@code -1} if it had none. */
  public long id() {
    return id;
  }

  /**
   * What happened: {@code service.starting}, {@code migration.applied}, {@code schema.ready}, {@code
   * migrator.elected}, ...
   */
  public String type() {
    return type;
  }

  /** When it happened, as the orchestrator recorded it. */
  public Instant at() {
    if (at == null && atText != null) {
      at = instant(atText);
    }
    return at;
  }

  /** The schema the event is about. */
  public String schema() {
    return schema;
  }

  /** The service the event is about, for {@code service.*} events. */
  public String service() {
    return service;
  }

  /** The service instance the event is about, for {@code service.*} events. */
  public String instance() {
    return instance;
  }

  /** The migration's version, or the schema's version on {@code schema.ready}. */
  public String version() {
    return version;
  }

  /** The migration's description, such as {@code add orders}. */
  public String description() {
    return description;
  }

  /** How long the migration (or the whole run, on {@code schema.ready}) took, in milliseconds. */
  public Long durationMs() {
    return durationMs;
  }

  /** The id of the orchestrator replica that recorded the event. */
  public String orchestrator() {
    return orchestrator;
  }

  /** The SQLSTATE of the failure, on {@code schema.failed}. */
  public String errorSqlState() {
    return errorSqlState;
  }

  /** The database's error message, on {@code schema.failed}. */
  public String errorMessage() {
    return errorMessage;
  }

  /**
   * The exit code of the migration command, on a {@code schema.failed} of a delegated run; {@code
   * null} otherwise.
   */
  public Integer errorExitCode() {
    return errorExitCode;
  }

  /** The last lines of the migration command's output, on a {@code schema.failed} of a delegated run. */
  public String errorOutput() {
    return errorOutput;
  }

  /** The delegated run's id, on {@code migrator.elected} and {@code migrator.lost}. */
  public Long run() {
    return run;
  }

  /** How long the elected migrator's lease lasts without a heartbeat, on {@code migrator.elected}. */
  public Long leaseSeconds() {
    return leaseSeconds;
  }

  /** The version an arrival requires, on {@code service.starting}, {@code service.gave_up} and elections. */
  public String requiredVersion() {
    return requiredVersion;
  }

  /** Why a migrator lost its lease, on {@code migrator.lost}: {@code lease_expired}, {@code stream_closed}, ... */
  public String reason() {
    return reason;
  }

  /** The event's JSON data, as sent. */
  public String data() {
    return data;
  }

  /** A one-line summary, such as {@code migration.started V3 'add orders' at 2026-11-21T10:15:02Z}. */
  @Override
  public String toString() {
    StringBuilder summary = new StringBuilder(type);
    if (version != null) {
      summary.append(" V").append(version);
    }
    if (description != null) {
      summary.append(" '").append(description).append('\'');
    }
    if (instance != null) {
      summary.append(' ').append(service == null ? "" : service + "/").append(instance);
    }
    if (errorSqlState != null) {
      summary.append(" SQLSTATE ").append(errorSqlState);
    }
    if (atText != null) {
      summary.append(" at ").append(atText);
    }
    return summary.toString();
  }

  private static long sequenceNumber(String sseId, Object seq) {
    if (sseId != null) {
      try {
        return Long.parseLong(sseId.trim());
      } catch (NumberFormatException notANumber) {
        // an id that is not a sequence number: fall back to the data's seq
      }
    }
    return seq instanceof Long n ? n : -1;
  }

  private static Instant instant(Object value) {
    if (!(value instanceof String text)) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException unparseable) {
      return null;
    }
  }
}
