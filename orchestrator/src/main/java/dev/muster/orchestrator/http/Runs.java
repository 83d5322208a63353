package dev.muster.orchestrator.http;

import static dev.muster.orchestrator.http.Responses.json;

import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.Fields;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * The elected migrator's calls on a delegated run: {@code POST /api/v1/runs/{run}/heartbeat} keeps its lease,
 * {@code POST /api/v1/runs/{run}/report} ends the run with {@code done} or {@code failed}. Both need the write
 * token and name the migrator ({@code service}, {@code instance}) as its arrival did.
 */
final class Runs {
  private static final Pattern RUN = Pattern.compile("[0-9]{1,18}");
  /** The output's tail kept in a failure: the last 4 KiB. */
  static final int OUTPUT_TAIL_BYTES = 4096;

  private final Coordinator coordinator;

  Runs(Coordinator coordinator) {
    this.coordinator = coordinator;
  }

  void heartbeat(RoutingContext ctx) {
    Arrivals.cancelBodyDeadline(ctx);
    long run = run(ctx);
    JsonObject body = RequestChecks.jsonBody(ctx);
    coordinator.migrators().heartbeat(run, ArrivalRequest.service(body), ArrivalRequest.instance(body));
    json(ctx, 200, new JsonObject().put(Fields.RUN, run).put(Fields.LEASE_SECONDS, coordinator.migrators().leaseSeconds()));
  }

  void report(RoutingContext ctx) {
    Arrivals.cancelBodyDeadline(ctx);
    long run = run(ctx);
    JsonObject body = RequestChecks.jsonBody(ctx);
    String service = ArrivalRequest.service(body);
    String instance = ArrivalRequest.instance(body);
    Object outcome = body.getValue(Fields.OUTCOME);
    boolean done;
    if ("done".equals(outcome)) {
      done = true;
    } else if ("failed".equals(outcome)) {
      done = false;
    } else {
      throw invalid("outcome must be \"done\" or \"failed\"");
    }
    String version = null;
    Integer exitCode = null;
    String output = null;
    if (done) {
      version = ArrivalRequest.opaqueVersion(Fields.VERSION, body.getValue(Fields.VERSION));
    } else {
      Object code = body.getValue(Fields.EXIT_CODE);
      if (!(code instanceof Integer || code instanceof Long) || ((Number) code).longValue() < -255
          || ((Number) code).longValue() > 255) {
        throw invalid("exitCode must be the command's exit code, a whole number from -255 to 255");
      }
      exitCode = ((Number) code).intValue();
      Object text = body.getValue(Fields.OUTPUT);
      if (text != null && !(text instanceof String)) throw invalid("output must be a string");
      output = tail((String) text);
    }
    coordinator.migrators().report(run, service, instance, done, version, exitCode, output)
        .onFailure(ctx::fail)
        .onSuccess(e -> json(ctx, 200, new JsonObject().put(Fields.RUN, run).put(Fields.TYPE, e.typeName())
            .put(Fields.SEQ, e.seq())));
  }

  private static long run(RoutingContext ctx) {
    String text = ctx.pathParam("run");
    if (text == null || !RUN.matcher(text).matches()) {
      throw new ApiException(404, "unknown_run", "no run " + RequestChecks.printable(String.valueOf(text)) + " is known");
    }
    return Long.parseLong(text);
  }

  /** The last {@link #OUTPUT_TAIL_BYTES} bytes of UTF-8, cut at a character boundary. */
  static String tail(String output) {
    if (output == null) return null;
    byte[] bytes = output.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (bytes.length <= OUTPUT_TAIL_BYTES) return output;
    int from = bytes.length - OUTPUT_TAIL_BYTES;
    while (from < bytes.length && (bytes[from] & 0xC0) == 0x80) from++; // not inside a character
    return new String(bytes, from, bytes.length - from, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static ApiException invalid(String message) {
    return new ApiException(400, "invalid_request", message);
  }
}
