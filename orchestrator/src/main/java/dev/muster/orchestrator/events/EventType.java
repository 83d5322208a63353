package dev.muster.orchestrator.events;

import java.util.HashMap;
import java.util.Map;

/**
 * The contract's event types, each with its name on the wire ({@code service.starting}, ...) and its scope:
 * whether it tells of one service instance or of its schema.
 */
public enum EventType {
  SERVICE_STARTING("service.starting", Scope.SERVICE),
  SERVICE_RELEASED("service.released", Scope.SERVICE),
  SERVICE_GAVE_UP("service.gave_up", Scope.SERVICE),
  SCHEMA_LOCK_ACQUIRED("schema.lock_acquired", Scope.SCHEMA),
  MIGRATION_STARTED("migration.started", Scope.SCHEMA),
  MIGRATION_APPLIED("migration.applied", Scope.SCHEMA),
  SCHEMA_READY("schema.ready", Scope.SCHEMA),
  SCHEMA_FAILED("schema.failed", Scope.SCHEMA),
  // Lock safety (issue 14): a run waiting on a lock, its next attempt, and what someone did about it.
  MIGRATION_BLOCKED("migration.blocked", Scope.SCHEMA),
  MIGRATION_RETRYING("migration.retrying", Scope.SCHEMA),
  MIGRATION_INTERVENED("migration.intervened", Scope.SCHEMA),
  // Issue 9 (truth): drift accepted by `muster repair`; a run whose session died, to be tried again.
  SCHEMA_REPAIRED("schema.repaired", Scope.SCHEMA),
  SCHEMA_INTERRUPTED("schema.interrupted", Scope.SCHEMA),
  // Delegated runs (MUSTER_RUNNER=delegate): carried on every waiting stream of the schema.
  MIGRATOR_ELECTED("migrator.elected", Scope.SCHEMA),
  MIGRATOR_LOST("migrator.lost", Scope.SCHEMA),
  // A bounded log (MUSTER_EVENTS_RETENTION): sent, never logged, at the start of a replay from before the horizon.
  LOG_PRUNED("log.pruned", Scope.SCHEMA);

  /** Who an event is about, which decides whose arrival streams carry it. */
  public enum Scope {
    /** One service instance: carried on that instance's own stream only. */
    SERVICE,
    /** The schema and its runs: carried on the stream of every arrival for the schema. */
    SCHEMA
  }

  private static final String SERVICE_PREFIX = "service.";
  private static final Map<String, EventType> BY_WIRE = new HashMap<>();

  static {
    for (EventType t : values()) BY_WIRE.put(t.wire, t);
  }

  private final String wire;
  private final Scope scope;

  EventType(String wire, Scope scope) {
    this.wire = wire;
    this.scope = scope;
  }

  /** The name clients see: SSE {@code event:}, JSON {@code type}, {@code muster.events.type}. */
  public String wire() {
    return wire;
  }

  public Scope scope() {
    return scope;
  }

  /**
   * The scope of the type named {@code wire}, known or not: a type this build does not know (a newer
   * replica's) is about a service when it is named {@code service.*}, as every service event is.
   */
  public static Scope scopeOf(String wire) {
    EventType known = fromWire(wire);
    if (known != null) return known.scope;
    return wire != null && wire.startsWith(SERVICE_PREFIX) ? Scope.SERVICE : Scope.SCHEMA;
  }

  /** A run's outcome: {@code schema.ready} or {@code schema.failed}. */
  public boolean isOutcome() {
    return this == SCHEMA_READY || this == SCHEMA_FAILED;
  }

  /** The type named {@code wire}, or {@code null} for one this build does not know (a newer replica's, a tool's). */
  public static EventType fromWire(String wire) {
    return wire == null ? null : BY_WIRE.get(wire);
  }

  @Override
  public String toString() {
    return wire;
  }
}
