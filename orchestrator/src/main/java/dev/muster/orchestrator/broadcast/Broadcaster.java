package dev.muster.orchestrator.broadcast;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventFeed;
import dev.muster.orchestrator.events.EventStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers every event of the log to this replica's listeners, in order, each once — whichever replica
 * appended it. A notification on {@code muster_events} (sent in the same transaction as each append) wakes it,
 * and it reads the events after the last one it delivered from the table: the log's numbers are gapless and
 * commit in order, so nothing is skipped, and nothing a notification says is believed. After every
 * (re)connect it reads the same way: a missed NOTIFY never strands a waiter.
 *
 * <p>Use it from the context that created it; listeners are called there.
 */
public final class Broadcaster implements EventFeed {
  private static final Logger log = LoggerFactory.getLogger(Broadcaster.class);
  private static final int PAGE = 500;
  private static final long PING_MS = 5_000;
  private static final long REPLAY_RETRY_MS = 500;

  private final Vertx vertx;
  private final EventStore store;
  private final Pool pool;
  private final PgSubscriber subscriber;
  private final Set<Consumer<Event>> listeners = new CopyOnWriteArraySet<>();
  private final String pingPayload;
  private final Promise<Void> started = Promise.promise();
  private long lastSeq = -1;
  private boolean catchingUp;
  private boolean catchUpAgain;
  private volatile long lastPingNanos;
  private long pingTimer = -1;
  private boolean closed;

  public Broadcaster(Vertx vertx, PgConnectOptions options, Pool pool, EventStore store, String replicaId) {
    this.vertx = vertx;
    this.pool = pool;
    this.store = store;
    this.pingPayload = new JsonObject().put("ping", replicaId).encode();
    PgConnectOptions listenOptions = new PgConnectOptions(options)
        .addProperty("application_name", applicationName(replicaId));
    this.subscriber = PgSubscriber.subscriber(vertx, listenOptions)
        // Retry for ever, quickly: while it is down this replica is blind to other replicas.
        .reconnectPolicy(attempt -> closed ? -1L : Math.min(2_000L, 100L * (attempt + 1)));
    subscriber.channel(EventStore.CHANNEL)
        .handler(this::onNotification)
        .subscribeHandler(v -> onSubscribed());
  }

