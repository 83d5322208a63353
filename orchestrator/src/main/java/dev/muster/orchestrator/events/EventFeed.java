package dev.muster.orchestrator.events;

import java.util.function.Consumer;

/**
 * The log as it grows, every replica's events in order, each once: {@link dev.muster.orchestrator.broadcast.Broadcaster}
 * on PostgreSQL. Listeners are called on the feed's context.
 */
public interface EventFeed {

  /** The number of the last event delivered to listeners. */
  long lastSeq();

  /** Every event from now on; the returned action unsubscribes. */
  Runnable subscribe(Consumer<Event> listener);

  /**
   * An event this replica has just seen committed (its own append came back): delivered at once when it is the
   * next in order, so this replica's waiters need not wait for the notification and the read behind it.
   */
  default void offer(Event committed) {}

  /**
   * A {@code service.*} event the log will not have (the database refused to record it), pushed now to the
   * streams of the instance it is about on this replica — not to the log's readers, whose log it is not in.
   */
  default void pushUnlogged(Event event) {}

  /** Every event after {@code afterSeq} (of {@code schema} only, unless null): read back first, then live. */
  Runnable subscribe(long afterSeq, String schema, Consumer<Event> listener);

  /**
   * As {@link #subscribe(long, String, Consumer)}, into a sink that can be full: the read back waits for it, page by
   * page, instead of holding what the client has not taken.
   */
  default Runnable stream(long afterSeq, String schema, EventSink sink) {
    return subscribe(afterSeq, schema, sink::send);
  }

  /**
   * An arrival's events after {@code afterSeq}: those of {@code schema}, but of its {@code service.*} events only
   * those of {@code service}/{@code instance} — so that a feed can route each event to its streams rather than offer
   * it to all of them. Its own events begin at {@code ownFrom}: a feed may read back only what is the arrival's.
   */
  default Runnable subscribeArrival(long afterSeq, String schema, String service, String instance, long ownFrom,
      Consumer<Event> listener) {
    return subscribe(afterSeq, schema, e -> {
      if (EventType.scopeOf(e.typeName()) != EventType.Scope.SERVICE
          || (e.payload() instanceof Payload.ServiceEvent p && service.equals(p.service())
              && instance.equals(p.instance()))) {
        listener.accept(e);
      }
    });
  }
}
