package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventLog;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.Versions;
import dev.muster.orchestrator.lock.Locks;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What the coordinator knows of delegated schemas ({@code MUSTER_RUNNER=delegate}): each one's last outcome (its
 * number, whether it was ready, in which deploy), the runs the log told of (so that a late call is told
 * {@code lease_lost}, not {@code unknown_run}), and the {@link DelegatedRun}s this replica holds. Confined to the
 * coordinator's context.
 */
final class Delegation {
  /** Runs remembered for late calls; older ones are answered {@code unknown_run}. */
  private static final int REMEMBERED_RUNS = 4096;

  private final MusterConfig config;
  private final Waiters waiters;
  private final Map<String, SchemaState> schemas = new HashMap<>();
  private final Map<Long, RunInfo> runs = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, RunInfo> eldest) {
      return size() > REMEMBERED_RUNS;
    }
  };
  private final Map<String, DelegatedRun> local = new HashMap<>();
  private long startSeq;

  Delegation(MusterConfig config, Waiters waiters) {
    this.config = config;
    this.waiters = waiters;
  }

  /**
   * An arrival on a delegated schema: no files to read, versions are opaque, and the arrival is ready at once when the
   * last run reached its version, or settled in its deploy, or (saying neither) settled since this replica started;
   * else it waits and {@code requestRun} asks for a run. {@code position}: the log's position as it arrives.
   */
  Future<Arrival> arrive(Arrival.Request request, Recorder recorder, long position, Function<String, String> version,
      Consumer<String> requestRun) {
    String schema = request.schema();
    String required = request.requiredVersion();
    Future<Arrival> arrival = request.resumeAfter() != null
        ? Future.succeededFuture(Arrival.resumed(request, required, position).onDelegatedSchema())
        : recorder.append(new Payload.ServiceStarting(schema, request.service(), request.instance(), required))
            .map(e -> Arrival.announced(request, required, e.seq(), position).onDelegatedSchema());
    return arrival.onSuccess(a -> {
      String now = reached(schema, version.apply(schema));
      if (readyAtOnce(a, now)) {
        waiters.releaseAtOnce(a, now);
      } else {
        waiters.await(a);
        requestRun.accept(schema);
      }
    });
  }

  /**
   * The version the schema is at: the last run's, when it was ready — this replica settles its own run's outcome
   * before its projection, which follows the log, may have read it — else what the projection says.
   */
  private String reached(String schema, String projected) {
    SchemaState s = schemas.get(schema);
    return s != null && s.lastReady && s.lastReadyVersion != null ? s.lastReadyVersion : projected;
  }

  /** This replica starts at log position {@code seq}: runs settled after it count as "since this replica started". */
  void started(long seq) {
    startSeq = seq;
  }

  /**
   * Whether a delegated arrival may start at once: its {@code requiredVersion} is the version the last run reached;
   * or, without one, the last run settled ready in its {@code deploy}; or, saying neither, since this replica
   * started (one run per deploy of the orchestrator, not one per instance start).
   */
  boolean readyAtOnce(Arrival a, String version) {
    SchemaState s = schemas.get(a.schema());
    if (a.requiredVersion() != null) return version != null && Versions.reaches(version, a.requiredVersion());
    if (s == null || !s.lastReady) return false;
    if (a.deploy() != null) return a.deploy().equals(s.lastReadyDeploy);
    return s.lastOutcomeSeq > startSeq;
  }

  /** A run is worth trying while an arrival that can migrate waits, arrived after the last outcome. */
  boolean wanted(String schema) {
    return waiters.candidate(schema, Set.of(), lastOutcomeSeq(schema)) != null;
  }

  /** An event of a delegated run in the log, this replica's or another's. */
  void heard(Event e) {
    if (e.payload() instanceof Payload.MigratorElected p) {
      runs.put(e.seq(), new RunInfo(e.schema(), e.orchestrator()));
      SchemaState s = state(e.schema());
      s.liveRun = e.seq();
      s.runDeploy = p.deploy();
    } else if (e.payload() instanceof Payload.MigratorLost p && p.run() != null) {
      RunInfo info = runs.get(p.run());
      if (info != null) info.ended = true;
      SchemaState s = state(e.schema());
      if (s.liveRun != null && s.liveRun.equals(p.run())) s.liveRun = null;
    }
  }

  /** A run's outcome, from the log or this replica's own run (either may come first; the newest counts). */
  void outcome(Event e) {
    if (!config.runners().delegated(e.schema()) || !e.logged()) return;
    SchemaState s = state(e.schema());
    if (s.liveRun != null) {
      RunInfo info = runs.get(s.liveRun);
      if (info != null) info.ended = true;
      s.liveRun = null;
    }
    if (e.seq() <= s.lastOutcomeSeq) return;
    s.lastOutcomeSeq = e.seq();
    s.lastReady = e.payload() instanceof Payload.SchemaReady;
    if (s.lastReady) {
      s.lastReadyDeploy = s.runDeploy;
      s.lastReadyVersion = ((Payload.SchemaReady) e.payload()).version();
    }
  }

  /** The run of {@code id} this replica holds; throws {@link RunRefused} saying why there is none. */
  DelegatedRun live(long id) {
    for (DelegatedRun r : local.values()) {
      if (r.run() == id && r.migrator() != null) return r;
    }
    RunInfo info = runs.get(id);
    if (info == null) throw new RunRefused(RunRefused.Reason.UNKNOWN_RUN, "no run " + id + " is known");
    if (info.ended) {
      throw new RunRefused(RunRefused.Reason.LEASE_LOST, "run " + id + " of schema " + info.schema
          + " has lost its lease or settled");
    }
    throw new RunRefused(RunRefused.Reason.ELSEWHERE, "run " + id + " of schema " + info.schema
        + " is held by replica " + info.orchestrator + ": try it");
  }

  void detached(Arrival a) {
    DelegatedRun r = local.get(a.schema());
    if (r != null) r.detached(a);
  }

  boolean handOff(Arrival a, long run) {
    DelegatedRun r = local.get(a.schema());
    return r != null && r.handOff(a, run);
  }

  void stop() {
    new ArrayList<>(local.values()).forEach(DelegatedRun::stop);
  }

  /**
   * A delegated run of {@code schema} under its lock. Another replica may have settled it a moment ago (its outcome
   * not here yet): then nothing is run, and the scheduler tries again after a backoff, unless the outcome settles the
   * waiters first. A run the log shows under way — a dead replica's — is revoked first.
   */
  Future<Run.End> run(String schema, Locks.Lease lease, Recorder recorder, Clock clock, EventLog events,
      Consumer<Event> settle, Function<String, String> version, Consumer<String> awaiting) {
    SchemaState s = state(schema);
    return events.lastOutcomes()
        .map(outcomes -> outcomes.stream().filter(o -> schema.equals(o.schema())).mapToLong(Event::seq).max().orElse(0))
        .compose(last -> {
          if (last > s.lastOutcomeSeq) return lease.release().map(Run.End.AGAIN); // its outcome is on its way here
          Future<Void> revoked = Future.succeededFuture();
          if (s.liveRun != null) {
            long dead = s.liveRun;
            RunInfo info = runs.get(dead);
            if (info != null) info.ended = true;
            s.liveRun = null;
            revoked = recorder.append(new Payload.MigratorLost(schema, null, null, dead,
                Payload.MigratorLost.ORCHESTRATOR_LOST)).mapEmpty();
          }
          return revoked.compose(v -> {
            DelegatedRun run = new DelegatedRun(schema, lease, recorder, clock, config.migratorLease(), new DelegatedRun.Host() {
              @Override
              public Arrival candidate(String name, Set<Arrival> tried) {
                return waiters.candidate(name, tried, s.lastOutcomeSeq);
              }

              @Override
              public String version(String name) {
                return version.apply(name);
              }

              @Override
              public void current(long id, DelegatedRun delegated) {
                runs.put(id, new RunInfo(schema, config.replicaId()));
                s.liveRun = id;
                if (delegated.migrator() != null) s.runDeploy = delegated.migrator().deploy();
              }

              @Override
              public void ended(long id) {
                RunInfo info = runs.get(id);
                if (info == null) runs.put(id, info = new RunInfo(schema, config.replicaId()));
                info.ended = true;
                if (s.liveRun != null && s.liveRun == id) s.liveRun = null;
              }

              @Override
              public void settled(Event outcome) {
                settle.accept(outcome);
              }
            });
            local.put(schema, run);
            return run.start().onComplete(ar -> {
              local.remove(schema, run);
              if (s.liveRun == null && !run.settled()) awaiting.accept(schema);
            }).map(Run.End.DONE);
          }, e -> lease.release().compose(v -> Future.failedFuture(e)));
        }, e -> lease.release().compose(v -> Future.failedFuture(e)))
        .otherwise(Run.End.DONE);
  }

  private long lastOutcomeSeq(String schema) {
    SchemaState s = schemas.get(schema);
    return s == null ? 0 : s.lastOutcomeSeq;
  }

  private SchemaState state(String schema) {
    return schemas.computeIfAbsent(schema, k -> new SchemaState());
  }

  /** One delegated schema's last outcome and run under way. */
  private static final class SchemaState {
    long lastOutcomeSeq;
    boolean lastReady;
    String lastReadyDeploy;
    String lastReadyVersion;
    /** The deploy of the run under way (or last elected). */
    String runDeploy;
    /** The run the log shows under way, whoever holds it. */
    Long liveRun;
  }

  /** A run the log told of: its schema, its holder, and whether it has ended. */
  private static final class RunInfo {
    final String schema;
    final String orchestrator;
    boolean ended;

    RunInfo(String schema, String orchestrator) {
      this.schema = schema;
      this.orchestrator = orchestrator;
    }
  }
}
