package dev.muster.orchestrator.coordinator;

/**
 * The coordinator will not take an arrival, and why. The HTTP layer answers it with a status and the error
 * body; the coordinator knows nothing of HTTP.
 */
public final class ArrivalRefused extends RuntimeException {

  /** Why an arrival is refused. */
  public enum Reason {
    /** The service needs a version its schema's migrations do not reach. */
    VERSION_SKEW,
    /** The schema's applied migrations no longer match the files: it is not ready whatever its version. */
    DRIFTED
  }

  private final Reason reason;
  private final String schema;
  private final String requiredVersion;
  private final String latestVersion;

  ArrivalRefused(Reason reason, String message, String schema, String requiredVersion, String latestVersion) {
    super(message, null, false, false);
    this.reason = reason;
    this.schema = schema;
    this.requiredVersion = requiredVersion;
    this.latestVersion = latestVersion;
  }

  static ArrivalRefused versionSkew(Arrival.Request request, String latest) {
    String end = latest == null ? "the orchestrator has no migrations for it"
        : "the orchestrator's migrations end at " + latest;
    return new ArrivalRefused(Reason.VERSION_SKEW, request.service() + " requires " + request.schema() + " ≥ "
        + request.requiredVersion() + "; " + end, request.schema(), request.requiredVersion(), latest);
  }

  static ArrivalRefused drifted(Arrival.Request request, String latest, String drift) {
    return new ArrivalRefused(Reason.DRIFTED, "schema " + request.schema() + " has drifted from its migration files: "
        + drift + " (accept it with `muster repair --schema " + request.schema() + "`, or restore the files)",
        request.schema(), request.requiredVersion(), latest);
  }

  public Reason reason() {
    return reason;
  }

  public String schema() {
    return schema;
  }

  public String requiredVersion() {
    return requiredVersion;
  }

  /** The newest version the schema's migrations reach ({@code null}: none). */
  public String latestVersion() {
    return latestVersion;
  }
}
