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
  // log.pruned: the replay's start and the log's horizon.
  public static final String AFTER = "after";
  public static final String HORIZON = "horizon";

  // An arrival's body (beside service, instance, schema, requiredVersion).
  public static final String TIMEOUT_SECONDS = "timeoutSeconds";

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
  /** The readiness probe's answer: whether the schema is at the version asked for. */
  public static final String READY = "ready";

  private Fields() {}
}
