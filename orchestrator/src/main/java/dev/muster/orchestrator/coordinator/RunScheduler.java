package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.lock.Locks;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when this replica runs a schema.
 *
 * <ul>
 *   <li><b>Single flight</b>: one try or run per schema at a time here, and across replicas the schema's lock
 *   (a non-blocking try) lets one holder run it.</li>
 *   <li><b>Parallel limit</b>: at most {@code maxParallel} tries and runs at once; further schemas queue, first
 *   come first served, and start as slots free up.</li>
 *   <li><b>Take-over</b>: a holder that dies says nothing (PostgreSQL drops its lock silently), so while local
 *   arrivals wait and another session holds the lock, the lock is tried again after {@code takeoverCheck} of
 *   silence from the holder; each sign of life ({@link #heardFromHolder}) restarts that clock.</li>
 * </ul>
 *
 * <p>Each schema is in one {@link Phase}; a take-over check may be armed beside it. Confined to the coordinator's
 * context.
 */
final class RunScheduler {
  private static final Logger log = LoggerFactory.getLogger(RunScheduler.class);

  /**
   * Starts a run of the schema, holding its lease, as attempt {@code attempt} (1-based) since its last outcome;
   * completes when the run is over and the lease let go, with how it ended.
   */
  interface Runs {
    Future<Run.End> run(String schema, Locks.Lease lease, int attempt);
  }

  /** Where a schema stands with this replica. */
  enum Phase {
    /** Nothing under way here (another replica may be running it: then a take-over check is armed). */
    IDLE,
    /** Wanted, waiting for a slot under the parallel limit. */
    QUEUED,
    /** Its lock is being tried. */
    TRYING,
    /** This replica holds its lock and runs it. */
    RUNNING
  }

  private final int maxParallel;
  private final Duration takeoverCheck;
  private final Locks locks;
  private final Runs runs;
  private final Clock clock;
  private final Predicate<String> wanted;
  private final RetryPolicy retries;
  private final Map<String, Slot> slots = new HashMap<>();
  private final ArrayDeque<Slot> queue = new ArrayDeque<>();
  private int active;
  private boolean stopping;
  private Promise<Void> idle;

  /** @param wanted whether local arrivals still wait for a schema: only then is a run worth trying */
  RunScheduler(int maxParallel, Duration takeoverCheck, Locks locks, Runs runs, Clock clock, Predicate<String> wanted) {
    this(maxParallel, takeoverCheck, locks, runs, clock, wanted, RetryPolicy.DEFAULT);
  }

  /** @param retries when a run that ended without an outcome is tried again */
  RunScheduler(int maxParallel, Duration takeoverCheck, Locks locks, Runs runs, Clock clock, Predicate<String> wanted,
      RetryPolicy retries) {
    this.retries = retries;
    this.maxParallel = maxParallel;
    this.takeoverCheck = takeoverCheck;
    this.locks = locks;
    this.runs = runs;
    this.clock = clock;
    this.wanted = wanted;
  }

  /** Local arrivals wait for {@code schema}: try to run it, unless a try or run is under way or no slot is free. */
  void request(String schema) {
    if (stopping || !wanted.test(schema)) return;
    Slot s = slots.computeIfAbsent(schema, Slot::new);
    if (s.phase == Phase.TRYING || s.phase == Phase.RUNNING) return;
    if (active >= maxParallel) {
      if (s.phase != Phase.QUEUED) {
        s.phase = Phase.QUEUED;
        queue.add(s);
      }
      return;
    }
    if (s.phase == Phase.QUEUED) queue.remove(s);
    s.cancelCheck();
    s.phase = Phase.TRYING;
    active++;
    locks.tryAcquire(schema, this::lockLost).onComplete(ar -> tried(s, ar));
  }

  /** The lock's holder spoke (an event of its run): it lives. Restarts the silence clock. */
  void heardFromHolder(String schema) {
    Slot s = slots.get(schema);
    if (s == null || s.phase == Phase.RUNNING) return;
    s.cancelCheck();
    armCheck(s);
  }

  /** The schema's run ended (an outcome is in the log): nobody is left to watch. */
  void settled(String schema) {
    Slot s = slots.get(schema);
    if (s == null) return;
    s.cancelCheck();
    s.interruptions = 0;
    s.retriesWithout = 0;
  }

  /**
   * Another replica's run of the schema died as attempt {@code attempt} ({@code schema.interrupted}): the bound on
   * attempts is the fleet's, not each replica's, and the retry waits out the same backoff.
   */
  void interruptedElsewhere(String schema, int attempt) {
    Slot s = slots.get(schema);
    if (s == null || s.phase == Phase.RUNNING) return;
    s.interruptions = Math.max(s.interruptions, attempt);
    if (s.phase != Phase.IDLE || stopping || !wanted.test(schema)) return;
    s.cancelCheck();
    s.check = clock.schedule(retries.delayAfter(attempt), () -> {
      s.check = null;
      request(s.schema);
    });
  }

  Phase phase(String schema) {
    Slot s = slots.get(schema);
    return s == null ? Phase.IDLE : s.phase;
  }

  /** Tries and runs under way here. */
  int active() {
    return active;
  }

  /** Starts nothing more; completes once the tries and runs under way are over. */
  Future<Void> stop() {
    stopping = true;
    queue.forEach(s -> s.phase = Phase.IDLE);
    queue.clear();
    slots.values().forEach(Slot::cancelCheck);
    if (active == 0) return Future.succeededFuture();
    if (idle == null) idle = Promise.promise();
    return idle.future();
  }

  private void tried(Slot s, AsyncResult<Locks.Lease> ar) {
    if (ar.succeeded() && ar.result() != null && !stopping) {
      s.lockUnreachable = false;
      s.phase = Phase.RUNNING;
      runs.run(s.schema, ar.result(), s.interruptions + 1).onComplete(done -> {
        s.phase = Phase.IDLE;
        freed();
        Run.End end = done.succeeded() ? done.result() : Run.End.AGAIN;
        if (end == Run.End.DONE) {
          s.interruptions = 0;
          s.retriesWithout = 0;
          // Waiters that came after the outcome join a new run (e.g. after a fix, a retry).
          request(s.schema);
          return;
        }
        // Never at once: a run that keeps ending without an outcome must not loop (backoff, jitter, a bound).
        Duration delay = end == Run.End.INTERRUPTED ? retries.delayAfter(++s.interruptions)
            : retries.delayAfter(++s.retriesWithout);
        s.cancelCheck();
        if (!stopping) {
          s.check = clock.schedule(delay, () -> {
            s.check = null;
            request(s.schema);
          });
        }
      });
      return;
    }
    s.phase = Phase.IDLE;
    if (ar.failed()) {
      // Said once per outage, not at every retry.
      if (!s.lockUnreachable) log.warn("Could not try the lock of schema {}: {}", s.schema, ar.cause().getMessage());
      s.lockUnreachable = true;
    } else if (ar.result() != null) {
      ar.result().release(); // got it while stopping: let it go unused
    } else {
      s.lockUnreachable = false;
    }
    freed();
    // Another replica runs it, or the database could not be asked: its events will settle our waiters, or the
    // check will try again.
    armCheck(s);
  }

  private void freed() {
    active--;
    if (stopping) {
      if (active == 0 && idle != null) idle.tryComplete();
      return;
    }
    while (active < maxParallel && !queue.isEmpty()) {
      Slot next = queue.poll();
      next.phase = Phase.IDLE;
      request(next.schema);
    }
  }

  private void armCheck(Slot s) {
    if (stopping || s.phase == Phase.RUNNING || s.check != null || !wanted.test(s.schema)) return;
    s.check = clock.schedule(takeoverCheck, () -> {
      s.check = null;
      request(s.schema);
    });
  }

  private void lockLost(String schema) {
    log.warn("The lock session of schema {} closed during the run; the run goes on, and a take-over waits for its migration session",
        schema);
  }

  /** One schema's standing here. */
  private static final class Slot {
    final String schema;
    Phase phase = Phase.IDLE;
    /** The armed take-over check, if any. */
    Clock.Timer check;
    /** Whether the last try could not reach the database (said once per outage). */
    boolean lockUnreachable;
    /** Runs here that ended without an outcome because their session died, since the last outcome. */
    int interruptions;
    /** Runs here that ended without an outcome and spent no attempt, in a row (for their backoff). */
    int retriesWithout;

    Slot(String schema) {
      this.schema = schema;
    }

    void cancelCheck() {
      if (check != null) check.cancel();
      check = null;
    }
  }
}
