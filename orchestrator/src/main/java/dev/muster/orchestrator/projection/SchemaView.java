package dev.muster.orchestrator.projection;

import static dev.muster.orchestrator.events.Fields.*;

import dev.muster.orchestrator.events.EventCodec;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.Payload.FailureReport;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.events.Versions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * One schema's state at one moment, as {@code GET /api/v1/schemas}, {@code status}, {@code plan} and
 * {@code /metrics} show it. Immutable.
 *
 * @param latestVersion the newest version its migration files reach ({@code null}: none, or not read yet)
 * @param pending       migrations not applied yet, oldest first
 * @param waiting       service instances of the whole fleet waiting for it, as the log tells
 * @param lockHolder    the replica running it ({@code null}: no run under way)
 * @param lastRun       its last run's outcome ({@code null}: none known)
 * @param error         its last run's failure while it is {@link SchemaStatus#FAILED}, else {@code null}
 * @param drift         Flyway's explanation while it is {@link SchemaStatus#DRIFTED}, else {@code null}
 */
public record SchemaView(String schema, SchemaStatus status, String version, String latestVersion,
    List<SchemaInfo.Migration> pending, int waiting, String lockHolder, String runningMigration, LastRun lastRun,
    FailureReport error, Blocked blocked, Instant lockSince, RunBackend runBackend, String drift) {

  public SchemaView {
    pending = List.copyOf(pending);
  }

  /** Without the lock-safety parts and drift: nothing blocked, no run under way. */
  public SchemaView(String schema, SchemaStatus status, String version, String latestVersion,
      List<SchemaInfo.Migration> pending, int waiting, String lockHolder, String runningMigration, LastRun lastRun,
      FailureReport error) {
    this(schema, status, version, latestVersion, pending, waiting, lockHolder, runningMigration, lastRun, error, null,
        null, null, null);
  }

  /**
   * The run under way waits on a lock (the last {@code migration.blocked} / {@code migration.retrying}).
   *
   * @param seenAt      when the blockers were seen (their ages are as of then)
   * @param nextDelayMs the pause before the next attempt, when one timed out; {@code null} while it waits
   */
  public record Blocked(String version, int attempt, Integer runPid, List<Payload.Blocker> blockers, Instant seenAt,
      Long nextDelayMs) {
    public Blocked {
      blockers = List.copyOf(blockers);
    }
  }

  /**
   * The run's session as PostgreSQL sees it now: {@code active}, {@code idle in transaction}, ..., and what it
   * waits on ({@code Lock:relation}) — read live where the holder is shown, never from the log.
   */
  public record RunBackend(int pid, String state, String waitEvent, Long transactionAgeMs, Long stateAgeMs) {}

  /** The same, with the run's session as seen now. */
  public SchemaView withRunBackend(RunBackend backend) {
    return new SchemaView(schema, status, version, latestVersion, pending, waiting, lockHolder, runningMigration,
        lastRun, error, blocked, lockSince, backend, drift);
  }

  /** A run's outcome: when it ended, how long it took, who ran it, and whether it left the schema ready. */
  public record LastRun(Instant at, Long durationMs, String orchestrator, SchemaStatus outcome) {}

  /**
   * True when a service needing {@code required} may start on it: the schema is at that version or newer,
   * whatever runs now. Without {@code required}, it must be at the latest its migrations reach.
   */
  public boolean readyFor(String required) {
    if (status == SchemaStatus.UNKNOWN || status == SchemaStatus.DRIFTED) return false;
    return Versions.reaches(version, required != null ? required : latestVersion);
  }

  public JsonObject toJson() {
    JsonArray pendingJson = new JsonArray();
    pending.forEach(m -> pendingJson.add(new JsonObject().put(VERSION, m.version()).put(DESCRIPTION, m.description())
        .put(SCRIPT, m.script())));
    return new JsonObject()
        .put(SCHEMA, schema)
        .put(STATE, status.wire())
        .put(VERSION, version)
        .put(LATEST_VERSION, latestVersion)
        .put(PENDING, pendingJson)
        .put(WAITING, waiting)
        .put(LOCK_HOLDER, lockHolder)
        .put(RUNNING_MIGRATION, runningMigration)
        .put(LAST_RUN, lastRun == null ? null : new JsonObject()
            .put(AT, lastRun.at() == null ? null : lastRun.at().toString())
            .put(DURATION_MS, lastRun.durationMs())
            .put(ORCHESTRATOR, lastRun.orchestrator())
            .put(OUTCOME, lastRun.outcome().wire()))
        .put(ERROR, error == null ? null : EventCodec.encode(error))
        .put(DRIFT, drift)
        .put(LOCK_SINCE, lockSince == null ? null : lockSince.toString())
        .put(BLOCKED, blocked == null ? null : new JsonObject().put(VERSION, blocked.version())
            .put(ATTEMPT, blocked.attempt()).put(RUN_PID, blocked.runPid())
            .put(SINCE, blocked.seenAt() == null ? null : blocked.seenAt().toString())
            .put(NEXT_DELAY_MS, blocked.nextDelayMs()).put(BLOCKERS, EventCodec.encode(blocked.blockers())))
        .put(RUN_BACKEND, runBackend == null ? null : new JsonObject().put(PID, runBackend.pid())
            .put(STATE, runBackend.state()).put(WAIT_EVENT, runBackend.waitEvent())
            .put(TRANSACTION_AGE_MS, runBackend.transactionAgeMs()).put(STATE_AGE_MS, runBackend.stateAgeMs()));
  }
}
