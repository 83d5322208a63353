package dev.muster.orchestrator.events;

import static dev.muster.orchestrator.events.Fields.*;

import dev.muster.orchestrator.events.Payload.FailureReport;
import dev.muster.orchestrator.events.Payload.LockAcquired;
import dev.muster.orchestrator.events.Payload.LogPruned;
import dev.muster.orchestrator.events.Payload.MigrationApplied;
import dev.muster.orchestrator.events.Payload.MigrationStarted;
import dev.muster.orchestrator.events.Payload.MigratorElected;
import dev.muster.orchestrator.events.Payload.MigratorLost;
import dev.muster.orchestrator.events.Payload.RunError;
import dev.muster.orchestrator.events.Payload.SchemaFailed;
import dev.muster.orchestrator.events.Payload.SchemaReady;
import dev.muster.orchestrator.events.Payload.SchemaInterrupted;
import dev.muster.orchestrator.events.Payload.SchemaRepaired;
import dev.muster.orchestrator.events.Payload.ServiceGaveUp;
import dev.muster.orchestrator.events.Payload.ServiceReleased;
import dev.muster.orchestrator.events.Payload.ServiceStarting;
import dev.muster.orchestrator.events.Payload.Unrecognized;
import dev.muster.orchestrator.events.Payload.Blocker;
import dev.muster.orchestrator.events.Payload.MigrationBlocked;
import dev.muster.orchestrator.events.Payload.MigrationIntervened;
import dev.muster.orchestrator.events.Payload.MigrationRetrying;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The one JSON form of events: what the log stores in {@code muster.events.data}, what NOTIFY, SSE and the
 * commands carry. Optional fields are written as {@code null}, as the contract's readers expect them.
 */
public final class EventCodec {
  private EventCodec() {}

  /** The event's fields as the log stores them: {@code type}, {@code schema}, its own fields, and who appended it. */
  public static JsonObject encode(Payload payload, String orchestrator) {
    JsonObject json;
    if (payload instanceof Unrecognized u) {
      json = u.fields().copy();
    } else {
      json = new JsonObject();
      write(payload, json);
    }
    json.put(TYPE, payload.typeName()).put(SCHEMA, payload.schema());
    if (!(payload instanceof Unrecognized)) json.put(ORCHESTRATOR, orchestrator);
    return json;
  }

  /** An event as a reader sees it: the stored fields with its {@code seq} and {@code at}; {@code seq} null when unlogged. */
  public static JsonObject encode(Event event) {
    return encode(event.payload(), event.orchestrator()).put(SEQ, event.loggedSeq())
        .put(AT, event.at() == null ? null : event.at().toString());
  }

  /**
   * An event read from the log (or its NOTIFY copy): the stored fields with {@code seq} and {@code at}. Its JSON
   * text is kept, compact, with every field it came with — those a newer replica added too.
   */
  public static Event decode(String text) {
    JsonObject json = new JsonObject(text);
    Object seq = json.getValue(SEQ);
    // A run's id is the number of its election, which the log gives only once the event is in it.
    boolean runAdded = EventType.MIGRATOR_ELECTED.wire().equals(json.getValue(TYPE)) && json.getValue(RUN) == null
        && seq != null;
    if (runAdded) json.put(RUN, seq);
    // The text as it came, made compact: no second pass of the JSON encoder, unless a field was added.
    return new Event(seq instanceof Number n ? n.longValue() : null, json.getString(AT), json.getString(ORCHESTRATOR),
        payload(json), runAdded ? json.encode() : compact(text));
  }

