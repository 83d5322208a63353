package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.lock.Locks;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A delegated run of one schema, while this replica holds its lock: one waiting {@code canMigrate} arrival at a
 * time is elected migrator ({@code migrator.elected}) and runs its own tool; it keeps its election while it
 * heartbeats within the lease and, for a stream, while its stream is open. A lost migrator ({@code migrator.lost})
 * is followed by the next candidate; its report ({@code done} / {@code failed}) becomes the outcome,
 * {@code schema.ready} or {@code schema.failed}. The lock is held from the first election to the outcome — or
 * until no candidate is left — so no other instance, replica or {@code migrate} command can race the migrator.
 * Confined to the coordinator's context.
 */
final class DelegatedRun {
  private static final Logger log = LoggerFactory.getLogger(DelegatedRun.class);

  /** What the run needs of the coordinator. */
  interface Host {
    /** The first waiting {@code canMigrate} arrival of the schema not in {@code tried}, or {@code null}. */
    Arrival candidate(String schema, Set<Arrival> tried);

    /** The schema's version as its last outcome left it. */
    String version(String schema);

    /** Run {@code run} (this one's current election) begins; {@code null}: it ended. */
    void current(long run, DelegatedRun delegated);

    /** Run {@code run} ended: revoked, or settled. Later calls for it are refused as late. */
    void ended(long run);

    /** The outcome is in the log: settle the waiters at once. */
    void settled(Event outcome);
  }

  /** What a migrator reports. */
  record Report(boolean done, String version, Integer exitCode, String output) {}

  private enum State { ELECTING, ELECTED, REPORTING, LOSING, OVER }

  private final String schema;
  private final Locks.Lease lease;
  private final Recorder recorder;
  private final Clock clock;
  private final Duration leaseDuration;
  private final Host host;
  private final Set<Arrival> tried = new HashSet<>();
  private final Promise<Void> over = Promise.promise();
  private State state = State.ELECTING;
  private Arrival migrator;
  private long run = -1;
  /** The migrator's stream closed while its election was being written. */
  private boolean goneWhileElecting;
  /** The migrator's answer was handed to it ({@code ?wait=true}): no stream of its binds the lease. */
  private boolean handedOff;
  private Clock.Timer leaseTimer;
  private long startedNanos;
  private boolean settled;

  DelegatedRun(String schema, Locks.Lease lease, Recorder recorder, Clock clock, Duration leaseDuration, Host host) {
    this.schema = schema;
    this.lease = lease;
    this.recorder = recorder;
    this.clock = clock;
    this.leaseDuration = leaseDuration;
    this.host = host;
  }

  /** The lease as clients see it: whole seconds, at least one. */
  static long leaseSeconds(Duration lease) {
    return Math.max(1, (lease.toMillis() + 999) / 1000);
  }

  /** Elects the first migrator; completes (never fails) once the lock is let go. */
  Future<Void> start() {
    startedNanos = clock.nanoTime();
    elect();
    return over.future();
  }

  String schema() {
    return schema;
  }

  /** Whether the run ended with an outcome in the log. */
  boolean settled() {
    return settled;
  }

  Arrival migrator() {
    return state == State.ELECTED || state == State.REPORTING ? migrator : null;
  }

  long run() {
    return run;
  }

  /** A heartbeat of run {@code id} from {@code service/instance}: the lease starts again. */
  void heartbeat(long id, String service, String instance) {
    check(id, service, instance);
    if (state == State.ELECTED) armLease();
  }

  /** The migrator's report: the outcome, once it is in the log. */
  Future<Event> report(long id, String service, String instance, Report report) {
    check(id, service, instance);
    if (state == State.REPORTING) {
      return Future.failedFuture(new RunRefused(RunRefused.Reason.LEASE_LOST, "run " + id + " is being reported"));
    }
    state = State.REPORTING;
    cancelLease();
    long durationMs = (clock.nanoTime() - startedNanos) / 1_000_000;
    Payload outcome;
    if (report.done()) {
      outcome = new Payload.SchemaReady(schema, report.version() != null ? report.version() : null, 0, durationMs);
    } else {
      String message = migrator.service() + "/" + migrator.instance() + "'s migration command failed with exit code "
          + report.exitCode() + lastLine(report.output());
      log.warn("Delegated run {} of schema {} failed: {}", id, schema, message);
      outcome = new Payload.SchemaFailed(schema, null, null, host.version(schema),
          new Payload.RunError(null, message, report.exitCode(), report.output()), durationMs);
    }
    return recorder.append(outcome)
        .onSuccess(e -> {
          settled = true;
          host.ended(id);
          host.settled(e);
          finish();
        })
        .onFailure(e -> {
          // Not recorded (the database is away): the migrator tries again, its lease running meanwhile.
          if (state == State.REPORTING) {
            state = State.ELECTED;
            armLease();
          }
        });
  }

