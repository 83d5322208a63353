package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventFeed;
import dev.muster.orchestrator.events.EventLog;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.events.Versions;
import dev.muster.orchestrator.lock.Locks;
import dev.muster.orchestrator.projection.Projection;
import dev.muster.orchestrator.projection.SchemaView;
import dev.muster.orchestrator.runner.Runner;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each schema's migrations once for the whole fleet and settles every waiter. Its parts:
 *
 * <ul>
 *   <li>the {@link Projection} — each schema's state, from the log every replica writes, and from what the
 *   runner reads of the schema;</li>
 *   <li>the {@link Waiters} — this replica's arrivals and their give-up timers;</li>
 *   <li>the {@link RunScheduler} — single flight, parallel limit, queue and take-over;</li>
 *   <li>a {@link Run} for each run this replica makes, through the schema's {@link Runner}.</li>
 * </ul>
 *
 * <p>An arrival for a schema that is behind becomes a waiter and asks the scheduler for a run. Whoever runs it
 * (this replica or another), waiters are settled by the log's {@code schema.ready} / {@code schema.failed}, which
 * every replica receives. All state is confined to the context that called {@link #start}; every public method
 * must be called there.
 */
public final class Coordinator {
  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

  private final MusterConfig config;
  private final EventFeed feed;
  private final Recorder recorder;
  private final Function<String, Runner> runners;
  private final Clock clock;
  private final Projection projection = new Projection();
  private final Known known;
  private final Waiters waiters;
  private final RunScheduler scheduler;
  private final EventLog events;
  private final Delegation delegation;
  private final Migrators migrators;
  private Runnable unsubscribe;
  /** This replica's runs under way, by schema, so that an abort in the log reaches the one it names. */
  private final Map<String, Run> runs = new HashMap<>();

  /** @param runners the runner of each schema */
  public Coordinator(MusterConfig config, EventLog events, EventFeed feed, Locks locks, Function<String, Runner> runners,
      Clock clock) {
    this.config = config;
    this.events = events;
    this.feed = feed;
    // A release the database refuses to record still reaches the arrival it releases (one released at once ends on it).
    this.recorder = new Recorder(events, clock, feed::offer, record -> {
      if (record instanceof Payload.ServiceReleased) feed.pushUnlogged(Event.unlogged(clock.now(), config.replicaId(), record));
    });
    this.runners = runners;
    this.clock = clock;
    this.waiters = new Waiters(clock, recorder, config.replicaId());
    this.known = new Known(projection, runners, this::delegated);
    this.delegation = new Delegation(config, waiters);
    this.migrators = new Migrators(config, delegation, waiters);
    this.scheduler = new RunScheduler(config.maxParallel(), config.takeoverCheck(), locks, this::run, clock,
        this::wanted);
  }

  /** Whether a run of {@code schema} is worth trying: local arrivals wait for it (for a delegated one, who can run it). */
  private boolean wanted(String schema) {
    return delegated(schema) ? delegation.wanted(schema) : waiters.any(schema);
  }

  /** Whether {@code schema}'s services migrate it themselves ({@code MUSTER_RUNNER}'s {@code delegate}). */
  public boolean delegated(String schema) {
    return config.runners().delegated(schema);
  }

  /** Starts following the log. Known schemas (named in the configuration, or in the log) load in the background. */
  public Future<Void> start() {
    delegation.started(feed.lastSeq());
    unsubscribe = feed.subscribe(this::onEvent);
    // What the log says of each schema's last run comes first, so a replica that starts after a failure
    // reports it; then each schema is read, in the background, one at a time, so that hundreds of tenants don't
    // crowd the worker threads.
    return events.lastOutcomes().onSuccess(outcomes -> {
      Set<String> names = new LinkedHashSet<>(config.schemas().literals());
      for (Event outcome : outcomes) {
        if (!allowed(outcome.schema())) continue;
        projection.apply(outcome);
        delegation.outcome(outcome);
        names.add(outcome.schema());
      }
      Future<Void> chain = Future.succeededFuture();
      for (String name : names) {
        if (!allowed(name)) continue;
        chain = chain.eventually(() -> known.load(name).otherwise(e -> {
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
    delegation.stop();
    waiters.clear();
    Promise<Void> stopped = Promise.promise();
    Clock.Timer timer = clock.schedule(bound, () -> {
      if (stopped.tryComplete()) log.warn("Stopping with {} run(s) still under way; PostgreSQL will roll them back",
          scheduler.active());
    });
    // The records of waiters already told (released, gave up) are written before the pool goes.
    scheduler.stop().eventually(recorder::idle).onComplete(ar -> {
      timer.cancel();
      stopped.tryComplete();
    });
    return stopped.future().onComplete(ar -> {
      recorder.stop();
      if (unsubscribe != null) unsubscribe.run();
    });
  }

  /**
   * A service is starting. Completes with its arrival once it is on record (or, for a stream resumed, at once,
   * without a second {@code service.starting}); fails with {@link ArrivalRefused} when the service needs a version
   * its schema's migrations do not reach.
   */
  public Future<Arrival> arrive(Arrival.Request request) {
    if (delegated(request.schema())) {
      return delegation.arrive(request, recorder, feed.lastSeq(), known::version, scheduler::request);
    }
    String schema = request.schema();
    String wanted = request.requiredVersion();
    boolean[] releasedWithArrival = {false};
    // A tenant not onboarded yet: created and migrated only when the configuration says so, else refused.
    Future<Void> onboarded = config.createSchemas() || projection.view(schema) != null ? Future.succeededFuture()
        : known.exists(schema).compose(exists -> exists ? Future.<Void>succeededFuture()
            : Future.failedFuture(ArrivalRefused.unknownSchema(request)));
    return onboarded.compose(v -> known.load(schema))
        .compose(v -> wanted != null && !known.reaches(schema, wanted) ? known.reload(schema) : Future.succeededFuture())
        .compose(v -> {
          String latest = known.latest(schema);
          if (wanted != null && !known.reaches(schema, wanted)) return Future.failedFuture(ArrivalRefused.versionSkew(request, latest));
          SchemaView view = projection.view(schema);
          if (view != null && view.status() == SchemaStatus.DRIFTED) {
            return Future.failedFuture(ArrivalRefused.drifted(request, latest, view.drift()));
          }
          String required = wanted != null ? wanted : latest;
          long position = feed.lastSeq();
          if (request.resumeAfter() != null) return Future.succeededFuture(Arrival.resumed(request, required, position));
          // Already new enough: released in the same statement as its arrival, so its stream ends on that append.
          String version = known.version(schema);
          List<Payload> released = Versions.reaches(version, required)
              ? List.of(new Payload.ServiceReleased(schema, request.service(), request.instance(), version, 0L))
              : List.of();
          return recorder.append(new Payload.ServiceStarting(schema, request.service(), request.instance(), required),
                  released)
              .map(e -> {
                releasedWithArrival[0] = !released.isEmpty();
                return Arrival.announced(request, required, e.seq(), position);
              });
        })
        .onSuccess(arrival -> {
          String version = known.version(schema);
          if (releasedWithArrival[0]) return;
          if (arrival.satisfiedBy(version)) {
            waiters.releaseAtOnce(arrival, version);
          } else {
            waiters.await(arrival);
            scheduler.request(schema);
          }
        });
  }

  /**
   * Where to push what concerns a waiting arrival before the log has it — its {@code service.gave_up}, on this
   * replica's clock, whatever the database does. Call it after {@link #arrive}; nothing happens for an arrival no
   * longer waiting.
   */
  public void attach(Arrival arrival, Consumer<Event> pushed) {
    waiters.attach(arrival, pushed);
  }

  /** The service went away (its stream closed) before it was settled: forget it, quietly. */
  public void detach(Arrival arrival) {
    waiters.detach(arrival);
    delegation.detached(arrival);
  }

  /** The elected migrators' calls on this replica's delegated runs. */
  public Migrators migrators() {
    return migrators;
  }

  /** Every known schema's state, as {@code GET /api/v1/schemas} shows it. */
  public List<SchemaView> views() {
    return projection.views();
  }

  /** The schema's state as this replica knows it. */
  public SchemaStatus statusOf(String schema) {
    SchemaView view = projection.view(schema);
    return view == null ? SchemaStatus.UNKNOWN : view.status();
  }

  /** One schema's state, read first if this replica has not read it yet. */
  public Future<SchemaView> view(String schema) {
    return known.view(schema);
  }

  /**
   * Records an operator's (or a tool's) action on a blocked run. An abort takes effect when the event reaches the
   * replica that runs the schema, this one or another.
   */
  public Future<Event> record(Payload.MigrationIntervened intervention) {
    return recorder.append(intervention);
  }

  private boolean allowed(String schema) {
    return schema != null && config.schemas().rejection(schema) == null;
  }

  /** A run of {@code schema} this replica makes, holding its lease. */
  private Future<Run.End> run(String schema, Locks.Lease lease, int attempt) {
    if (delegated(schema)) {
      return delegation.run(schema, lease, recorder, clock, events, this::settle, known::version,
          projection::awaitingMigrator);
    }
    Run run = new Run(schema, lease, runners.apply(schema), recorder, clock, attempt, RetryPolicy.DEFAULT, new RunListener(schema, projection, waiters, known, this::settle));
    runs.put(schema, run);
    return run.start().onComplete(ar -> runs.remove(schema, run));
  }

  /** Follows the log — this replica's events and every other's. */
  private void onEvent(Event e) {
    if (!allowed(e.schema()) || e.type() == null) return;
    projection.apply(e);
    switch (e.type()) {
      case SCHEMA_LOCK_ACQUIRED, MIGRATION_STARTED, MIGRATION_APPLIED -> scheduler.heardFromHolder(e.schema());
      case MIGRATOR_ELECTED, MIGRATOR_LOST -> {
        delegation.heard(e);
        scheduler.heardFromHolder(e.schema());
      }
      case SCHEMA_READY, SCHEMA_FAILED -> settle(e);
      case MIGRATION_BLOCKED, MIGRATION_RETRYING -> scheduler.heardFromHolder(e.schema());
      case MIGRATION_INTERVENED -> {
        // Whichever replica was asked, the one running the schema aborts its run.
        Payload.MigrationIntervened i = (Payload.MigrationIntervened) e.payload();
        Run run = runs.get(e.schema());
        if (i.action() == Payload.Action.ABORT && run != null) run.abort(i.by());
      }
      case SCHEMA_INTERRUPTED -> {
        if (!config.replicaId().equals(e.orchestrator())) {
          scheduler.interruptedElsewhere(e.schema(), ((Payload.SchemaInterrupted) e.payload()).attempt());
        }
      }
      default -> { }
    }
  }

  /**
   * A run's outcome, from the log or from this replica's own run: settles the waiters it concerns. Those it leaves
   * waiting (they need more than it reached, or came after it) are worth a new run.
   */
  private void settle(Event outcome) {
    Payload.Outcome o = (Payload.Outcome) outcome.payload();
    delegation.outcome(outcome);
    scheduler.settled(outcome.schema());
    waiters.settle(outcome.schema(), outcome.seq(), o instanceof Payload.SchemaReady,
        Versions.newer(known.version(outcome.schema()), o.reached()));
    scheduler.request(outcome.schema());
  }
}
