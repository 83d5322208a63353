package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventFeed;
import dev.muster.orchestrator.events.EventLog;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.Payload;
import io.vertx.core.Future;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A log in memory, shared by "replicas" in a test. Appends are numbered at once; like the broadcaster, the
 * feed hands them to listeners later, when the test calls {@link #deliver}.
 */
final class MemoryLog implements EventFeed {
  private final Clock clock;
  private final List<Event> events = new ArrayList<>();
  private final List<Consumer<Event>> listeners = new ArrayList<>();
  private int delivered;

  MemoryLog(Clock clock) {
    this.clock = clock;
  }

  /** The log as replica {@code orchestrator} writes to it. */
  EventLog writer(String orchestrator) {
    return new EventLog() {
      @Override
      public Future<Event> append(Payload payload) {
        return Future.succeededFuture(add(orchestrator, payload));
      }

      @Override
      public Event appendInTransaction(Connection transaction, Payload payload) {
        return add(orchestrator, payload);
      }

      @Override
      public long transaction(Connection transaction) {
        return 1;
      }

      @Override
      public Future<Boolean> committed(long transaction) {
        return Future.succeededFuture(true); // a log in memory has no transactions: everything appended is in it
      }

      @Override
      public Future<List<Event>> lastOutcomes() {
        Map<String, Event> last = new LinkedHashMap<>();
        for (Event e : events) if (e.type() != null && e.type().isOutcome()) last.put(e.schema(), e);
        return Future.succeededFuture(new ArrayList<>(last.values()));
      }
    };
  }

  Event add(String orchestrator, Payload payload) {
    Event e = Event.logged(events.size() + 1, clock.now(), orchestrator, payload);
    events.add(e);
    return e;
  }

  /** Hands every event not yet delivered to the listeners, in order (including those appended meanwhile). */
  void deliver() {
    while (delivered < events.size()) {
      Event e = events.get(delivered++);
      for (Consumer<Event> l : List.copyOf(listeners)) l.accept(e);
    }
  }

  List<Event> events() {
    return List.copyOf(events);
  }

  /** "type instance" or "type version" of each event, for assertions that read as the log. */
  List<String> lines() {
    List<String> lines = new ArrayList<>();
    for (Event e : events) {
      Payload p = e.payload();
      String detail = p instanceof Payload.ServiceEvent s ? s.instance()
          : p instanceof Payload.SchemaReady r ? r.version()
          : p instanceof Payload.MigrationStarted m ? m.version()
          : p instanceof Payload.MigrationApplied m ? m.version()
          : p instanceof Payload.SchemaFailed f ? f.version() : "";
      lines.add((e.typeName() + " " + detail).strip());
    }
    return lines;
  }

  long count(EventType type) {
    return events.stream().filter(e -> e.type() == type).count();
  }

  @Override
  public long lastSeq() {
    return delivered;
  }

  @Override
  public Runnable subscribe(Consumer<Event> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public Runnable subscribe(long afterSeq, String schema, Consumer<Event> listener) {
    throw new UnsupportedOperationException("the coordinator follows the live log only");
  }
}
