package dev.muster.orchestrator.broadcast;

import dev.muster.orchestrator.db.KeepAlive;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventFeed;
import dev.muster.orchestrator.events.EventSink;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.Payload;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
  private static final int RECENT = 4096;

  private final Vertx vertx;
  /** Where the feed runs: a sink's drain may be signalled on another. */
  private final Context context;
  private final EventStore store;
  private final Pool pool;
  private final PgSubscriber subscriber;
  /** Listeners of every event (the coordinator, {@code /api/v1/events}): few. */
  private final Set<Consumer<Event>> listeners = new CopyOnWriteArraySet<>();
  /** Listeners of one schema (arrival streams, answers), found by the event's schema: thousands. */
  private final Map<String, Routes> bySchema = new HashMap<>();
  /**
   * The latest events delivered, each at slot {@code seq % RECENT}: a stream that starts a little behind the live
   * edge (every arrival of a storm) is read back from here, not from the table — a thousand arrivals would otherwise
   * each read the others' {@code service.starting} from PostgreSQL.
   */
  private final Event[] recent = new Event[RECENT];
  /**
   * The schema events in {@link #recent} that are not {@code service.*} — a run's, few — by schema, oldest first; and
   * the number of the last one that left it. An arrival's stream reads back the gap behind it from here and its own
   * events, not the whole gap: a storm's arrivals all start from about the same number, and each would otherwise step
   * over every other's {@code service.starting} — N²/2 in all, and from the table once the gap outgrows memory.
   */
  private final Map<String, ArrayDeque<Event>> recentShared = new HashMap<>();
  private final Map<String, Long> sharedLeft = new HashMap<>();
  /** The first number {@link #recent} and {@link #recentShared} took, since this feed started. */
  private long recentFrom = -1;
  /** The retention horizon as the last page read said: a stream resumed from before it is read from the table. */
  private long knownHorizon;
  private final String pingPayload;
  private final String replicaId;
  private final Promise<Void> started = Promise.promise();
  private long lastSeq = -1;
  private boolean catchingUp;
  private boolean catchUpAgain;
  private volatile long lastPingNanos;
  private long pingTimer = -1;
  private boolean closed;

  public Broadcaster(Vertx vertx, PgConnectOptions options, Pool pool, EventStore store, String replicaId) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pool = pool;
    this.store = store;
    this.pingPayload = new JsonObject().put("ping", replicaId).encode();
    this.replicaId = replicaId;
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
    return subscribe(afterSeq, schema, null, new Unbounded(listener));
  }

  /**
   * Every event after {@code afterSeq} (of {@code schema} when it is not null) into {@code sink}, read back a page at a
   * time, each page once the sink has room for it; live once the read back has reached the live edge and the sink has
   * room. While it reads back, live events are not held for it: the log holds them, and it reads them from there.
   */
  @Override
  public Runnable stream(long afterSeq, String schema, EventSink sink) {
    return subscribe(afterSeq, schema, null, sink);
  }

  /**
   * Read back from memory, at once (the listener may hear its events before this returns): of the gap behind the
   * live edge, only the schema's events that are not {@code service.*} and the arrival's own from {@code ownFrom} on.
   * A replay a client asks for (/api/v1/events) goes to the table, which knows the retention horizon (log.pruned).
   */
  @Override
  public Runnable subscribeArrival(long afterSeq, String schema, String service, String instance, long ownFrom,
      Consumer<Event> listener) {
    List<Event> back = afterSeq < knownHorizon ? null : readBack(afterSeq, schema, service, instance, ownFrom);
    return subscribe(afterSeq, schema, Routes.owner(service, instance), new Unbounded(listener), back);
  }

  /** What an arrival's stream reads back from memory, in order; null when memory no longer holds all of it. */
  private List<Event> readBack(long afterSeq, String schema, String service, String instance, long ownFrom) {
    if (afterSeq >= lastSeq) return List.of();
    long ownStart = Math.max(ownFrom, afterSeq + 1);
    if (!sharedInRecent(schema, afterSeq) || (ownStart <= lastSeq && !inRecent(ownStart))) return null;
    List<Event> back = new ArrayList<>();
    ArrayDeque<Event> shared = recentShared.get(schema);
    if (shared != null) {
      for (Iterator<Event> it = shared.descendingIterator(); it.hasNext(); ) {
        Event e = it.next();
        if (e.seq() <= afterSeq) break;
        back.add(e);
      }
      Collections.reverse(back);
    }
    for (long seq = ownStart; seq <= lastSeq; seq++) {
      Event e = recent[slot(seq)];
      if (schema.equals(e.schema()) && isService(e) && e.payload() instanceof Payload.ServiceEvent p
          && instance.equals(p.instance()) && service.equals(p.service())) {
        back.add(e);
      }
    }
    back.sort(Comparator.comparingLong(Event::seq)); // the two kinds, interleaved
    return back;
  }

  /** Whether every schema event of {@code schema} after {@code afterSeq} that is not {@code service.*} is in memory. */
  private boolean sharedInRecent(String schema, long afterSeq) {
    return recentFrom >= 0 && afterSeq + 1 >= recentFrom && sharedLeft.getOrDefault(schema, -1L) <= afterSeq;
  }

  /**
   * Each event goes to the listeners of every event and to those of its schema only — of a {@code service.*} event,
   * to the one instance's it is ({@code owner}): no event is offered to every stream of the replica.
   */
  private Runnable subscribe(long afterSeq, String schema, String owner, EventSink sink) {
    return subscribe(afterSeq, schema, owner, sink, null);
  }

  /** @param back what is read back for it from memory, already chosen; null: from the table when it is behind */
  private Runnable subscribe(long afterSeq, String schema, String owner, EventSink sink, List<Event> back) {
    Replay replay = new Replay(afterSeq, schema, sink);
    if (schema == null) {
      listeners.add(replay);
    } else {
      bySchema.computeIfAbsent(schema, k -> new Routes()).add(owner, replay);
    }
    if (back != null) {
      for (Event e : back) if (!replay.cancelled) replay.forward(e);
      replay.cursor = Math.max(replay.cursor, lastSeq);
      replay.live();
    } else if (afterSeq < lastSeq) {
      replay.readPage();
    } else {
      replay.live();
    }
    return () -> {
      if (replay.cancelled) return;
      replay.cancelled = true;
      if (schema == null) {
        listeners.remove(replay);
      } else {
        Routes routes = bySchema.get(schema);
        if (routes != null && routes.remove(owner, replay)) bySchema.remove(schema);
      }
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

  @Override
  public void pushUnlogged(Event event) {
    if (event.logged() || !(event.payload() instanceof Payload.ServiceEvent p)) return;
    Routes routes = event.schema() == null ? null : bySchema.get(event.schema());
    if (routes == null) return;
    // Straight to the sinks: it has no number for a replay's cursor to order. A snapshot: a stream that ends on this
    // event unsubscribes while it is being pushed.
    for (Replay replay : List.copyOf(routes.ownedBy(p))) {
      if (!replay.cancelled) call(replay.sink::send, event);
    }
  }

  /** The first event after {@code afterSeq} of {@code schema} that {@code matches}; read back and then live. */
  public Future<Event> first(long afterSeq, String schema, Predicate<Event> matches) {
    Promise<Event> found = Promise.promise();
    Runnable[] cancel = new Runnable[1];
    cancel[0] = subscribe(afterSeq, schema, event -> {
      // A replay from memory calls back before subscribe returns: then it is cancelled just after.
      if (matches.test(event) && found.tryComplete(event) && cancel[0] != null) cancel[0].run();
    });
    if (found.future().isComplete()) cancel[0].run();
    return found.future();
  }

  public Future<Void> close() {
    closed = true;
    if (pingTimer >= 0) vertx.cancelTimer(pingTimer);
    return subscriber.close();
  }

  private void onSubscribed() {
    lastPingNanos = System.nanoTime();
    // A listening session is idle between notifications: exempt it from idle timeouts, or it is closed every few s.
    PgConnection listening = subscriber.actualConnection();
    if (listening != null) {
      KeepAlive.apply(listening).onFailure(e -> log.warn("Could not exempt the listening session from idle timeouts: {}",
          e.getMessage()));
    }
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
    remember(event);
    // The coordinator first: what a stream's client does next (a delegated migrator's answer, a detach) relies on
    // the coordinator knowing the event. The releases it records go in the recorder's next write.
    long heard = System.nanoTime();
    for (Consumer<Event> listener : listeners) call(listener, event);
    Routes routes = event.schema() == null ? null : bySchema.get(event.schema());
    if (routes != null) {
      long start = System.nanoTime();
      // A snapshot: a stream that ends on this event unsubscribes while it is being delivered.
      List<Replay> targets = routes.targets(event);
      for (Replay replay : targets) {
        if (!replay.cancelled) call(replay, event);
      }
      if (targets.size() >= 100 && log.isDebugEnabled()) {
        log.debug("#{} {} heard by the coordinator and log listeners in {} µs, handed to {} streams in {} µs",
            event.seq(), event.typeName(), (start - heard) / 1_000, targets.size(), (System.nanoTime() - start) / 1_000);
      }
    }
  }

  /** Into {@link #recent}, and {@link #recentShared} for a schema's event that is not {@code service.*}. */
  private void remember(Event event) {
    if (recentFrom < 0) recentFrom = event.seq();
    int slot = slot(event.seq());
    Event gone = recent[slot];
    if (gone != null && shared(gone)) {
      ArrayDeque<Event> of = recentShared.get(gone.schema());
      if (of != null && of.peekFirst() == gone) {
        of.pollFirst();
        if (of.isEmpty()) recentShared.remove(gone.schema());
      }
      sharedLeft.put(gone.schema(), gone.seq());
    }
    recent[slot] = event;
    if (shared(event)) recentShared.computeIfAbsent(event.schema(), k -> new ArrayDeque<>()).addLast(event);
  }

  private static boolean shared(Event event) {
    return event.schema() != null && !isService(event);
  }

  private static boolean isService(Event event) {
    return EventType.scopeOf(event.typeName()) == EventType.Scope.SERVICE;
  }

  private static int slot(long seq) {
    return (int) (seq % RECENT);
  }

  /** Whether every event from {@code seq} to the live edge is still in {@link #recent}: deliveries are gapless. */
  private boolean inRecent(long seq) {
    Event e = recent[slot(seq)];
    return lastSeq - seq < RECENT && e != null && e.seq() == seq;
  }

  private static void call(Consumer<Event> listener, Event event) {
    try {
      listener.accept(event);
    } catch (RuntimeException e) {
      log.error("Event listener failed on #{} {}", event.seq(), event.type(), e);
    }
  }

  /** One schema's listeners: of all its events, and of its schema events plus their own {@code service.*} ones. */
  private static final class Routes {
    private final Set<Replay> all = new LinkedHashSet<>();
    private final Map<String, Set<Replay>> byOwner = new HashMap<>();
    private int owned;

    static String owner(String service, String instance) {
      return service + "\u0000" + instance;
    }

    void add(String owner, Replay replay) {
      if (owner == null) {
        all.add(replay);
      } else if (byOwner.computeIfAbsent(owner, k -> new LinkedHashSet<>(2)).add(replay)) {
        owned++;
      }
    }

    /** True when no listener is left. */
    boolean remove(String owner, Replay replay) {
      if (owner == null) {
        all.remove(replay);
      } else {
        Set<Replay> own = byOwner.get(owner);
        if (own != null && own.remove(replay)) {
          owned--;
          if (own.isEmpty()) byOwner.remove(owner);
        }
      }
      return all.isEmpty() && byOwner.isEmpty();
    }

    /** The streams of the instance {@code p} is about; none when it has none here. */
    Set<Replay> ownedBy(Payload.ServiceEvent p) {
      return byOwner.getOrDefault(owner(p.service(), p.instance()), Set.of());
    }

    List<Replay> targets(Event event) {
      if (event.payload() instanceof Payload.ServiceEvent p
          && EventType.scopeOf(event.typeName()) == EventType.Scope.SERVICE) {
        Set<Replay> own = ownedBy(p);
        List<Replay> targets = new ArrayList<>(all.size() + own.size());
        targets.addAll(all);
        targets.addAll(own);
        return targets;
      }
      List<Replay> targets = new ArrayList<>(all.size() + owned);
      targets.addAll(all);
      for (Set<Replay> own : byOwner.values()) targets.addAll(own);
      return targets;
    }
  }

  private void ping() {
    pool.preparedQuery("SELECT pg_notify($1, $2)")
        .execute(Tuple.of(EventStore.CHANNEL, pingPayload))
        .onFailure(e -> log.debug("Ping failed: {}", e.getMessage()));
  }

  /** A listener that takes whatever it is given at once: never full. */
  private record Unbounded(Consumer<Event> listener) implements EventSink {
    @Override
    public void send(Event event) {
      listener.accept(event);
    }

    @Override
    public void sendAll(List<Event> events) {
      events.forEach(listener);
    }

    @Override
    public boolean full() {
      return false;
    }

    @Override
    public void whenReady(Runnable ready) {
      ready.run();
    }
  }

  /**
   * A subscriber that reads the log from a point, page by page as its sink takes them, then goes live. While it reads
   * back it ignores live events: each page's snapshot says how far the log had got ({@link EventStore.Page#through}),
   * and what was delivered after it is read from {@link #recent} (or the next page) before it goes live — so nothing
   * is missed or repeated, and a slow sink holds one page, not the events that went by meanwhile.
   */
  private final class Replay implements Consumer<Event> {
    private final String schema;
    private final EventSink sink;
    private long cursor;
    private boolean replaying = true;
    private boolean cancelled;
    private boolean toldPruned;

    Replay(long afterSeq, String schema, EventSink sink) {
      this.cursor = afterSeq;
      this.schema = schema;
      this.sink = sink;
    }

    @Override
    public void accept(Event event) {
      if (!replaying) forward(event);
    }

    void readPage() {
      store.page(cursor, schema, PAGE).onComplete(ar -> {
        if (cancelled) return;
        if (ar.failed()) {
          // Going live now would skip what the log holds between the cursor and the live edge: read again.
          log.warn("Could not replay events after #{} ({}); trying again", cursor, ar.cause().getMessage());
          vertx.setTimer(REPLAY_RETRY_MS, id -> readPage());
          return;
        }
        EventStore.Page page = ar.result();
        knownHorizon = Math.max(knownHorizon, page.horizon());
        if (page.horizon() > cursor && !toldPruned) {
          // Events after the cursor may be gone (MUSTER_EVENTS_RETENTION): say so, rather than start later silently.
          toldPruned = true;
          sink.send(Event.unlogged(Instant.now(), replicaId, new Payload.LogPruned(schema, cursor, page.horizon())));
        }
        boolean full = page.events().size() == PAGE;
        List<Event> taken = take(page.events());
        // A page that is not full holds every event it was asked for up to where the log was (other schemas' too).
        if (!full) cursor = Math.max(cursor, page.through());
        sendAll(taken);
        next(full);
      });
    }

    /** After a page: once the sink has room, the next page, or what is left in memory and then live. */
    private void next(boolean morePages) {
      if (cancelled) return;
      if (sink.full()) {
        sink.whenReady(() -> context.runOnContext(v -> next(morePages)));
        return;
      }
      if (morePages || (cursor < lastSeq && !inRecent(cursor + 1))) {
        readPage();
        return;
      }
      // Delivered live since the page's snapshot: from memory, in the same turn as going live.
      List<Event> rest = new ArrayList<>();
      for (long seq = cursor + 1; seq <= lastSeq; seq++) rest.add(recent[slot(seq)]);
      sendAll(take(rest));
      if (!cancelled) live();
    }

    void live() {
      replaying = false;
    }

    private void sendAll(List<Event> events) {
      if (events.isEmpty() || cancelled) return;
      if (!(sink instanceof Unbounded)) {
        sink.sendAll(events);
        return;
      }
      // A listener may unsubscribe on any event (first() does): none after that.
      for (Event event : events) {
        if (cancelled) return;
        sink.send(event);
      }
    }

    /** The events after the cursor, of the schema; the cursor moves past them all. */
    private List<Event> take(List<Event> events) {
      List<Event> taken = new ArrayList<>(events.size());
      for (Event event : events) {
        if (event.seq() <= cursor) continue;
        cursor = event.seq();
        if (schema == null || schema.equals(event.schema())) taken.add(event);
      }
      return taken;
    }

    private void forward(Event event) {
      if (cancelled || event.seq() <= cursor) return;
      cursor = event.seq();
      if (schema == null || schema.equals(event.schema())) sink.send(event);
    }
  }
}
