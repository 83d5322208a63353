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
  private final Instant at;
  private final String orchestrator;
  private final Payload payload;
  private volatile String text;

  Event(Long seq, Instant at, String orchestrator, Payload payload, String text) {
    this.seq = seq;
    this.at = at;
    this.orchestrator = orchestrator;
    this.payload = Objects.requireNonNull(payload, "payload");
    this.text = text;
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
    return at;
  }

  /** The replica that appended it. */
  public String orchestrator() {
    return orchestrator;
  }

  public Payload payload() {
    return payload;
  }

  /** Its type; {@code null} for a type this build does not know. */
  public EventType type() {
    return payload.type();
  }

  public String typeName() {
    return payload.typeName();
  }

  public String schema() {
    return payload.schema();
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
