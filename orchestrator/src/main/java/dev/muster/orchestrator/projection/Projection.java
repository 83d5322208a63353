package dev.muster.orchestrator.projection;

import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.Payload.FailureReport;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.events.Versions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Each schema's state, folded from two inputs: the event log ({@link #apply}) and what the migration files and
 * history say ({@link #observe}), plus, where a reader can ask PostgreSQL, who holds the lock now
 * ({@link #observeHolder}). Pure: no I/O, no clock, no threads — confine it to one thread.
 *
 * <p>Events may come twice (a replay overlapping the live edge, a reconnect that re-reads): each schema keeps the
 * number of the last event it took and ignores those at or below it. A version never goes back: the log may tell
 * of a newer one than a history read a moment ago.
 */
public final class Projection {
  private final Map<String, State> schemas = new TreeMap<>();

  /** Takes one event of the log. Events not in the log yet, and those already taken, change nothing. */
  public void apply(Event event) {
    if (!event.logged() || event.schema() == null || event.type() == null) return;
    State s = state(event.schema());
    if (event.seq() <= s.lastSeq) return;
    s.lastSeq = event.seq();
    Payload p = event.payload();
    switch (event.type()) {
      case SERVICE_STARTING, SERVICE_RELEASED, SERVICE_GAVE_UP -> {
        Payload.ServiceEvent service = (Payload.ServiceEvent) p;
        String key = service.service() + "/" + service.instance();
        if (p instanceof Payload.ServiceStarting) {
          s.waiting.add(key);
        } else {
          s.waiting.remove(key);
        }
      }
      case SCHEMA_LOCK_ACQUIRED -> {
        s.holder = event.orchestrator();
        s.lockSince = event.at();
        s.blocked = null;
        s.lastFailure = null;
        s.status = SchemaStatus.MIGRATING;
      }
      case MIGRATION_STARTED -> {
        s.runningMigration = ((Payload.MigrationStarted) p).version();
        s.status = SchemaStatus.MIGRATING;
      }
      case MIGRATION_APPLIED -> {
        s.applied(((Payload.MigrationApplied) p).version());
        s.runningMigration = null;
        s.blocked = null;
      }
      case MIGRATION_BLOCKED -> {
        Payload.MigrationBlocked b = (Payload.MigrationBlocked) p;
        s.blocked = new SchemaView.Blocked(b.version(), b.attempt(), b.runPid(), b.blockers(), event.at(), null);
      }
      case MIGRATION_RETRYING -> {
        Payload.MigrationRetrying r = (Payload.MigrationRetrying) p;
        SchemaView.Blocked prev = s.blocked != null && java.util.Objects.equals(s.blocked.version(), r.version())
            ? s.blocked : null;
        boolean seen = !r.blockers().isEmpty();
        s.blocked = new SchemaView.Blocked(r.version(), r.attempt(), prev == null ? null : prev.runPid(),
            seen ? r.blockers() : prev == null ? List.of() : prev.blockers(),
            seen || prev == null ? event.at() : prev.seenAt(), r.delayMs());
      }
      case MIGRATION_INTERVENED -> { }
      case SCHEMA_READY, SCHEMA_FAILED -> settle(s, event, (Payload.Outcome) p);
      case SCHEMA_INTERRUPTED -> {
        // Its run's session died: nobody runs it until the retry takes the lock again.
        s.holder = null;
        s.runningMigration = null;
        if (s.observed) {
          s.rest();
        } else {
          s.status = SchemaStatus.UNKNOWN;
        }
      }
      case SCHEMA_REPAIRED -> {
        // The history now matches the files (or still does not, as the repair says); a failure it leaves is gone.
        s.drift = ((Payload.SchemaRepaired) p).remaining();
        s.lastFailure = null;
        if (s.holder == null && s.runningMigration == null && s.observed) s.rest();
      }
      case MIGRATOR_ELECTED -> {
        // A delegated run: the holder's elected instance migrates.
        s.holder = event.orchestrator();
        s.lastFailure = null;
        s.status = SchemaStatus.MIGRATING;
      }
      case LOG_PRUNED -> { } // never in the log: it tells a stream's reader, not the state
      default -> { }
    }
  }

  /** What the migration files and the history table say now. */
  public void observe(SchemaInfo info) {
    State s = state(info.schema());
    s.latest = info.latest();
    s.pending = info.pending();
    s.applied(info.current());
    s.drift = info.drift();
    s.observed = true;
    if (s.holder == null && s.runningMigration == null) s.rest();
  }

  /**
   * Who runs the schema's migrations now, as its lock tells ({@code null}: nobody — a run the log still shows under
   * way has ended without an outcome, its holder gone).
   */
  public void observeHolder(String schema, String holder) {
    State s = state(schema);
    s.holder = holder;
    if (holder != null) {
      s.status = SchemaStatus.MIGRATING;
    } else {
      s.runningMigration = null;
      s.blocked = null;
      s.lockSince = null;
      if (s.status == SchemaStatus.MIGRATING) {
        if (s.observed) {
          s.rest();
        } else {
          s.status = SchemaStatus.UNKNOWN;
        }
      }
    }
  }

  /**
   * A delegated schema's run ended without an outcome (nobody waiting could migrate it any longer): it is
   * {@code pending} until someone who can arrives; a failure stays the state.
   */
  public void awaitingMigrator(String schema) {
    State s = state(schema);
    s.holder = null;
    s.runningMigration = null;
    if (s.status != SchemaStatus.FAILED) s.status = SchemaStatus.PENDING;
  }

  /** The schema's state, or {@code null} when nothing has been told of it. */
  public SchemaView view(String schema) {
    State s = schemas.get(schema);
    return s == null ? null : s.view();
  }

  /** Every schema told of, by name. */
  public List<SchemaView> views() {
    List<SchemaView> views = new ArrayList<>(schemas.size());
    for (State s : schemas.values()) views.add(s.view());
    return views;
  }

  /** The schema's state from one look at its files and history alone. */
  public static SchemaView of(SchemaInfo info) {
    Projection p = new Projection();
    p.observe(info);
    return p.view(info.schema());
  }

  private State state(String schema) {
    return schemas.computeIfAbsent(schema, State::new);
  }

  private static void settle(State s, Event event, Payload.Outcome outcome) {
    s.applied(outcome.reached());
    s.holder = null;
    s.runningMigration = null;
    s.blocked = null;
    s.lockSince = null;
    s.waiting.clear();
    boolean failed = outcome instanceof Payload.SchemaFailed;
    s.lastFailure = failed ? ((Payload.SchemaFailed) outcome).report() : null;
    // A failure stays the state until a run gets past it: the files alone cannot tell failed from pending.
    s.status = failed ? SchemaStatus.FAILED : s.pending.isEmpty() ? SchemaStatus.READY : SchemaStatus.PENDING;
    s.lastRun = new SchemaView.LastRun(event.at(), outcome.durationMs(), event.orchestrator(),
        failed ? SchemaStatus.FAILED : SchemaStatus.READY);
  }

  /** What is known of one schema. */
  private static final class State {
    final String name;
    SchemaStatus status = SchemaStatus.UNKNOWN;
    String version;
    String latest;
    List<SchemaInfo.Migration> pending = List.of();
    /** Whether its files and history have been read at least once. */
    boolean observed;
    long lastSeq;
    /** The fleet's waiting instances, "service/instance". */
    final Set<String> waiting = new LinkedHashSet<>();
    String holder;
    String runningMigration;
    SchemaView.LastRun lastRun;
    FailureReport lastFailure;
    SchemaView.Blocked blocked;
    java.time.Instant lockSince;
    /** Flyway's explanation while the history does not match the files, as last read. */
    String drift;

    State(String name) {
      this.name = name;
    }

    /** Takes the state of a schema with no run under way: a failure stays until the schema gets past it. */
    void rest() {
      if (pending.isEmpty()) lastFailure = null;
      status = pending.isEmpty() ? SchemaStatus.READY : lastFailure != null ? SchemaStatus.FAILED : SchemaStatus.PENDING;
    }

    /** Drops pending migrations at or below {@code applied}; the version only moves forward. */
    void applied(String applied) {
      version = Versions.newer(version, applied);
      if (version == null) return;
      String current = version;
      pending = pending.stream().filter(m -> m.version() == null || Versions.compare(m.version(), current) > 0).toList();
    }

    SchemaView view() {
      // Drift outranks every state but a run under way: a drifted schema is never ready, failed or pending.
      SchemaStatus shown = drift != null && status != SchemaStatus.MIGRATING ? SchemaStatus.DRIFTED : status;
      return new SchemaView(name, shown, version, latest, pending, waiting.size(), holder, runningMigration, lastRun,
          shown == SchemaStatus.FAILED ? lastFailure : null, holder == null ? null : blocked,
          holder == null ? null : lockSince, null, shown == SchemaStatus.DRIFTED ? drift : null);
    }
  }
}
