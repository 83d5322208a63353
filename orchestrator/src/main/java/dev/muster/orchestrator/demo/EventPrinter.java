package dev.muster.orchestrator.demo;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.Payload;

/**
 * Shows what the orchestrator does, as its own service in the demo's output: it follows the orchestrator's
 * event log from the start, as the dashboard does, and prints one line per arrival, migration and outcome.
 */
final class EventPrinter implements AutoCloseable {
  private final Orchestrator orchestrator;
  private final DemoConsole console;
  private final int index;
  private volatile Runnable stop;

  EventPrinter(Orchestrator orchestrator, DemoConsole console, int index) {
    this.orchestrator = orchestrator;
    this.console = console;
    this.index = index;
  }

  void start() {
    stop = orchestrator.follow(0, event -> {
      String text = describe(event);
      if (text != null) console.line(index, DemoConsole.ORCHESTRATOR, text);
    });
  }

  /** One line for the events a person watching wants to see; null for the rest. */
  static String describe(Event e) {
    String schema = e.schema();
    Payload p = e.payload();
    if (p instanceof Payload.ServiceStarting s) return who(s) + " is starting and needs schema " + schema;
    if (p instanceof Payload.LockAcquired) return "took the lock for schema " + schema + ": migrating it";
    if (p instanceof Payload.MigrationApplied a) {
      return schema + ": applied " + migration(a.version(), a.description()) + " in " + orZero(a.durationMs()) + " ms";
    }
    if (p instanceof Payload.SchemaReady r) {
      return "schema " + schema + " is ready at V" + orUnknown(r.version())
          + (r.durationMs() == null ? "" : " (run took " + r.durationMs() + " ms)");
    }
    if (p instanceof Payload.SchemaFailed f) {
      return "schema " + schema + " FAILED at " + migration(f.version(), f.description()) + ": SQLSTATE "
          + orUnknown(f.error().sqlState()) + " " + (f.error().message() == null ? "" : f.error().message());
    }
    if (p instanceof Payload.MigrationBlocked b && !b.blockers().isEmpty()) {
      return schema + ": " + migration(b.version(), b.description()) + " waits for "
          + dev.muster.orchestrator.runner.RunSessions.describe(b.blockers());
    }
    if (p instanceof Payload.ServiceReleased s) return who(s) + " may start";
    if (p instanceof Payload.ServiceGaveUp s) return who(s) + " gave up waiting";
    return null;
  }

  private static String who(Payload.ServiceEvent e) {
    return orUnknown(e.instance()) + (e.service() == null ? "" : " (" + e.service() + ")");
  }

  private static String migration(String version, String description) {
    return ("V" + orUnknown(version) + " " + (description == null ? "" : description)).strip();
  }

  private static String orUnknown(String s) {
    return s == null ? "?" : s;
  }

  private static long orZero(Long n) {
    return n == null ? 0 : n;
  }

  @Override
  public void close() {
    Runnable s = stop;
    if (s != null) s.run();
  }
}