  /**
   * JSON text without its white space outside strings: for PostgreSQL's text of a {@code jsonb} value, which writes
   * {@code ", "} and {@code ": "} between items, the form the JSON encoder gives — and always one line, as SSE needs.
   */
  static String compact(String json) {
    StringBuilder out = new StringBuilder(json.length());
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        out.append(c);
        if (c == '\\') {
          out.append(json.charAt(++i));
        } else if (c == '"') {
          inString = false;
        }
      } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        out.append(c);
        inString = c == '"';
      }
    }
    return out.toString();
  }

  public static JsonObject encode(FailureReport report) {
    JsonObject json = new JsonObject().put(SQL_STATE, report.sqlState()).put(MESSAGE, report.message())
        .put(VERSION, report.version()).put(DESCRIPTION, report.description());
    if (report.exitCode() != null) json.put(EXIT_CODE, report.exitCode());
    if (report.output() != null) json.put(OUTPUT, report.output());
    return json;
  }

  private static JsonObject encode(RunError error) {
    JsonObject json = new JsonObject().put(SQL_STATE, error.sqlState()).put(MESSAGE, error.message());
    if (error.exitCode() != null) json.put(EXIT_CODE, error.exitCode());
    if (error.output() != null) json.put(OUTPUT, error.output());
    return json;
  }

  private static void write(Payload payload, JsonObject json) {
    switch (payload.type()) {
      case SERVICE_STARTING -> {
        ServiceStarting p = (ServiceStarting) payload;
        json.put(SERVICE, p.service()).put(INSTANCE, p.instance()).put(REQUIRED_VERSION, p.requiredVersion());
      }
      case SERVICE_RELEASED -> {
        ServiceReleased p = (ServiceReleased) payload;
        json.put(SERVICE, p.service()).put(INSTANCE, p.instance()).put(VERSION, p.version())
            .put(DURATION_MS, p.durationMs());
      }
      case SERVICE_GAVE_UP -> {
        ServiceGaveUp p = (ServiceGaveUp) payload;
        json.put(SERVICE, p.service()).put(INSTANCE, p.instance()).put(REQUIRED_VERSION, p.requiredVersion())
            .put(DURATION_MS, p.durationMs());
      }
      case SCHEMA_LOCK_ACQUIRED -> {
        LockAcquired p = (LockAcquired) payload;
        json.put(VERSION, p.version()).put(TARGET_VERSION, p.targetVersion()).put(PENDING, p.pending())
            .put(LOCK_SESSION, p.lockSession())
            .put(DROPPED_INVALID_INDEXES, p.droppedInvalidIndexes() == null ? null : new JsonArray(p.droppedInvalidIndexes()));
      }
      case MIGRATION_STARTED -> {
        MigrationStarted p = (MigrationStarted) payload;
        json.put(VERSION, p.version()).put(DESCRIPTION, p.description());
      }
      case MIGRATION_APPLIED -> {
        MigrationApplied p = (MigrationApplied) payload;
        json.put(VERSION, p.version()).put(DESCRIPTION, p.description()).put(DURATION_MS, p.durationMs());
      }
      case SCHEMA_READY -> {
        SchemaReady p = (SchemaReady) payload;
        json.put(VERSION, p.version()).put(MIGRATIONS, p.migrations()).put(DURATION_MS, p.durationMs());
      }
      case SCHEMA_FAILED -> {
        SchemaFailed p = (SchemaFailed) payload;
        json.put(VERSION, p.version()).put(DESCRIPTION, p.description()).put(SCHEMA_VERSION, p.schemaVersion())
            .put(ERROR, encode(p.error()))
            .put(DURATION_MS, p.durationMs());
      }
      case MIGRATION_BLOCKED -> {
        MigrationBlocked p = (MigrationBlocked) payload;
        json.put(VERSION, p.version()).put(DESCRIPTION, p.description()).put(ATTEMPT, p.attempt())
            .put(RUN_PID, p.runPid()).put(LOCK_TIMEOUT_MS, p.lockTimeoutMs()).put(BLOCKERS, encode(p.blockers()));
      }
      case MIGRATION_RETRYING -> {
        MigrationRetrying p = (MigrationRetrying) payload;
        json.put(VERSION, p.version()).put(DESCRIPTION, p.description()).put(ATTEMPT, p.attempt())
            .put(DELAY_MS, p.delayMs())
            .put(ERROR, new JsonObject().put(SQL_STATE, p.error().sqlState()).put(MESSAGE, p.error().message()))
            .put(BLOCKERS, encode(p.blockers()));
      }
      case MIGRATION_INTERVENED -> {
        MigrationIntervened p = (MigrationIntervened) payload;
        json.put(ACTION, p.action() == null ? null : p.action().wire()).put(PID, p.pid()).put(BY, p.by())
            .put(DONE, p.done());
      }
      case SCHEMA_REPAIRED -> {
        SchemaRepaired p = (SchemaRepaired) payload;
        json.put(ACCEPTED, p.accepted()).put(REMAINING, p.remaining()).put(ALIGNED, p.aligned()).put(DELETED, p.deleted())
            .put(REMOVED, p.removed());
      }
      case SCHEMA_INTERRUPTED -> {
        SchemaInterrupted p = (SchemaInterrupted) payload;
        json.put(VERSION, p.version()).put(ATTEMPT, p.attempt()).put(ATTEMPTS, p.attempts())
            .put(ERROR, new JsonObject().put(SQL_STATE, p.error().sqlState()).put(MESSAGE, p.error().message()));
      }
      case MIGRATOR_ELECTED -> {
        MigratorElected p = (MigratorElected) payload;
        json.put(SERVICE, p.service()).put(INSTANCE, p.instance()).put(RUN, p.run()).put(LEASE_SECONDS, p.leaseSeconds())
            .put(VERSION, p.version()).put(REQUIRED_VERSION, p.requiredVersion()).put(DEPLOY, p.deploy());
      }
      case MIGRATOR_LOST -> {
        MigratorLost p = (MigratorLost) payload;
        json.put(SERVICE, p.service()).put(INSTANCE, p.instance()).put(RUN, p.run()).put(REASON, p.reason());
      }
      case LOG_PRUNED -> {
        LogPruned p = (LogPruned) payload;
        json.put(AFTER, p.after()).put(HORIZON, p.horizon());
      }
    }
  }

  /** Blockers as events and schema views carry them. */
  public static JsonArray encode(List<Blocker> blockers) {
    JsonArray array = new JsonArray();
    for (Blocker b : blockers) {
      array.add(new JsonObject().put(PID, b.pid()).put(APPLICATION, b.application()).put(USER, b.user())
          .put(CLIENT_ADDR, b.clientAddr()).put(STATE, b.state()).put(TRANSACTION_AGE_MS, b.transactionAgeMs())
          .put(STATE_AGE_MS, b.stateAgeMs()).put(QUERY, b.query()));
    }
    return array;
  }

  private static List<Blocker> blockers(Object value) {
    List<Blocker> blockers = new ArrayList<>();
    if (!(value instanceof JsonArray array)) return blockers;
    for (Object o : array) {
      if (!(o instanceof JsonObject b) || !(b.getValue(PID) instanceof Number pid)) continue;
      blockers.add(new Blocker(pid.intValue(), text(b, APPLICATION), text(b, USER), text(b, CLIENT_ADDR), text(b, STATE),
          number(b, TRANSACTION_AGE_MS), number(b, STATE_AGE_MS), text(b, QUERY)));
    }
    return blockers;
  }

  private static Payload payload(JsonObject json) {
    String typeName = json.getString(TYPE);
    EventType type = EventType.fromWire(typeName);
    String schema = json.getString(SCHEMA);
    if (type == null) {
      JsonObject fields = json.copy();
      fields.remove(SEQ);
      fields.remove(AT);
      return new Unrecognized(typeName, schema, fields);
    }
    return switch (type) {
      case SERVICE_STARTING -> new ServiceStarting(schema, text(json, SERVICE), text(json, INSTANCE),
          text(json, REQUIRED_VERSION));
      case SERVICE_RELEASED -> new ServiceReleased(schema, text(json, SERVICE), text(json, INSTANCE), text(json, VERSION),
          number(json, DURATION_MS));
      case SERVICE_GAVE_UP -> new ServiceGaveUp(schema, text(json, SERVICE), text(json, INSTANCE),
          text(json, REQUIRED_VERSION), number(json, DURATION_MS));
      case SCHEMA_LOCK_ACQUIRED -> new LockAcquired(schema, text(json, VERSION), text(json, TARGET_VERSION),
          intOf(number(json, PENDING)), json.getValue(LOCK_SESSION) instanceof Number n ? n.intValue() : null,
          texts(json.getValue(DROPPED_INVALID_INDEXES)));
      case MIGRATION_STARTED -> new MigrationStarted(schema, text(json, VERSION), text(json, DESCRIPTION));
      case MIGRATION_APPLIED -> new MigrationApplied(schema, text(json, VERSION), text(json, DESCRIPTION),
          number(json, DURATION_MS));
      case SCHEMA_READY -> new SchemaReady(schema, text(json, VERSION), intOf(number(json, MIGRATIONS)),
          number(json, DURATION_MS));
      case SCHEMA_FAILED -> {
        JsonObject error = json.getValue(ERROR) instanceof JsonObject e ? e : new JsonObject();
        yield new SchemaFailed(schema, text(json, VERSION), text(json, DESCRIPTION), text(json, SCHEMA_VERSION),
            new RunError(text(error, SQL_STATE), text(error, MESSAGE),
                error.getValue(EXIT_CODE) instanceof Number n ? n.intValue() : null, text(error, OUTPUT)),
            number(json, DURATION_MS));
      }
      case MIGRATION_BLOCKED -> new MigrationBlocked(schema, text(json, VERSION), text(json, DESCRIPTION),
          intOf(number(json, ATTEMPT)), json.getValue(RUN_PID) instanceof Number n ? n.intValue() : null,
          number(json, LOCK_TIMEOUT_MS), blockers(json.getValue(BLOCKERS)));
      case MIGRATION_RETRYING -> {
        JsonObject error = json.getValue(ERROR) instanceof JsonObject e ? e : new JsonObject();
        yield new MigrationRetrying(schema, text(json, VERSION), text(json, DESCRIPTION), intOf(number(json, ATTEMPT)),
            number(json, DELAY_MS), new RunError(text(error, SQL_STATE), text(error, MESSAGE)),
            blockers(json.getValue(BLOCKERS)));
      }
      case MIGRATION_INTERVENED -> new MigrationIntervened(schema, Payload.Action.fromWire(text(json, ACTION)),
          json.getValue(PID) instanceof Number n ? n.intValue() : null, text(json, BY),
          Boolean.TRUE.equals(json.getValue(DONE)));
      case SCHEMA_REPAIRED -> new SchemaRepaired(schema, text(json, ACCEPTED), text(json, REMAINING),
          intOf(number(json, ALIGNED)), intOf(number(json, DELETED)), intOf(number(json, REMOVED)));
      case SCHEMA_INTERRUPTED -> {
        JsonObject error = json.getValue(ERROR) instanceof JsonObject e ? e : new JsonObject();
        yield new SchemaInterrupted(schema, text(json, VERSION), intOf(number(json, ATTEMPT)),
            intOf(number(json, ATTEMPTS)), new RunError(text(error, SQL_STATE), text(error, MESSAGE)));
      }
      case MIGRATOR_ELECTED -> new MigratorElected(schema, text(json, SERVICE), text(json, INSTANCE), number(json, RUN),
          number(json, LEASE_SECONDS) == null ? 0 : number(json, LEASE_SECONDS), text(json, VERSION),
          text(json, REQUIRED_VERSION), text(json, DEPLOY));
      case MIGRATOR_LOST -> new MigratorLost(schema, text(json, SERVICE), text(json, INSTANCE), number(json, RUN),
          text(json, REASON));
      case LOG_PRUNED -> new LogPruned(schema, longOf(number(json, AFTER)), longOf(number(json, HORIZON)));
    };
  }

  /** A text field; a number (as some writers send versions) is taken as its text. */
  private static String text(JsonObject json, String field) {
    Object value = json.getValue(field);
    return value == null ? null : value.toString();
  }

  private static Long number(JsonObject json, String field) {
    return json.getValue(field) instanceof Number n ? n.longValue() : null;
  }

  private static long longOf(Long n) {
    return n == null ? 0 : n;
  }

  private static int intOf(Long n) {
    return n == null ? 0 : n.intValue();
  }

  private static List<String> texts(Object value) {
    if (!(value instanceof JsonArray array)) return null;
    List<String> texts = new ArrayList<>(array.size());
    for (Object o : array) texts.add(String.valueOf(o));
    return texts;
  }

  /** The log's {@code at} (PostgreSQL writes ISO-8601 with an offset); {@code null} when absent or unreadable. */
  static Instant instant(String text) {
    if (text == null) return null;
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
