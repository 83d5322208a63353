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

  /** Every event after {@code afterSeq} (of {@code schema} only, unless null): read back first, then live. */
  Runnable subscribe(long afterSeq, String schema, Consumer<Event> listener);
}
