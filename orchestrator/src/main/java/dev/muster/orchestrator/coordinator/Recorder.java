package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventLog;
import dev.muster.orchestrator.events.Payload;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.EncodeException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.SqlClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the coordinator's events to the log, in the order they are given, and says in this replica's own log what
 * could not be written.
 *
 * <p>One write at a time, and everything that came while it was under way goes in the next one, in one statement
 * (group commit): a thousand arrivals, or a thousand releases, cost a few appends, not a thousand, and never stand
 * in front of the broadcaster's reads in the pool. Two kinds of entries share that one queue, so the log keeps
 * their order:
 * <ul>
 *   <li>{@link #append}: the caller waits for the event (it needs its number); a failure is the caller's;</li>
 *   <li>{@link #record}: a record of what this replica already did (a waiter released, a waiter that gave up —
 *   already told). Nobody waits for it; it is kept and written again until the database takes it.</li>
 * </ul>
 * A statement the database refuses for what it holds (a data or constraint error, not a lost connection) is not
 * tried again as it was: its entries are written one per statement, so the one it refuses is found and given up on —
 * an append fails its caller, a record is dropped with an error in this replica's log — and the rest, and all that
 * comes after, are written. Without that, one bad record in front of the queue would stop the log for good.
 * Confined to the coordinator's context.
 */
final class Recorder {
  private static final Logger log = LoggerFactory.getLogger(Recorder.class);
  /** At most this many events in one statement. */
  static final int BATCH = 1000;
  private static final Duration FIRST_RETRY = Duration.ofMillis(250);
  private static final Duration LAST_RETRY = Duration.ofSeconds(2);

  private final EventLog events;
  private final Clock clock;
  private final Consumer<Event> committed;
  private final Consumer<Payload> dropped;
  private final ArrayDeque<Entry> queue = new ArrayDeque<>();
  private boolean writing;
  private boolean flushScheduled;
  private Clock.Timer retry;
  private Duration retryDelay = FIRST_RETRY;
  /** Entries at the head of the queue from a statement the database refused: written one per statement. */
  private int suspects;
  private boolean stopped;
  private final List<Promise<Void>> idle = new ArrayList<>();

  /**
   * @param committed told of each event once it is in the log, before whoever waits for it
   * @param dropped   told of each record the database refuses, once it is given up on
   */
  Recorder(EventLog events, Clock clock, Consumer<Event> committed, Consumer<Payload> dropped) {
    this.events = events;
    this.clock = clock;
    this.committed = committed;
    this.dropped = dropped;
  }

  /** Appends the event after those queued before it; completes once it is in the log. */
  Future<Event> append(Payload payload) {
    return append(payload, List.of());
  }

  /** {@link #append(Payload)}, with records that go in the same statement right after it. */
  Future<Event> append(Payload payload, List<Payload> records) {
    Promise<Event> written = Promise.promise();
    queue.add(new Entry(payload, written));
    for (Payload r : records) queue.add(new Entry(r, null));
    flush();
    return written.future().onFailure(e -> couldNot(payload, e));
  }

  /** Records what already happened; written as soon as the database takes it. */
  void record(Payload payload) {
    recordAll(List.of(payload));
  }

  void recordAll(List<Payload> payloads) {
    if (stopped || payloads.isEmpty()) return;
    for (Payload p : payloads) queue.add(new Entry(p, null));
    // Nobody waits for a record: encoding a thousand releases waits until the outcome they follow is on the wire.
    flushLater();
  }

  private void flushLater() {
    if (flushScheduled) return;
    flushScheduled = true;
    clock.later(() -> {
      flushScheduled = false;
      flush();
    });
  }

  /** Events given to this recorder and not yet in the log. */
  int unwritten() {
    return queue.size();
  }

  /** Completes once everything given so far is written (or given up on by {@link #stop}). */
  Future<Void> idle() {
    if (!writing && queue.isEmpty()) return Future.succeededFuture();
    Promise<Void> p = Promise.promise();
    idle.add(p);
    return p.future();
  }

  /** The replica stops: what is still queued is not written (the log keeps what it has). */
  void stop() {
    stopped = true;
    if (retry != null) retry.cancel();
    retry = null;
    if (!queue.isEmpty()) {
      log.warn("Stopping with {} event(s) not recorded (the database did not take them)", queue.size());
    }
    for (Entry e : queue) if (e.written != null) e.written.tryFail("the replica stopped before the event was recorded");
    queue.clear();
    idleNow();
  }

  private void idleNow() {
    List<Promise<Void>> waiting = new ArrayList<>(idle);
    idle.clear();
    waiting.forEach(Promise::tryComplete);
  }

  /**
   * From a worker thread: waits until the event is written, so that progress is recorded in order. On {@code session}
   * (the run's lock session): Flyway calls with the migration's transaction open, and a pooled session can be a long
   * wait away under an arrival storm — long enough for {@code idle_in_transaction_session_timeout} to end the
   * migration's session.
   */
  void appendAndWait(Payload payload, SqlClient session) {
    try {
      events.append(payload, session).toCompletionStage().toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      couldNot(payload, e);
    } catch (Exception e) {
      couldNot(payload, e);
    }
  }

  Event appendInTransaction(Connection transaction, Payload payload) throws SQLException {
    return events.appendInTransaction(transaction, payload);
  }

  /** The id of the transaction open on {@code transaction}, for {@link #committed}. */
  long transaction(Connection transaction) throws SQLException {
    return events.transaction(transaction);
  }

  /** Whether the transaction {@link #transaction} named committed (an event appended in it is in the log). */
  Future<Boolean> committed(long transaction) {
    return events.committed(transaction);
  }

  private void flush() {
    if (!writing && queue.isEmpty() && !idle.isEmpty()) idleNow();
    if (writing || retry != null || queue.isEmpty()) return;
    boolean suspect = suspects > 0;
    if (suspect) suspects--;
    int limit = suspect ? 1 : BATCH;
    List<Entry> batch = new ArrayList<>(Math.min(queue.size(), limit));
    List<Payload> payloads = new ArrayList<>(batch.size());
    while (!queue.isEmpty() && batch.size() < limit) {
      Entry e = queue.poll();
      batch.add(e);
      payloads.add(e.payload);
    }
    writing = true;
    Future<List<Event>> write;
    try {
      write = events.appendAll(payloads);
    } catch (RuntimeException e) {
      write = Future.failedFuture(e);
    }
    write.onComplete(ar -> {
      if (ar.succeeded()) {
        if (retryDelay != FIRST_RETRY) log.info("The database takes events again; {} more to record", queue.size());
        retryDelay = FIRST_RETRY;
        List<Event> written = ar.result();
        // Whoever waits for an event hears first (a delegated run learns of its own election before the elected
        // instance's stream does); what they queue meanwhile waits for the next write, after the streams are
        // served below, so a thousand releases are not encoded in front of the outcome's fan-out.
        for (int i = 0; i < batch.size(); i++) {
          Promise<Event> p = batch.get(i).written;
          if (p != null) p.tryComplete(written.get(i));
        }
        for (Event e : written) committed.accept(e);
        writing = false;
      } else {
        writing = false;
        if (!refused(ar.cause())) {
          if (suspect && batch.get(0).written == null) suspects++; // a record kept: still a suspect
          failed(batch, ar.cause());
        } else if (batch.size() > 1) {
          // Which entry is refused is not said: write them one by one, in their order.
          log.warn("The database refused a statement of {} events ({}); writing them one per statement",
              batch.size(), String.valueOf(ar.cause().getMessage()));
          for (int i = batch.size() - 1; i >= 0; i--) queue.addFirst(batch.get(i));
          suspects = batch.size();
        } else {
          giveUp(batch.get(0), ar.cause());
        }
      }
      // What came meanwhile (the releases of the outcome just served) goes once the streams have been written.
      flushLater();
    });
  }

  /** The callers' appends fail; the records go back to the front of the queue, and are tried again later. */
  private void failed(List<Entry> batch, Throwable cause) {
    List<Entry> kept = new ArrayList<>();
    for (Entry e : batch) {
      if (e.written != null) {
        e.written.tryFail(cause);
      } else {
        kept.add(e);
      }
    }
    if (kept.isEmpty() || stopped) return;
    for (int i = kept.size() - 1; i >= 0; i--) queue.addFirst(kept.get(i));
    if (retryDelay == FIRST_RETRY) {
      log.warn("Could not record {} event(s) ({}...): {}; trying again until the database takes them", kept.size(),
          kept.get(0).payload.typeName(), String.valueOf(cause.getMessage()));
    }
    Duration delay = retryDelay;
    retryDelay = delay.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : delay.multipliedBy(2);
    retry = clock.schedule(delay, () -> {
      retry = null;
      flush();
    });
  }

  /**
   * Whether the database refused the statement for what it holds, so that the same statement would be refused
   * again: SQLSTATE class 22 (data exception) or 23 (integrity constraint violation), or an event that could not be
   * encoded at all. Anything else may pass on a later try: a lost connection, a server shutting down, Muster's own
   * schema gone for a moment, a full NOTIFY queue (54000, a program limit that drains).
   */
  static boolean refused(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        String state = String.valueOf(pg.getSqlState());
        return state.startsWith("22") || state.startsWith("23");
      }
      if (t instanceof EncodeException) return true;
    }
    return false;
  }

  /** An entry the database refuses on its own: its caller hears why, or the record is dropped, and said so. */
  private void giveUp(Entry entry, Throwable cause) {
    if (entry.written != null) {
      entry.written.tryFail(cause);
    } else {
      log.error("Dropped {} for schema {}: the database refuses to record it ({}); the events after it are recorded",
          entry.payload.typeName(), entry.payload.schema(), String.valueOf(cause.getMessage()));
      dropped.accept(entry.payload);
    }
  }

  private static void couldNot(Payload payload, Throwable e) {
    log.warn("Could not record {} for schema {}: {}", payload.typeName(), payload.schema(), String.valueOf(e.getMessage()));
  }

  /** One event to write; {@code written} is null for a record nobody waits for. */
  private record Entry(Payload payload, Promise<Event> written) {}
}
