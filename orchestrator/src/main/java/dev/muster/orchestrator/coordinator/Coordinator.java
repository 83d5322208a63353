package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.broadcast.Broadcaster;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventCodec;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.http.ApiException;
import dev.muster.orchestrator.lock.SchemaLock;
import dev.muster.orchestrator.runner.FlywayRunner;
import dev.muster.orchestrator.runner.MigrationFailure;
import dev.muster.orchestrator.runner.SchemaInfo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each schema's migrations once for the whole fleet and settles every waiter.
 *
 * <p>An arrival for a schema that is behind becomes a waiter and starts a run unless one is under way:
 * try the schema's advisory lock; on success run Flyway on a worker thread and append its progress to the
 * log; otherwise another replica is running it. Either way waiters are settled by the log's
 * {@code schema.ready} / {@code schema.failed} events, which every replica receives, whoever ran. A holder
 * that dies says nothing (PostgreSQL drops its lock silently), so a replica with waiters that hears nothing
 * from the holder for {@link MusterConfig#takeoverCheck()} tries the lock again — non-blocking — and takes
 * over when it gets it.
 *
 * <p>All state is confined to the context that called {@link #start}; every public method must be called there.
 */
public final class Coordinator {
  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

  private final Vertx vertx;
  private final MusterConfig config;
  private final EventStore store;
  private final Broadcaster broadcaster;
  private final SchemaLock lock;
  private final FlywayRunner runner;
  private final Map<String, SchemaState> schemas = new TreeMap<>();
  private final ArrayDeque<SchemaState> queued = new ArrayDeque<>();
  private int running;
  private boolean stopping;
  private final Promise<Void> idle = Promise.promise();
  private Runnable unsubscribe;

  public Coordinator(Vertx vertx, MusterConfig config, EventStore store, Broadcaster broadcaster, SchemaLock lock,
      FlywayRunner runner) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.broadcaster = broadcaster;
    this.lock = lock;
    this.runner = runner;
  }

  /** Starts following the log. Known schemas (named in the configuration, or in the log) load in the background. */
  public Future<Void> start() {
    unsubscribe = broadcaster.subscribe(this::onEvent);
    // What the log says of each schema's last run comes first, so a replica that starts after a failure
    // reports it; then Flyway is read for each schema, in the background, one at a time, so that hundreds of
    // tenants don't crowd the worker threads.
    return store.lastOutcomes().onSuccess(outcomes -> {
      Future<Void> chain = Future.succeededFuture();
      List<String> names = new ArrayList<>(config.schemas().literals());
      outcomes.forEach(e -> names.add(e.schema()));
      for (Event outcome : outcomes) {
        if (config.schemas().rejection(outcome.schema()) == null && outcome.payload() instanceof Payload.Outcome o) {
          record(state(outcome.schema()), outcome, o);
        }
      }
      for (String name : new java.util.LinkedHashSet<>(names)) {
        if (config.schemas().rejection(name) != null) continue;
        SchemaState s = state(name);
        chain = chain.eventually(() -> load(s).otherwise(e -> {
          log.warn("Could not read schema {}: {}", name, e.getMessage());
          return null;
        }));
      }
    }).mapEmpty();
  }

  /**
   * Stops starting runs and lets the ones under way finish, for at most {@code bound}: a run cut short
   * would only be rolled back and run again by another replica.
   */
  public Future<Void> stop(Duration bound) {
    stopping = true;
    queued.clear();
    schemas.values().forEach(s -> {
      s.waiters.values().forEach(w -> vertx.cancelTimer(w.timer));
      s.waiters.clear();
      cancelTakeoverCheck(s);
    });
    Future<Void> drained = running == 0 ? Future.succeededFuture() : idle.future();
    return drained.timeout(bound.toMillis(), TimeUnit.MILLISECONDS)
        .recover(e -> {
          log.warn("Stopping with {} run(s) still under way; PostgreSQL will roll them back", running);
          return Future.succeededFuture();
        })
        .onComplete(ar -> {
          if (unsubscribe != null) unsubscribe.run();
        });
  }

  /**
   * A service is starting. Completes with its arrival once it is on record (or, with {@code resumeAfter}
   * not null, once a stream cut off earlier is resumed, without a second {@code service.starting}); fails
   * with an {@link ApiException} when the service needs a version the migrations do not reach.
   */
  public Future<Arrival> arrive(String service, String instance, String schema, String requiredVersion,
      Duration timeout, Long resumeAfter) {
    SchemaState s = state(schema);
    return load(s)
        .compose(v -> requiredVersion != null && !reaches(s.latest, requiredVersion) ? reload(s) : Future.succeededFuture())
        .compose(v -> {
          if (requiredVersion != null && !reaches(s.latest, requiredVersion)) {
            String end = s.latest == null ? "the orchestrator has no migrations for it" : "the orchestrator's migrations end at " + s.latest;
            return Future.failedFuture(new ApiException(409, "version_skew",
                service + " requires " + schema + " ≥ " + requiredVersion + "; " + end,
                new JsonObject().put("schema", schema).put("requiredVersion", requiredVersion).put("latestVersion", s.latest)));
          }
          String required = requiredVersion != null ? requiredVersion : s.latest;
          long position = broadcaster.lastSeq();
          if (resumeAfter != null) {
            return Future.succeededFuture(new Arrival(service, instance, schema, required, timeout, position,
                Math.min(resumeAfter, position)));
          }
          return store.append(new Payload.ServiceStarting(schema, service, instance, required))
              .map(e -> new Arrival(service, instance, schema, required, timeout, e.seq(), position));
        })
        .onSuccess(arrival -> {
          if (arrival.satisfiedBy(s.version)) {
            release(s, new SchemaState.Waiter(arrival));
          } else {
            await(s, arrival);
          }
        });
  }

  /** The service went away (its stream closed) before it was settled: forget it, quietly. */
  public void detach(Arrival arrival) {
    SchemaState s = schemas.get(arrival.schema());
    SchemaState.Waiter w = s == null ? null : s.waiters.remove(arrival);
    if (w != null) vertx.cancelTimer(w.timer);
  }

  /** Every known schema's status, as {@code GET /api/v1/schemas} shows it. */
  public JsonArray statuses() {
    JsonArray all = new JsonArray();
    schemas.values().forEach(s -> all.add(s.toJson()));
    return all;
  }

  /** The schema's state as this replica knows it: unknown, pending, migrating, ready or failed. */
  public String stateOf(String schema) {
    SchemaState s = schemas.get(schema);
    return s == null ? SchemaStatus.UNKNOWN.wire() : s.state.wire();
  }

  /** One schema's status, read from Flyway first if this replica has not seen it yet. */
  public Future<JsonObject> status(String schema) {
    SchemaState known = schemas.get(schema);
    if (known != null) return load(known).map(v -> known.toJson());
    // A read keeps no state: made-up names that match a pattern must not grow this replica's memory.
    SchemaState passing = new SchemaState(schema);
    return vertx.executeBlocking(() -> runner.info(schema), false).map(info -> {
      passing.apply(info);
      return passing.toJson();
    });
  }

  private SchemaState state(String schema) {
    return schemas.computeIfAbsent(schema, SchemaState::new);
  }

  private Future<Void> load(SchemaState s) {
    if (s.loaded == null || s.loaded.failed()) s.loaded = reload(s);
    return s.loaded;
  }

  private Future<Void> reload(SchemaState s) {
    return vertx.executeBlocking(() -> runner.info(s.name), false).map(info -> {
      s.apply(info);
      return null;
    });
  }

  private void await(SchemaState s, Arrival arrival) {
    SchemaState.Waiter w = new SchemaState.Waiter(arrival);
    s.waiters.put(arrival, w);
    if (arrival.timeout() != null) {
      w.timer = vertx.setTimer(Math.max(1, arrival.timeout().toMillis()), id -> giveUp(s, arrival));
    }
    run(s);
  }

  private void giveUp(SchemaState s, Arrival arrival) {
    SchemaState.Waiter w = s.waiters.remove(arrival);
    if (w == null) return;
    append(new Payload.ServiceGaveUp(s.name, arrival.service(), arrival.instance(), arrival.requiredVersion(),
        w.waitedMs()));
  }

  private void release(SchemaState s, SchemaState.Waiter w) {
    vertx.cancelTimer(w.timer);
    append(new Payload.ServiceReleased(s.name, w.arrival.service(), w.arrival.instance(), s.version, w.waitedMs()));
  }

  /** Starts a run for {@code s} unless one is under way here, or this replica is at its parallel limit. */
  private void run(SchemaState s) {
    if (stopping || s.running || s.trying || s.waiters.isEmpty()) return;
    if (running >= config.maxParallel()) {
      if (!queued.contains(s)) queued.add(s);
      return;
    }
    cancelTakeoverCheck(s);
    s.trying = true;
    lock.tryAcquire(s.name, this::lockLost).onComplete(ar -> {
      s.trying = false;
      if (ar.succeeded()) s.lockUnreachable = false;
      if (ar.failed()) {
        // Said once per outage, not at every retry.
        if (!s.lockUnreachable) log.warn("Could not try the lock of schema {}: {}", s.name, ar.cause().getMessage());
        s.lockUnreachable = true;
        scheduleTakeoverCheck(s);
      } else if (ar.result() == null) {
        scheduleTakeoverCheck(s); // another replica runs it; its events will settle our waiters
      } else {
        migrate(s, ar.result());
      }
    });
  }

  private void migrate(SchemaState s, SchemaLock.Held held) {
    running++;
    s.running = true;
    long startedNanos = System.nanoTime();
    // Re-read under the lock: the run we would start may just have been finished by another replica.
    // An index build a dead holder left half done is dropped first, so its migration can run again.
    vertx.executeBlocking(() -> new Prepared(runner.dropInterruptedIndexes(s.name), runner.info(s.name)), false)
        .compose(prepared -> {
          SchemaInfo info = prepared.info;
          s.apply(info);
          if (!prepared.recovered.isEmpty()) {
            log.warn("Schema {}: dropped {} left INVALID by an interrupted CREATE INDEX CONCURRENTLY", s.name,
                prepared.recovered);
          }
          if (info.upToDate()) {
            s.state = SchemaStatus.READY;
            settleWaiters(s, Long.MAX_VALUE, true);
            return Future.succeededFuture();
          }
          return append(new Payload.LockAcquired(s.name, info.current(), info.latest(), info.pending().size(),
                  held.backendPid(), prepared.recovered))
              .compose(v -> vertx.executeBlocking(() -> runFlyway(s.name, startedNanos), false))
              .compose(this::append)
              .onSuccess(settled -> settle(s, settled));
        })
        .onFailure(e -> {
          if (e instanceof RunInterrupted) {
            log.warn("Run of schema {} interrupted: the database went away ({}); it runs again when the database is back",
                s.name, e.getCause().getMessage());
          } else {
            log.error("Run of schema {} ended abnormally", s.name, e);
          }
        })
        .eventually(held::release)
        .onComplete(ar -> {
          running--;
          s.running = false;
          if (stopping && running == 0) idle.tryComplete();
          // Waiters that came after the outcome join a new run (e.g. after a fix, a retry).
          run(s);
          SchemaState next = queued.poll();
          if (next != null) run(next);
        });
  }

  /** Runs Flyway on this worker thread; returns the outcome, or throws {@link RunInterrupted}. */
  private Payload runFlyway(String schema, long startedNanos) {
    FlywayRunner.Progress progress = new FlywayRunner.Progress() {
      @Override
      public void started(String version, String description) {
        appendBlocking(new Payload.MigrationStarted(schema, version, description));
      }

      @Override
      public void applied(Connection migration, String version, String description, long durationMs)
          throws SQLException {
        // In the migration's own transaction: a crash before its commit leaves no 'applied' behind.
        store.appendInTransaction(migration, new Payload.MigrationApplied(schema, version, description, durationMs));
      }
    };
    try {
      FlywayRunner.Result result = runner.migrate(schema, progress);
      return new Payload.SchemaReady(schema, result.version(), result.executed(), (System.nanoTime() - startedNanos) / 1_000_000);
    } catch (MigrationFailure f) {
      if (f.connectionLost()) throw new RunInterrupted(f); // not the migration's fault: run it again later
      log.warn("Migration of schema {} failed at {}: [{}] {}", schema, f.version(), f.sqlState(), f.getMessage());
      return new Payload.SchemaFailed(schema, f.version(), f.description(), f.schemaVersion(),
          new Payload.RunError(f.sqlState(), f.getMessage()), (System.nanoTime() - startedNanos) / 1_000_000);
    }
  }

  /** From the worker thread: progress events are written in order, before the migration goes on. */
  private void appendBlocking(Payload payload) {
    try {
      store.append(payload).toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      log.warn("Could not record {} for schema {}: {}", payload.typeName(), payload.schema(), e.toString());
    }
  }

  private Future<Event> append(Payload payload) {
    return store.append(payload).onFailure(e -> log.warn("Could not record {} for schema {}: {}",
        payload.typeName(), payload.schema(), e.getMessage()));
  }

  private void lockLost(String schema) {
    log.warn("The lock session of schema {} closed during the run; Flyway's own lock still guards its history table",
        schema);
  }

  /** Follows the log — this replica's events and every other's. */
  private void onEvent(Event e) {
    if (e.schema() == null || e.type() == null || config.schemas().rejection(e.schema()) != null) return;
    SchemaState s = state(e.schema());
    switch (e.type()) {
      case SERVICE_STARTING -> {
        Payload.ServiceStarting p = (Payload.ServiceStarting) e.payload();
        s.fleetWaiting.put(p.service() + "/" + p.instance(), e.at());
      }
      case SERVICE_RELEASED, SERVICE_GAVE_UP -> {
        Payload.ServiceEvent p = (Payload.ServiceEvent) e.payload();
        s.fleetWaiting.remove(p.service() + "/" + p.instance());
      }
      case SCHEMA_LOCK_ACQUIRED -> {
        s.state = SchemaStatus.MIGRATING;
        s.holder = e.orchestrator();
        s.lastError = null;
        heardFromHolder(s);
      }
      case MIGRATION_STARTED -> {
        s.state = SchemaStatus.MIGRATING;
        s.runningMigration = ((Payload.MigrationStarted) e.payload()).version();
        heardFromHolder(s);
      }
      case MIGRATION_APPLIED -> {
        s.applied(((Payload.MigrationApplied) e.payload()).version());
        s.runningMigration = null;
        heardFromHolder(s);
      }
      case SCHEMA_READY, SCHEMA_FAILED -> settle(s, e);
    }
  }

  /** A run's outcome: record it and settle the waiters that arrived before it. Idempotent. */
  private void settle(SchemaState s, Event outcome) {
    if (outcome.seq() <= s.settledSeq || !(outcome.payload() instanceof Payload.Outcome o)) return;
    record(s, outcome, o);
    s.fleetWaiting.clear();
    cancelTakeoverCheck(s);
    settleWaiters(s, outcome.seq(), o instanceof Payload.SchemaReady);
  }

  /** Takes a run's outcome into the schema's state: version, state, last run, last error. */
  private static void record(SchemaState s, Event outcome, Payload.Outcome o) {
    s.settledSeq = outcome.seq();
    s.applied(o.reached());
    if (o instanceof Payload.SchemaFailed failed) {
      s.state = SchemaStatus.FAILED;
      s.lastError = EventCodec.encode(failed.report());
    } else {
      s.state = s.pending.isEmpty() ? SchemaStatus.READY : SchemaStatus.PENDING;
      s.lastError = null;
    }
    s.holder = null;
    s.runningMigration = null;
    s.lastRun = new JsonObject().put("at", String.valueOf(outcome.at())).put("durationMs", o.durationMs())
        .put("orchestrator", outcome.orchestrator()).put("outcome", s.state == SchemaStatus.FAILED ? "failed" : "ready");
  }

  /** Settles local waiters that arrived before event {@code beforeSeq}: released if the schema is new enough for them. */
  private void settleWaiters(SchemaState s, long beforeSeq, boolean ready) {
    List<SchemaState.Waiter> settled = new ArrayList<>();
    s.waiters.values().removeIf(w -> {
      if (w.arrival.seq() >= beforeSeq) return false;
      if (ready && !w.arrival.satisfiedBy(s.version)) return false;
      settled.add(w);
      return true;
    });
    for (SchemaState.Waiter w : settled) {
      // A failed run may still have brought the schema to what a waiter needs: it starts.
      if (w.arrival.satisfiedBy(s.version)) {
        release(s, w);
      } else {
        vertx.cancelTimer(w.timer); // the failure event itself tells the waiter
      }
    }
  }

  /** The holder spoke: it lives. Restart the silence clock. */
  private void heardFromHolder(SchemaState s) {
    if (s.running) return;
    cancelTakeoverCheck(s);
    scheduleTakeoverCheck(s);
  }

  private void scheduleTakeoverCheck(SchemaState s) {
    if (s.running || s.takeoverTimer >= 0 || s.waiters.isEmpty()) return;
    s.takeoverTimer = vertx.setTimer(config.takeoverCheck().toMillis(), id -> {
      s.takeoverTimer = -1;
      run(s);
    });
  }

  private void cancelTakeoverCheck(SchemaState s) {
    if (s.takeoverTimer >= 0) {
      vertx.cancelTimer(s.takeoverTimer);
      s.takeoverTimer = -1;
    }
  }

  /** The database went away under a run; its waiters stay, and the run is tried again. */
  private static final class RunInterrupted extends RuntimeException {
    RunInterrupted(MigrationFailure cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** What a run finds under the lock before it starts. */
  private record Prepared(List<String> recovered, SchemaInfo info) {}

  private static boolean reaches(String latest, String required) {
    return latest != null && Arrival.compare(latest, required) >= 0;
  }
}
