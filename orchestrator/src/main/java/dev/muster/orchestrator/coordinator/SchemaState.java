package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.runner.SchemaInfo;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What one replica knows of one schema. Confined to the coordinator's context. */
final class SchemaState {
  final String name;
  SchemaStatus state = SchemaStatus.UNKNOWN;
  String version;
  String latest;
  List<SchemaInfo.Migration> pending = List.of();
  Future<Void> loaded;

  /** This replica's waiters, by arrival. */
  final Map<Arrival, Waiter> waiters = new LinkedHashMap<>();
  /** Every replica's waiting instances, as the event log tells: "service/instance" → waiting since. */
  final Map<String, java.time.Instant> fleetWaiting = new LinkedHashMap<>();

  boolean running;
  boolean trying;
  boolean lockUnreachable;
  /** Number of the last outcome event taken into account. */
  long settledSeq;
  long takeoverTimer = -1;
  String holder;
  String runningMigration;
  JsonObject lastRun;
  JsonObject lastError;

  SchemaState(String name) {
    this.name = name;
  }

  /** Takes Flyway's view, except that a version never goes back: events may have told of a newer one. */
  void apply(SchemaInfo info) {
    latest = info.latest();
    pending = info.pending();
    applied(info.current());
    // A failure stays the state until a run gets past it; Flyway alone cannot tell failed from pending.
    if (!running && holder == null) {
      state = pending.isEmpty() ? SchemaStatus.READY : state == SchemaStatus.FAILED ? SchemaStatus.FAILED : SchemaStatus.PENDING;
    }
  }

  /** Drops pending migrations at or below {@code applied}. */
  void applied(String applied) {
    if (applied != null && (version == null || Arrival.compare(applied, version) > 0)) version = applied;
    if (version == null) return;
    String current = version;
    pending = pending.stream().filter(m -> m.version() == null || Arrival.compare(m.version(), current) > 0)
        .collect(Collectors.toUnmodifiableList());
  }

  JsonObject toJson() {
    JsonArray pendingJson = new JsonArray();
    pending.forEach(m -> pendingJson.add(new JsonObject().put("version", m.version()).put("description", m.description())));
    return new JsonObject()
        .put("schema", name)
        .put("state", state.wire())
        .put("version", version)
        .put("latestVersion", latest)
        .put("pending", pendingJson)
        .put("waiting", fleetWaiting.size())
        .put("lockHolder", holder)
        .put("runningMigration", runningMigration)
        .put("lastRun", lastRun)
        .put("error", lastError);
  }

  /** One local waiter: the arrival and its give-up timer. */
  static final class Waiter {
    final Arrival arrival;
    final long sinceNanos = System.nanoTime();
    long timer = -1;

    Waiter(Arrival arrival) {
      this.arrival = arrival;
    }

    long waitedMs() {
      return (System.nanoTime() - sinceNanos) / 1_000_000;
    }
  }
}
