package dev.muster.orchestrator.events;

import java.util.List;

/**
 * Where a stream's events go when the stream can say it is full: a replay writes a page of the log at once, and
 * reads the next page only once the sink has room — so a client that reads slowly holds a page in memory, not the
 * log. Live events go one at a time through {@link #send}.
 */
public interface EventSink {

  /** One event, live or read back. */
  void send(Event event);

  /** A page read back from the log, in order. */
  void sendAll(List<Event> events);

  /** True while what was sent has not yet been taken by the client, beyond a bound. */
  boolean full();

  /** Calls {@code ready} once the sink is no longer {@link #full}. */
  void whenReady(Runnable ready);
}
