package dev.muster.client;

import java.net.URI;

/**
 * The orchestrator refused the arrival with a 4xx answer: bad input, a wrong or missing token, a
 * schema it may not migrate, or a required version beyond its migrations ({@code 409
 * version_skew}). Retrying cannot help; the service's configuration or build must change. Exit
 * code {@code 2}.
 */
public final class ArrivalRejectedException extends MusterException {
  private final int status;
  private final String code;

  ArrivalRejectedException(int status, String code, String serverMessage, URI orchestrator) {
    super(serverMessage + " (HTTP " + status + (code == null ? "" : " " + code) + " from " + orchestrator + ")", null);
    this.status = status;
    this.code = code;
  }

  /** The HTTP status, such as {@code 409}. */
  public int status() {
    return status;
  }

  /** The orchestrator's error code, such as {@code version_skew}; {@code null} if the answer had none. */
  public String code() {
    return code;
  }

  /** Always {@code 2}: bad usage or configuration. */
  @Override
  public int exitCode() {
    return 2;
  }
}
