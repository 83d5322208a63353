package dev.muster.orchestrator.http;

import dev.muster.orchestrator.events.Fields;
import io.vertx.core.json.JsonObject;

/** A request the orchestrator refuses, with the contract's error body: {@code {"error", "message"}}. */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final JsonObject extra;

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  public ApiException(int status, String code, String message, JsonObject extra) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }

  public int status() {
    return status;
  }

  public JsonObject body() {
    JsonObject body = new JsonObject().put(Fields.ERROR, code).put(Fields.MESSAGE, getMessage());
    return extra == null ? body : body.mergeIn(extra);
  }
}