  /** An arrival went away (its stream closed): when it is the migrator's own stream, the lease is revoked. */
  void detached(Arrival arrival) {
    if (handedOff || !arrival.equals(migrator)) return;
    if (state == State.ELECTING) {
      goneWhileElecting = true;
    } else if (state == State.ELECTED) {
      lose(Payload.MigratorLost.STREAM_CLOSED);
    }
  }

  /** The migrator's {@code ?wait=true} was answered with its election: from now on only heartbeats hold it. */
  boolean handOff(Arrival arrival, long id) {
    if (!arrival.equals(migrator)) return false;
    // The election may reach the arrival before its append completes here (events are pushed first).
    boolean current = state == State.ELECTED ? id == run : state == State.ELECTING;
    if (!current) return false;
    handedOff = true;
    goneWhileElecting = false;
    return true;
  }

  /** The replica stops: the election is revoked and the lock let go; another replica elects anew. */
  void stop() {
    if (state == State.ELECTED) {
      lose(Payload.MigratorLost.ORCHESTRATOR_LOST, false);
    } else if (state == State.ELECTING) {
      state = State.OVER;
    }
  }

  private void check(long id, String service, String instance) {
    if (id != run || (state != State.ELECTED && state != State.REPORTING)) {
      throw new RunRefused(RunRefused.Reason.LEASE_LOST, "run " + id + " of schema " + schema + " has lost its lease");
    }
    if (!migrator.service().equals(service) || !migrator.instance().equals(instance)) {
      throw new RunRefused(RunRefused.Reason.LEASE_LOST, "run " + id + " of schema " + schema + " was elected for "
          + migrator.service() + "/" + migrator.instance() + ", not " + service + "/" + instance);
    }
  }

  private void elect() {
    if (state == State.OVER) {
      finish();
      return;
    }
    Arrival next = host.candidate(schema, tried);
    if (next == null) {
      log.info("Schema {}: nobody waiting can migrate it; letting its lock go until someone who can arrives", schema);
      finish();
      return;
    }
    tried.add(next);
    migrator = next;
    handedOff = false;
    goneWhileElecting = false;
    state = State.ELECTING;
    recorder.append(new Payload.MigratorElected(schema, next.service(), next.instance(), null,
            leaseSeconds(leaseDuration), host.version(schema), next.requiredVersion(), next.deploy()))
        .onSuccess(e -> {
          if (state == State.OVER) { // stopped meanwhile
            host.ended(e.seq());
            finish();
            return;
          }
          run = e.seq();
          state = State.ELECTED;
          host.current(run, this);
          log.info("Schema {}: elected {}/{} as migrator of run {}", schema, next.service(), next.instance(), run);
          if (goneWhileElecting) {
            lose(Payload.MigratorLost.STREAM_CLOSED);
          } else {
            armLease();
          }
        })
        .onFailure(e -> finish()); // the database is away: the waiters stay, the run is tried again
  }

  private void lose(String reason) {
    lose(reason, true);
  }

  private void lose(String reason, boolean electNext) {
    cancelLease();
    state = State.LOSING;
    long lost = run;
    host.ended(lost);
    log.warn("Schema {}: run {} of {}/{} lost its lease ({})", schema, lost, migrator.service(), migrator.instance(),
        reason);
    recorder.append(new Payload.MigratorLost(schema, migrator.service(), migrator.instance(), lost, reason))
        .onComplete(ar -> {
          if (ar.failed() || !electNext) {
            state = State.OVER;
            finish();
          } else {
            state = State.ELECTING;
            elect();
          }
        });
  }

  private void armLease() {
    cancelLease();
    leaseTimer = clock.schedule(leaseDuration, () -> {
      leaseTimer = null;
      if (state == State.ELECTED) lose(Payload.MigratorLost.LEASE_EXPIRED);
    });
  }

  private void cancelLease() {
    if (leaseTimer != null) leaseTimer.cancel();
    leaseTimer = null;
  }

  private void finish() {
    cancelLease();
    state = State.OVER;
    if (over.future().isComplete()) return;
    lease.release().onComplete(ar -> over.tryComplete());
  }

  private static final java.util.regex.Pattern ERROR_LINE =
      java.util.regex.Pattern.compile("(?i).*(error|exception|fatal|failed).*");

  /**
   * The line of the output that says what went wrong: the last that names an error (tools often end with a hint,
   * as SQLAlchemy's "(Background on this error at: ...)"), else the last that is not blank.
   */
  static String lastLine(String output) {
    if (output == null) return "";
    String last = null;
    String error = null;
    for (String line : output.split("\\R")) {
      if (line.isBlank()) continue;
      last = line.strip();
      if (ERROR_LINE.matcher(last).matches() && !last.startsWith("(Background on this error")) error = last;
    }
    String chosen = error != null ? error : last;
    return chosen == null ? "" : ": " + chosen;
  }
}
