package dev.muster.orchestrator.events;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the event log: its number, when it happened, the replica that appended it, and what it says.
 * Immutable. Its JSON text — what SSE sends and NOTIFY carries — is made once and shared by every stream.
 *
 * <p>An event pushed to a client before the log has taken it (a deadline that passes while the database is
 * down) has no number yet: {@link #logged()} is false and its JSON says {@code "seq": null}.
 */
public final class Event {
  private final Long seq;
  /** As read from the log, until something asks for its time: most events read are never asked. */
  private final String atText;
  private volatile Instant at;
  private final String orchestrator;
  /** Null only for an event {@link #stored read back for a stream}, until something asks for more than its text. */
  private final Payload payload;
  private final String typeName;
  private final String schema;
  private volatile String text;
  private volatile Event decoded;

  Event(Long seq, Instant at, String orchestrator, Payload payload, String text) {
    this(seq, at, null, orchestrator, payload, text);
  }

  /** An entry read from the log, its time as the log wrote it. */
  Event(Long seq, String atText, String orchestrator, Payload payload, String text) {
    this(seq, null, atText, orchestrator, payload, text);
  }

  private Event(Long seq, Instant at, String atText, String orchestrator, Payload payload, String text) {
    this.seq = seq;
    this.at = at;
    this.atText = atText;
    this.orchestrator = orchestrator;
    this.payload = Objects.requireNonNull(payload, "payload");
    this.typeName = payload.typeName();
    this.schema = payload.schema();
    this.text = text;
  }

  private Event(long seq, String typeName, String schema, String text) {
    this.seq = seq;
    this.atText = null;
    this.orchestrator = null;
    this.payload = null;
    this.typeName = Objects.requireNonNull(typeName, "typeName");
    this.schema = schema;
    this.text = Objects.requireNonNull(text, "text");
  }

  /**
   * An entry as a replay reads it from the log: its number, type and schema from their columns, its JSON text as
   * stored. A stream only frames it, so it is decoded only if something asks for its payload, time or replica.
   */
  static Event stored(long seq, String typeName, String schema, String text) {
    return new Event(seq, typeName, schema, text);
  }

  /** An entry of a log (a log held in memory, a test's). */
  public static Event logged(long seq, Instant at, String orchestrator, Payload payload) {
    return new Event(seq, at, orchestrator, payload, null);
  }

  /** An event not in the log (yet), as a replica pushes it. */
  public static Event unlogged(Instant at, String orchestrator, Payload payload) {
    return new Event(null, at, orchestrator, payload, null);
  }

  public boolean logged() {
    return seq != null;
  }

  /** Its number in the log; {@link IllegalStateException} when it is {@link #logged() not in the log}. */
  public long seq() {
    if (seq == null) throw new IllegalStateException(payload.typeName() + " is not in the log yet");
    return seq;
  }

  /** Its number, or {@code null} when it is not in the log. */
  public Long loggedSeq() {
    return seq;
  }

  /** When it happened; {@code null} only for an entry whose time could not be read. */
  public Instant at() {
    Event w = whole();
    Instant a = w.at;
    if (a == null && w.atText != null) w.at = a = EventCodec.instant(w.atText);
    return a;
  }

  /** The replica that appended it. */
  public String orchestrator() {
    return whole().orchestrator;
  }

  public Payload payload() {
    return whole().payload;
  }

  /** Its type; {@code null} for a type this build does not know. */
  public EventType type() {
    return payload().type();
  }

  public String typeName() {
    return typeName;
  }

  public String schema() {
    return schema;
  }

  /** This event with its fields read: itself, or for a {@link #stored} one its text decoded once. */
  private Event whole() {
    if (payload != null) return this;
    Event d = decoded;
    if (d == null) decoded = d = EventCodec.decode(text);
    return d;
  }

  /** The whole event as JSON text, as clients receive it. */
  public String encoded() {
    String t = text;
    if (t == null) text = t = EventCodec.encode(this).encode();
    return t;
  }

  /** The whole event as a new JSON object. */
  public JsonObject json() {
    return new JsonObject(encoded());
  }

  @Override
  public String toString() {
    return "#" + seq + " " + typeName() + " " + schema();
  }
}
