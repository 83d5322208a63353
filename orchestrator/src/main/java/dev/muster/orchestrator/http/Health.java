package dev.muster.orchestrator.http;

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

  Health(Pool pool, Broadcaster broadcaster) {
    this.pool = pool;
    this.broadcaster = broadcaster;
  }

  void live(RoutingContext ctx) {
    json(ctx, 200, new JsonObject().put("status", "up"));
  }

  void ready(RoutingContext ctx) {
    pool.query("SELECT 1").execute()
        .timeout(2, TimeUnit.SECONDS)
        .onComplete(ar -> {
          boolean database = ar.succeeded();
          boolean listening = broadcaster.listening();
          JsonObject body = new JsonObject().put("database", database).put("notifications", listening);
          json(ctx, database && listening ? 200 : 503, body.put("status", database && listening ? "ready" : "not ready"));
        });
  }
}
