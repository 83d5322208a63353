package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.Payload;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * This replica's arrivals that wait for their schema, each with its give-up timer. An arrival leaves by being
 * released ({@code service.released}), by giving up when its timeout passes ({@code service.gave_up}), by a
 * failure that leaves its schema below what it needs (the {@code schema.failed} itself tells it), or by going
 * away (its stream closed). Confined to the coordinator's context.
 *
 * <p>Nobody waits for the records: a waiter is told first — by the outcome itself, which its stream or answer
 * ends on, or, when it gives up, by an {@link Event#unlogged unlogged} {@code service.gave_up} pushed to it on this
 * replica's clock — and the {@link Recorder} writes the records after, many in one statement, again and again
 * while the database is down.
 */
final class Waiters {
  private final Clock clock;
  private final Recorder recorder;
  private final String replicaId;
  private final Map<String, Map<Arrival, Waiter>> bySchema = new HashMap<>();

  Waiters(Clock clock, Recorder recorder, String replicaId) {
    this.clock = clock;
    this.recorder = recorder;
    this.replicaId = replicaId;
  }

  /**
   * Where to push what concerns the waiting arrival before the log has it (its {@code service.gave_up}); nothing
   * when it is no longer waiting.
   */
  void attach(Arrival arrival, Consumer<Event> pushed) {
    Map<Arrival, Waiter> waiting = bySchema.get(arrival.schema());
    Waiter w = waiting == null ? null : waiting.get(arrival);
    if (w != null) w.pushed = pushed;
  }

  /** The arrival waits; it gives up when its timeout passes. */
  void await(Arrival arrival) {
    Waiter w = new Waiter(arrival, clock.nanoTime());
    bySchema.computeIfAbsent(arrival.schema(), k -> new LinkedHashMap<>()).put(arrival, w);
    if (arrival.timeout() != null) w.timer = clock.schedule(arrival.timeout(), () -> giveUp(arrival));
  }

  /** An arrival whose schema already is new enough: released without waiting. */
  void releaseAtOnce(Arrival arrival, String version) {
    recorder.record(new Payload.ServiceReleased(arrival.schema(), arrival.service(), arrival.instance(), version, 0L));
  }

  /** The arrival went away before it was settled: forget it, quietly. */
  void detach(Arrival arrival) {
    Waiter w = remove(arrival);
    if (w != null) w.cancelTimer();
  }

  /**
   * The first waiting arrival of {@code schema} that can migrate it, arrived after event {@code afterSeq} and not in
   * {@code tried}; {@code null} when there is none.
   */
  Arrival candidate(String schema, Set<Arrival> tried, long afterSeq) {
    Map<Arrival, Waiter> waiting = bySchema.get(schema);
    if (waiting == null) return null;
    for (Arrival a : waiting.keySet()) {
      if (a.canMigrate() && a.seq() > afterSeq && !tried.contains(a)) return a;
    }
    return null;
  }

  boolean any(String schema) {
    Map<Arrival, Waiter> waiting = bySchema.get(schema);
    return waiting != null && !waiting.isEmpty();
  }

  /**
   * A run of {@code schema} ended, as event {@code outcomeSeq}, with the schema at {@code version}: each waiter whose
   * stream carries that event and is satisfied by it is released; after a failure, the others leave too (the failure
   * tells them). After a success, those that need more stay. A waiter's stream carries the outcome when it arrived
   * before this replica had heard it — even if its {@code service.starting} came after the outcome in the log: it
   * was not released at once only because the news was still on its way. Settling the same outcome twice changes
   * nothing.
   */
  void settle(String schema, long outcomeSeq, boolean ready, String version) {
    Map<Arrival, Waiter> waiting = bySchema.get(schema);
    if (waiting == null) return;
    List<Waiter> settled = new ArrayList<>();
    waiting.values().removeIf(w -> {
      if (w.arrival.streamFrom() >= outcomeSeq) return false;
      if (ready && !w.arrival.satisfiedBy(version)) return false;
      settled.add(w);
      return true;
    });
    if (waiting.isEmpty()) bySchema.remove(schema);
    List<Payload> released = new ArrayList<>(settled.size());
    for (Waiter w : settled) {
      w.cancelTimer();
      // A failed run may still have brought the schema to what a waiter needs: it starts.
      if (ready ? w.arrival.satisfiedBy(version) : w.arrival.survives(version)) {
        released.add(new Payload.ServiceReleased(schema, w.arrival.service(), w.arrival.instance(), version,
            w.waitedMs()));
      }
    }
    recorder.recordAll(released);
  }

  /** Forgets every waiter, without a word: the replica stops and its services move to another. */
  void clear() {
    bySchema.values().forEach(waiting -> waiting.values().forEach(Waiter::cancelTimer));
    bySchema.clear();
  }

  private void giveUp(Arrival arrival) {
    Waiter w = remove(arrival);
    if (w == null) return;
    Payload gaveUp = new Payload.ServiceGaveUp(arrival.schema(), arrival.service(), arrival.instance(),
        arrival.requiredVersion(), w.waitedMs());
    // Told on time whatever the database does; the log has it when the database takes it.
    if (w.pushed != null) w.pushed.accept(Event.unlogged(clock.now(), replicaId, gaveUp));
    recorder.record(gaveUp);
  }

  private Waiter remove(Arrival arrival) {
    Map<Arrival, Waiter> waiting = bySchema.get(arrival.schema());
    if (waiting == null) return null;
    Waiter w = waiting.remove(arrival);
    if (waiting.isEmpty()) bySchema.remove(arrival.schema());
    return w;
  }

  /** One waiting arrival: since when, and its give-up timer. */
  private final class Waiter {
    final Arrival arrival;
    final long sinceNanos;
    Clock.Timer timer;
    Consumer<Event> pushed;

    Waiter(Arrival arrival, long sinceNanos) {
      this.arrival = arrival;
      this.sinceNanos = sinceNanos;
    }

    long waitedMs() {
      return (clock.nanoTime() - sinceNanos) / 1_000_000;
    }

    void cancelTimer() {
      if (timer != null) timer.cancel();
    }
  }
}
