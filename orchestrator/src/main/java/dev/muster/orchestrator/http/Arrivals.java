package dev.muster.orchestrator.http;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.coordinator.Arrival;
import dev.muster.orchestrator.coordinator.Coordinator;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code POST /api/v1/arrivals}: the token before the body, the body within its deadline, every field checked,
 * then the arrival — answered in the mode the client asked for ({@link ArrivalModes}).
 */
final class Arrivals {
  private static final String BODY_TIMER = "muster.bodyTimer";

  private final MusterConfig config;
  private final Coordinator coordinator;
  private final Access access;
  private final Streams streams;
  private final ArrivalModes modes;

  Arrivals(MusterConfig config, Coordinator coordinator, Access access, Streams streams, ArrivalModes modes) {
    this.config = config;
    this.coordinator = coordinator;
    this.access = access;
    this.streams = streams;
    this.modes = modes;
  }

  /** Before the body is read: the write token, and a deadline for the body. */
  void admit(RoutingContext ctx) {
    access.requireWrite(ctx.request());
    // A body that has not fully arrived within the idle timeout gets 408 and its connection closed.
    long timer = ctx.vertx().setTimer(config.streamIdleTimeout().toMillis(), id -> {
      if (ctx.request().isEnded() || ctx.response().ended() || ctx.response().closed()) return;
      Responses.closeAfter(ctx, new ApiException(408, "request_timeout", "the request body did not arrive within "
          + config.streamIdleTimeout().toSeconds() + " s (MUSTER_STREAM_IDLE_TIMEOUT)"));
    });
    ctx.put(BODY_TIMER, timer);
    ctx.next();
  }

  static void cancelBodyDeadline(RoutingContext ctx) {
    Long timer = ctx.get(BODY_TIMER);
    if (timer != null) ctx.vertx().cancelTimer(timer);
  }

  void arrive(RoutingContext ctx) {
    cancelBodyDeadline(ctx);
    HttpServerRequest http = ctx.request();
    ArrivalRequest request = ArrivalRequest.parse(RequestChecks.jsonBody(ctx), config.schemas(), config.runners());
    boolean stream = RequestChecks.acceptsEventStream(ctx);
    String waitParam = Params.single(http, "wait");
    if (waitParam != null && !waitParam.equals("true") && !waitParam.equals("false")) {
      throw new ApiException(400, "invalid_request", "wait must be true or false");
    }
    boolean wait = !stream && "true".equals(waitParam);
    String timeoutParam = Params.single(http, "timeout");
    Duration queryTimeout = timeoutParam == null ? null : ArrivalRequest.timeout(timeoutParam);
    Duration timeout = wait && queryTimeout != null ? queryTimeout : request.timeout();
    Long lastEventId = RequestChecks.lastEventId(ctx);
    Long resumeAfter = stream ? lastEventId : null;
    Held held = stream || wait ? streams.hold(ctx) : null;
    coordinator.arrive(new Arrival.Request(request.service(), request.instance(), request.schema(),
            request.requiredVersion(), timeout, resumeAfter, request.canMigrate(), request.deploy()))
        .onFailure(ctx::fail)
        .onSuccess(arrival -> {
          if (ctx.response().closed() || (held != null && held.released())) {
            coordinator.detach(arrival);
          } else if (stream) {
            modes.stream(ctx, held, arrival);
          } else if (wait) {
            modes.await(ctx, held, arrival);
          } else {
            modes.accepted(ctx, arrival);
          }
        });
  }
}
