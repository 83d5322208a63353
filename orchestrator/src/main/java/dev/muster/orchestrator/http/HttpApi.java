package dev.muster.orchestrator.http;

import dev.muster.orchestrator.broadcast.Broadcaster;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.coordinator.Arrival;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.Event;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The contract's HTTP surface: arrivals, schemas, events, health, and the dashboard's files. */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  static final int MAX_BODY_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final MusterConfig config;
  private final Coordinator coordinator;
  private final Broadcaster broadcaster;
  private final Pool pool;
  private final byte[] token;

  private HttpApi(Vertx vertx, MusterConfig config, Coordinator coordinator, Broadcaster broadcaster, Pool pool) {
    this.vertx = vertx;
    this.config = config;
    this.coordinator = coordinator;
    this.broadcaster = broadcaster;
    this.pool = pool;
    this.token = config.token() == null ? null : config.token().getBytes(StandardCharsets.UTF_8);
  }

  public static Router router(Vertx vertx, MusterConfig config, Coordinator coordinator, Broadcaster broadcaster,
      Pool pool) {
    return new HttpApi(vertx, config, coordinator, broadcaster, pool).build();
  }

  private Router build() {
    Router router = Router.router(vertx);
    router.post("/api/v1/arrivals")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::arrive);
    router.get("/api/v1/schemas").handler(ctx -> json(ctx, 200, new JsonObject().put("schemas", coordinator.statuses())));
    router.get("/api/v1/schemas/:schema").handler(this::schema);
    router.get("/api/v1/events").handler(this::events);
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
    router.get("/ready").handler(this::ready);
    router.get("/*").handler(StaticHandler.create("dashboard").setCachingEnabled(false));
    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> error(ctx, new ApiException(404, "not_found", "no such resource: " + ctx.request().path())));
    router.errorHandler(405, ctx -> error(ctx, new ApiException(405, "method_not_allowed",
        ctx.request().method() + " is not allowed on " + ctx.request().path())));
    return router;
  }

  private void arrive(RoutingContext ctx) {
    authorize(ctx);
    ArrivalRequest request = ArrivalRequest.parse(jsonBody(ctx), config.schemas());
    boolean stream = accepts(ctx, "text/event-stream");
    boolean wait = !stream && "true".equals(ctx.request().getParam("wait"));
    String timeoutParam = ctx.request().getParam("timeout");
    Duration timeout = wait && timeoutParam != null ? ArrivalRequest.timeout(timeoutParam) : request.timeout();
    Long resumeAfter = stream ? lastEventId(ctx) : null;
    coordinator.arrive(request.service(), request.instance(), request.schema(), request.requiredVersion(), timeout,
            resumeAfter)
        .onFailure(ctx::fail)
        .onSuccess(arrival -> {
          if (ctx.response().closed()) {
            coordinator.detach(arrival);
          } else if (stream) {
            streamArrival(ctx, arrival);
          } else if (wait) {
            awaitArrival(ctx, arrival);
          } else {
            json(ctx, 202, new JsonObject().put("arrival", String.valueOf(arrival.seq()))
                .put("schema", arrival.schema()).put("state", coordinator.stateOf(arrival.schema())));
          }
        });
  }

  /** The arrival's schema events, ending after its terminal one. */
  private void streamArrival(RoutingContext ctx, Arrival arrival) {
    Subscription subscription = new Subscription();
    EventStream stream = new EventStream(vertx, ctx.response(), config.heartbeat().toMillis(), () -> {
      subscription.cancel();
      coordinator.detach(arrival);
    });
    subscription.set(broadcaster.subscribe(arrival.streamFrom(), arrival.schema(), event -> {
      stream.send(event);
      if (arrival.isTerminal(event)) {
        subscription.cancel();
        stream.end();
      }
    }));
  }

  /** One answer when the arrival is settled: 200 ready, 409 failed, 504 gave up. */
  private void awaitArrival(RoutingContext ctx, Arrival arrival) {
    Subscription subscription = new Subscription();
    ctx.response().closeHandler(v -> {
      subscription.cancel();
      coordinator.detach(arrival);
    });
    subscription.set(broadcaster.subscribe(arrival.streamFrom(), arrival.schema(), event -> {
      if (!arrival.isTerminal(event)) return;
      subscription.cancel();
      switch (event.type()) {
        case Event.SCHEMA_FAILED:
          JsonObject error = event.json().getJsonObject("error", new JsonObject()).copy()
              .put("version", event.version()).put("description", event.json().getString("description"));
          json(ctx, 409, new JsonObject().put("schema", arrival.schema()).put("state", "failed")
              .put("message", "the migration of schema " + arrival.schema() + " failed: " + error.getString("message"))
              .put("error", error));
          break;
        case Event.SERVICE_GAVE_UP:
          error(ctx, new ApiException(504, "timeout", arrival.service() + " gave up waiting for schema "
              + arrival.schema() + " after " + arrival.timeout().toSeconds() + " s"));
          break;
        default:
          json(ctx, 200, new JsonObject().put("schema", arrival.schema()).put("state", "ready")
              .put("version", event.version()));
      }
    }));
  }

  private void schema(RoutingContext ctx) {
    String schema = ctx.pathParam("schema");
    String invalid = SchemaNames.invalid(schema);
    if (invalid != null) throw new ApiException(400, "invalid_schema", invalid);
    if (config.schemas().rejection(schema) != null) {
      throw new ApiException(404, "unknown_schema", config.schemas().rejection(schema));
    }
    coordinator.status(schema).onSuccess(status -> json(ctx, 200, status)).onFailure(ctx::fail);
  }

  /** Every event as SSE; {@code Last-Event-ID} or {@code ?since=SEQ} replays from the log first. */
  private void events(RoutingContext ctx) {
    Long since = lastEventId(ctx);
    String sinceParam = ctx.request().getParam("since");
    if (since == null && sinceParam != null) since = sequence(sinceParam, "since");
    String schema = ctx.request().getParam("schema");
    if (schema != null && SchemaNames.invalid(schema) != null) {
      throw new ApiException(400, "invalid_schema", SchemaNames.invalid(schema));
    }
    long after = since != null ? since : broadcaster.lastSeq();
    Subscription subscription = new Subscription();
    EventStream stream = new EventStream(vertx, ctx.response(), config.heartbeat().toMillis(), subscription::cancel);
    subscription.set(broadcaster.subscribe(after, schema, stream::send));
  }

  private void ready(RoutingContext ctx) {
    pool.query("SELECT 1").execute()
        .timeout(2, TimeUnit.SECONDS)
        .onComplete(ar -> {
          boolean database = ar.succeeded();
          boolean listening = broadcaster.listening();
          JsonObject body = new JsonObject().put("database", database).put("notifications", listening);
          json(ctx, database && listening ? 200 : 503, body.put("status", database && listening ? "ready" : "not ready"));
        });
  }

  private void authorize(RoutingContext ctx) {
    if (token == null) return;
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    byte[] given = header != null && header.startsWith("Bearer ")
        ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    // Constant time: the comparison must not tell how much of a guess was right.
    if (!MessageDigest.isEqual(given, token)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      throw new ApiException(401, "unauthorized", header == null
          ? "this orchestrator requires a bearer token (Authorization: Bearer <MUSTER_TOKEN>)"
          : "the bearer token is not valid");
    }
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type == null || !type.toLowerCase().startsWith("application/json")) {
      throw new ApiException(415, "unsupported_media_type", "the body must be application/json, was " + type);
    }
    if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() == 0) {
      throw new ApiException(400, "invalid_json", "the body is empty");
    }
    Object value;
    try {
      value = Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      throw new ApiException(400, "invalid_json", "the body is not valid JSON");
    }
    if (!(value instanceof JsonObject)) throw new ApiException(400, "invalid_json", "the body must be a JSON object");
    return (JsonObject) value;
  }

  private static boolean accepts(RoutingContext ctx, String type) {
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    return accept != null && accept.contains(type);
  }

  private static Long lastEventId(RoutingContext ctx) {
    String id = ctx.request().getHeader("Last-Event-ID");
    return id == null || id.isBlank() ? null : sequence(id.trim(), "Last-Event-ID");
  }

  private static long sequence(String text, String what) {
    if (!text.matches("[0-9]{1,18}")) throw new ApiException(400, "invalid_request", what + " must be an event number");
    return Long.parseLong(text);
  }

  private void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException) {
      error(ctx, (ApiException) failure);
    } else if (ctx.statusCode() == 413) {
      error(ctx, new ApiException(413, "payload_too_large", "the body must be at most " + MAX_BODY_BYTES + " bytes"));
    } else if (failure == null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      error(ctx, new ApiException(ctx.statusCode(), "bad_request", "the request was refused"));
    } else {
      log.error("Request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
      error(ctx, new ApiException(500, "internal_error", "the orchestrator failed to handle the request; see its log"));
    }
  }

  private static void error(RoutingContext ctx, ApiException e) {
    json(ctx, e.status(), e.body());
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) return;
    if (ctx.response().headWritten()) {
      ctx.response().end();
      return;
    }
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  /** An unsubscribe action that may be set after the subscription's first events. */
  private static final class Subscription {
    private Runnable cancel;
    private boolean cancelled;

    void set(Runnable cancel) {
      if (cancelled) {
        cancel.run();
      } else {
        this.cancel = cancel;
      }
    }

    void cancel() {
      cancelled = true;
      if (cancel != null) cancel.run();
    }
  }
}
