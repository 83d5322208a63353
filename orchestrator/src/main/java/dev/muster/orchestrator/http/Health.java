package dev.muster.orchestrator.http;

import dev.muster.orchestrator.db.LogRecovery;
import static dev.muster.orchestrator.http.Responses.json;

import dev.muster.orchestrator.broadcast.Broadcaster;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/** {@code GET /health} (the process lives) and {@code GET /ready} (its database answers, its notifications arrive). */
final class Health {
  private final Pool pool;
  private final Broadcaster broadcaster;

  private final LogRecovery recovery;

  Health(Pool pool, Broadcaster broadcaster, LogRecovery recovery) {
    this.pool = pool;
    this.broadcaster = broadcaster;
    this.recovery = recovery;
  }

  void live(RoutingContext ctx) {
    json(ctx, 200, new JsonObject().put("status", "up"));
  }

  void ready(RoutingContext ctx) {
    // The log is part of readiness: with Muster's own schema gone, every arrival would fail.
    recovery.check()
        .timeout(2, TimeUnit.SECONDS)
        .onComplete(ar -> {
          boolean database = ar.succeeded();
          boolean usable = database && ar.result();
          boolean listening = broadcaster.listening();
          boolean ready = usable && listening;
          JsonObject body = new JsonObject().put("database", database).put("log", usable).put("notifications", listening);
          json(ctx, ready ? 200 : 503, body.put("status", ready ? "ready" : "not ready"));
        });
  }
}