  /** The {@code application_name} of the listening session, as {@code pg_stat_activity} shows it. */
  public static String applicationName(String replicaId) {
    String name = "muster-listen:" + replicaId;
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  /** Connects and LISTENs; completes once the starting point in the log is known. */
  public Future<Void> start() {
    subscriber.connect().onFailure(started::tryFail);
    pingTimer = vertx.setPeriodic(PING_MS, id -> ping());
    return started.future();
  }

  @Override
  public long lastSeq() {
    return lastSeq;
  }

  /** True while notifications arrive: the listening connection is up and our own pings come back. */
  public boolean listening() {
    return !subscriber.closed() && subscriber.actualConnection() != null
        && System.nanoTime() - lastPingNanos < 3 * PING_MS * 1_000_000;
  }

  @Override
  public Runnable subscribe(Consumer<Event> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /**
   * Every event after {@code afterSeq} (only those of {@code schema} when it is not null): first read back
   * from the log, then live, with none missed and none repeated. The returned action unsubscribes.
   */
  @Override
  public Runnable subscribe(long afterSeq, String schema, Consumer<Event> listener) {
    Replay replay = new Replay(afterSeq, schema, listener);
    listeners.add(replay);
    if (afterSeq < lastSeq) {
      replay.readPage();
    } else {
      replay.live();
    }
    return () -> {
      replay.cancelled = true;
      listeners.remove(replay);
    };
  }

  @Override
  public void offer(Event committed) {
    if (lastSeq < 0 || !committed.logged()) return;
    // The log commits in number order: the next number means nothing before it is missing.
    if (committed.seq() == lastSeq + 1) {
      deliver(committed);
    } else if (committed.seq() > lastSeq) {
      catchUp();
    }
  }

  /** The first event after {@code afterSeq} of {@code schema} that {@code matches}; read back and then live. */
  public Future<Event> first(long afterSeq, String schema, Predicate<Event> matches) {
    Promise<Event> found = Promise.promise();
    Runnable[] cancel = new Runnable[1];
    cancel[0] = subscribe(afterSeq, schema, event -> {
      if (matches.test(event) && found.tryComplete(event)) cancel[0].run(); // never called before subscribe returns
    });
    return found.future();
  }

  public Future<Void> close() {
    closed = true;
    if (pingTimer >= 0) vertx.cancelTimer(pingTimer);
    return subscriber.close();
  }

  private void onSubscribed() {
    lastPingNanos = System.nanoTime();
    if (lastSeq < 0) {
      // First LISTEN: it is in place, so whatever commits after this read is notified to us.
      store.lastSeq().onSuccess(seq -> {
        lastSeq = seq;
        started.tryComplete();
        catchUp(); // a notification that came before this read was dropped: read the log once
      }).onFailure(started::tryFail);
    } else {
      log.info("Listening again on {}; reading the events missed since #{}", EventStore.CHANNEL, lastSeq);
      catchUp();
    }
  }

  /**
   * A notification is only a wake-up: the events themselves are read from the table. Any role that can
   * connect may NOTIFY this channel, so a payload is never taken for an event — it could be forged.
   * Notifications that arrive during a read coalesce into one more read.
   */
  private void onNotification(String payload) {
    if (pingPayload.equals(payload)) {
      lastPingNanos = System.nanoTime();
    } else if (lastSeq >= 0) {
      catchUp();
    }
  }

  private void catchUp() {
    if (catchingUp) {
      catchUpAgain = true;
      return;
    }
    catchingUp = true;
    catchUpAgain = false;
    store.after(lastSeq, null, PAGE).onComplete(ar -> {
      catchingUp = false;
      if (ar.failed()) {
        log.warn("Could not read the event log after #{}: {}", lastSeq, ar.cause().getMessage());
        return; // the next notification or reconnect tries again
      }
      List<Event> events = ar.result();
      events.forEach(this::deliver);
      if (events.size() == PAGE || catchUpAgain) catchUp();
    });
  }

  private void deliver(Event event) {
    if (event.seq() <= lastSeq) return;
    lastSeq = event.seq();
    for (Consumer<Event> listener : listeners) {
      try {
        listener.accept(event);
      } catch (RuntimeException e) {
        log.error("Event listener failed on #{} {}", event.seq(), event.type(), e);
      }
    }
  }

  private void ping() {
    pool.preparedQuery("SELECT pg_notify($1, $2)")
        .execute(Tuple.of(EventStore.CHANNEL, pingPayload))
        .onFailure(e -> log.debug("Ping failed: {}", e.getMessage()));
  }

  /** A subscriber that reads the log from a point, buffering live events until it has caught up. */
  private final class Replay implements Consumer<Event> {
    private final String schema;
    private final Consumer<Event> listener;
    private final ArrayDeque<Event> buffer = new ArrayDeque<>();
    private long cursor;
    private boolean replaying = true;
    private boolean cancelled;

    Replay(long afterSeq, String schema, Consumer<Event> listener) {
      this.cursor = afterSeq;
      this.schema = schema;
      this.listener = listener;
    }

    @Override
    public void accept(Event event) {
      if (replaying) {
        buffer.add(event);
      } else {
        forward(event);
      }
    }

    void readPage() {
      store.after(cursor, schema, PAGE).onComplete(ar -> {
        if (cancelled) return;
        if (ar.failed()) {
          // Going live now would skip what the log holds between the cursor and the live edge: read again.
          log.warn("Could not replay events after #{} ({}); trying again", cursor, ar.cause().getMessage());
          vertx.setTimer(REPLAY_RETRY_MS, id -> readPage());
          return;
        }
        ar.result().forEach(this::forward);
        if (ar.result().size() == PAGE) {
          readPage();
        } else {
          live();
        }
      });
    }

    void live() {
      replaying = false;
      while (!buffer.isEmpty() && !cancelled) forward(buffer.poll());
    }

    private void forward(Event event) {
      if (cancelled || event.seq() <= cursor) return;
      cursor = event.seq();
      if (schema == null || schema.equals(event.schema())) listener.accept(event);
    }
  }
}
