package dev.muster.orchestrator.http;

import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/** The requests this replica holds open (event streams, {@code ?wait=true}): their slots, and their SSE writer. */
final class Streams {
  private final Vertx vertx;
  private final StreamLimits limits;
  private final Duration heartbeat;
  private final Duration idleTimeout;
  private final Metrics metrics;
  private final WriteBatch batch = new WriteBatch();

  Streams(Vertx vertx, StreamLimits limits, Duration heartbeat, Duration idleTimeout, Metrics metrics) {
    this.vertx = vertx;
    this.limits = limits;
    this.heartbeat = heartbeat;
    this.idleTimeout = idleTimeout;
    this.metrics = metrics;
  }

  /** Takes a slot for the request (or throws 429 / 503) and frees it when the response is gone. */
  Held hold(RoutingContext ctx) {
    StreamLimits.Slot slot = limits.acquire(ctx.request());
    Held held = new Held(ctx.response());
    held.onRelease(slot::release);
    return held;
  }

  /** Turns the held response into an event stream. */
  EventStream open(RoutingContext ctx, Held held) {
    return new EventStream(vertx, ctx.response(), held, heartbeat, idleTimeout, metrics, batch);
  }
}
