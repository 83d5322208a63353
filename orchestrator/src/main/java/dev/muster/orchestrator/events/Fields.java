package dev.muster.orchestrator.events;

/** The JSON names of the contract's events and schema states, in one place. */
public final class Fields {
  // Every event.
  public static final String SEQ = "seq";
  public static final String TYPE = "type";
  public static final String AT = "at";
  public static final String SCHEMA = "schema";
  public static final String ORCHESTRATOR = "orchestrator";
  /** Set on a NOTIFY copy whose texts were cut to fit PostgreSQL's payload limit. */
  public static final String TRUNCATED = "truncated";

  // Fields of some events.
  public static final String SERVICE = "service";
  public static final String INSTANCE = "instance";
  public static final String VERSION = "version";
  public static final String REQUIRED_VERSION = "requiredVersion";
  public static final String DESCRIPTION = "description";
  public static final String DURATION_MS = "durationMs";
  public static final String TARGET_VERSION = "targetVersion";
  public static final String PENDING = "pending";
  public static final String LOCK_SESSION = "lockSession";
  public static final String DROPPED_INVALID_INDEXES = "droppedInvalidIndexes";
  public static final String MIGRATIONS = "migrations";
  public static final String SCHEMA_VERSION = "schemaVersion";
  public static final String ERROR = "error";
  public static final String SQL_STATE = "sqlState";
  public static final String MESSAGE = "message";
  // schema.repaired (issue 9).
  public static final String ACCEPTED = "accepted";
  public static final String REMAINING = "remaining";
  public static final String ALIGNED = "aligned";
  public static final String DELETED = "deleted";
  public static final String REMOVED = "removed";
  // schema.interrupted (issue 9); attempt also in migration.blocked / retrying.
  public static final String ATTEMPT = "attempt";
  public static final String ATTEMPTS = "attempts";

  // Lock safety: migration.blocked, migration.retrying, migration.intervened, and a schema's blocked run.
  public static final String RUN_PID = "runPid";
  public static final String BLOCKERS = "blockers";
  public static final String DELAY_MS = "delayMs";
  public static final String LOCK_TIMEOUT_MS = "lockTimeoutMs";
  public static final String PID = "pid";
  public static final String APPLICATION = "application";
  public static final String USER = "user";
  public static final String CLIENT_ADDR = "clientAddr";
  public static final String TRANSACTION_AGE_MS = "transactionAgeMs";
  public static final String STATE_AGE_MS = "stateAgeMs";
  public static final String QUERY = "query";
  public static final String ACTION = "action";
  public static final String BY = "by";
  public static final String DONE = "done";
  public static final String BLOCKED = "blocked";
  public static final String SINCE = "since";
  public static final String NEXT_DELAY_MS = "nextDelayMs";
  public static final String LOCK_SINCE = "lockSince";
  public static final String RUN_BACKEND = "runBackend";
  public static final String WAIT_EVENT = "waitEvent";
  // log.pruned: the replay's start and the log's horizon.
  public static final String AFTER = "after";
  public static final String HORIZON = "horizon";

  // An arrival's body (beside service, instance, schema, requiredVersion).
  public static final String TIMEOUT_SECONDS = "timeoutSeconds";

  // Delegated runs: the arrival's fields, the election, the migrator's calls and the failure it reports.
  public static final String CAN_MIGRATE = "canMigrate";
  public static final String DEPLOY = "deploy";
  public static final String RUN = "run";
  public static final String LEASE_SECONDS = "leaseSeconds";
  public static final String REASON = "reason";
  public static final String ROLE = "role";
  public static final String EXIT_CODE = "exitCode";
  public static final String OUTPUT = "output";

  // A schema's state (GET /api/v1/schemas, status, plan), listed under SCHEMAS.
  public static final String SCHEMAS = "schemas";
  public static final String STATE = "state";
  public static final String LATEST_VERSION = "latestVersion";
  public static final String SCRIPT = "script";
  public static final String WAITING = "waiting";
  public static final String LOCK_HOLDER = "lockHolder";
  public static final String RUNNING_MIGRATION = "runningMigration";
  public static final String LAST_RUN = "lastRun";
  public static final String OUTCOME = "outcome";
  /** Flyway's explanation of a drifted schema's mismatch. */
  public static final String DRIFT = "drift";
  /** The readiness probe's answer: whether the schema is at the version asked for. */
  public static final String READY = "ready";

  private Fields() {}
}
