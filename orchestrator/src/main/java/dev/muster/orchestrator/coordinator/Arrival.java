package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.Versions;
import java.time.Duration;

/**
 * A service instance that announced it is starting and needs {@code schema} at {@code requiredVersion} or
 * newer. Its event stream starts after {@code streamFrom} and ends with its {@link #isTerminal terminal} event.
 *
 * @param requiredVersion resolved: what the service asked for, or the latest available when it did not
 *                        ask ({@code null} only when there are no migrations at all)
 * @param seq             number of its {@code service.starting} event; for a resumed stream, the log
 *                        position when it resumed
 * @param streamFrom      its stream carries the schema's events after this number
 * @param ownFrom         and its own {@code service.*} events from this number on: from its {@code service.starting}
 *                        (an earlier start of the same instance is not this arrival's), or, for a resumed stream,
 *                        all after {@code streamFrom}
 */
public record Arrival(String service, String instance, String schema, String requiredVersion, Duration timeout,
    long seq, long streamFrom, long ownFrom, boolean canMigrate, String deploy, boolean delegated) {

  public Arrival(String service, String instance, String schema, String requiredVersion, Duration timeout, long seq,
      long streamFrom) {
    this(service, instance, schema, requiredVersion, timeout, seq, streamFrom, streamFrom + 1, false, null, false);
  }

  /**
   * What a service says when it arrives.
   *
   * @param requiredVersion {@code null}: the latest its schema's migrations reach
   * @param timeout         {@code null}: it waits as long as it takes
   * @param resumeAfter     not null for a stream cut off earlier and resumed after that event: no second
   *                        {@code service.starting}
   */
  public record Request(String service, String instance, String schema, String requiredVersion, Duration timeout,
      Long resumeAfter, boolean canMigrate, String deploy) {
    public Request(String service, String instance, String schema, String requiredVersion, Duration timeout,
        Long resumeAfter) {
      this(service, instance, schema, requiredVersion, timeout, resumeAfter, false, null);
    }
  }

  /** An arrival on record as event {@code seq}; its stream carries what follows {@code position}. */
  static Arrival announced(Request request, String required, long seq, long position) {
    return new Arrival(request.service(), request.instance(), request.schema(), required, request.timeout(), seq,
        position, seq, request.canMigrate(), request.deploy(), false);
  }

  /**
   * A stream resumed after {@code request.resumeAfter()}: from where the client was, even past what this replica
   * has delivered yet (it may lag behind the replica the client came from) — a repeated event is as wrong as a
   * missed one.
   */
  static Arrival resumed(Request request, String required, long position) {
    return new Arrival(request.service(), request.instance(), request.schema(), required, request.timeout(), position,
        request.resumeAfter(), request.resumeAfter() + 1, request.canMigrate(), request.deploy(), false);
  }

  /** The same arrival on a delegated schema, where a failed run fails every waiter whose version it did not reach. */
  Arrival onDelegatedSchema() {
    return new Arrival(service, instance, schema, requiredVersion, timeout, seq, streamFrom, ownFrom, canMigrate, deploy,
        true);
  }

  /**
   * Whether a run that failed with the schema at {@code version} leaves this arrival able to start: the schema is
   * new enough for it. On a delegated schema an arrival that named no version cannot tell, so the failure is its.
   */
  public boolean survives(String version) {
    if (delegated && requiredVersion == null) return false;
    return satisfiedBy(version);
  }

  /** The event after which this arrival's stream ends: the schema is ready for it, or failed, or it gave up. */
  public boolean isTerminal(Event event) {
    if (!schema.equals(event.schema()) || event.type() == null) return false;
    return switch (event.type()) {
      case SCHEMA_READY -> satisfiedBy(((Payload.SchemaReady) event.payload()).version());
      // A run that failed past the version this arrival needs does not fail it: it is released.
      case SCHEMA_FAILED -> !survives(((Payload.SchemaFailed) event.payload()).schemaVersion());
      case SERVICE_RELEASED, SERVICE_GAVE_UP -> isOwn(event);
      default -> false;
    };
  }

  /**
   * Whether this arrival's stream carries {@code event}: its schema's events and its own {@code service.*}
   * ones. Other instances' comings and goings are left to {@code /api/v1/events}: carried to every waiter they
   * would cost N²/2 writes when N services start together. A failure that does not concern it (the schema
   * already reached its version) is not carried either: clients would take it as their own.
   */
  public boolean carries(Event event) {
    if (EventType.scopeOf(event.typeName()) == EventType.Scope.SERVICE) return isOwn(event);
    return event.type() != EventType.SCHEMA_FAILED || isTerminal(event);
  }

  /** Its own {@code service.*} event: of its instance, and not of an earlier start of it ({@code ownFrom}). */
  public boolean isOwn(Event event) {
    return event.payload() instanceof Payload.ServiceEvent p && instance.equals(p.instance())
        && service.equals(p.service()) && (!event.logged() || event.seq() >= ownFrom);
  }

  /** True when a schema at {@code version} (null: nothing applied) is new enough for this arrival. */
  public boolean satisfiedBy(String version) {
    return Versions.reaches(version, requiredVersion);
  }
}
