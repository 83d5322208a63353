package dev.muster.orchestrator.http;

import dev.muster.orchestrator.broadcast.Broadcaster;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.coordinator.Arrival;
import dev.muster.orchestrator.coordinator.ArrivalRefused;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.EventCodec;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.Fields;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.projection.SchemaView;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The contract's HTTP surface: arrivals, schemas, events, metrics, health, and the dashboard's files.
 *
 * <p>Every request is checked — token, size, content type, each field and parameter — before anything else
 * happens, so a bad one costs no SQL; it gets a 4xx with the contract's {@code {"error", "message"}} body. The
 * requests it holds open (event streams, {@code ?wait=true}) are bounded in all and per client, and a stream
 * whose client takes nothing is cut off. See {@code docs/security.md}.
 *
 * <pre>{@code
 * HttpApi api = HttpApi.create(vertx, config, coordinator, broadcaster, pool);
 * api.configure(vertx.createHttpServer(api.serverOptions())).listen(port);
 * }</pre>
 *
 * <p>Confined to the context that created it, like the coordinator and the broadcaster it calls.
 */
public final class HttpApi implements Handler<HttpServerRequest> {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  /** The longest request line (method, path and query, version) accepted; a longer one gets 414. */
  public static final int MAX_REQUEST_LINE_BYTES = 8 * 1024;
  private static final String BODY_TIMER = "muster.bodyTimer";
  private static final String ARRIVALS = "/api/v1/arrivals";
  private static final String SCHEMAS = "/api/v1/schemas";
  private static final String EVENTS = "/api/v1/events";

  private final Vertx vertx;
  private final MusterConfig config;
  private final Coordinator coordinator;
  private final Broadcaster broadcaster;
  private final Pool pool;
  private final Access access;
  private final Metrics metrics;
  private final StreamLimits limits;
  private final Router router;

  private HttpApi(Vertx vertx, MusterConfig config, Coordinator coordinator, Broadcaster broadcaster, Pool pool) {
    this.vertx = vertx;
    this.config = config;
    this.coordinator = coordinator;
    this.broadcaster = broadcaster;
    this.pool = pool;
    this.access = new Access(config.token(), config.readToken());
    this.metrics = new Metrics(broadcaster, coordinator, this::openStreams);
    this.limits = new StreamLimits(config.maxStreams(), config.maxStreamsPerClient(), metrics);
    this.router = build();
  }

  /** The HTTP surface of one replica; call it on the replica's context, after the coordinator has started. */
  public static HttpApi create(Vertx vertx, MusterConfig config, Coordinator coordinator, Broadcaster broadcaster,
      Pool pool) {
    return new HttpApi(vertx, config, coordinator, broadcaster, pool);
  }

  /** Server options that enforce the configured header size, for HTTP/1.1 and HTTP/2 alike. */
  public HttpServerOptions serverOptions() {
    return new HttpServerOptions()
        .setMaxHeaderSize(config.maxHeaderBytes())
        .setMaxInitialLineLength(MAX_REQUEST_LINE_BYTES)
        .setInitialSettings(new Http2Settings().setMaxHeaderListSize(config.maxHeaderBytes()))
        // Event streams and ?wait=true are quiet for long stretches: idle streams are judged by EventStream.
        .setIdleTimeout(0);
  }

  /**
   * Installs this API's handlers on the server: requests, requests the HTTP decoder could not read, and
   * WebSocket handshakes (refused: Muster speaks no WebSocket).
   */
  public HttpServer configure(HttpServer server) {
    // A handshake handler also makes Vert.x hand requests of an unknown HTTP version to this API, which
    // refuses them with a 400 and the error body rather than Vert.x's bare 501.
    return server.requestHandler(this).invalidRequestHandler(this::invalidRequest)
        .webSocketHandshakeHandler(handshake -> handshake.reject(400));
  }

  @Override
  public void handle(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    response.putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer");
    String method = request.method().name();
    String route = route(request.path());
    // The response's one headers-end handler: no handler on this router may use ctx.addHeadersEndHandler.
    response.headersEndHandler(v -> metrics.request(method, route, response.getStatusCode()));
    if (request.version() == null) {
      refuse(request, new ApiException(400, "bad_request", "this orchestrator speaks HTTP/1.0, HTTP/1.1 and HTTP/2 only"));
    } else if (!validlyEncoded(request.path())) {
      // The router would answer a bare 400 of its own.
      refuse(request, new ApiException(400, "bad_request", "the path is not validly percent-encoded"));
    } else {
      router.handle(request);
    }
  }

  /**
   * A request the HTTP decoder could not read — a header section or request line too long, bytes that are
   * not HTTP — gets a 4xx with the error body, and its connection is closed (what follows cannot be trusted).
   */
  public void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiException e;
    if (cause instanceof TooLongHttpLineException) {
      e = new ApiException(414, "uri_too_long", "the request line must be at most " + MAX_REQUEST_LINE_BYTES + " bytes");
    } else if (cause instanceof TooLongHttpHeaderException) {
      e = new ApiException(431, "headers_too_large", "the request's headers must be at most "
          + config.maxHeaderBytes() + " bytes in all (MUSTER_MAX_HEADER_BYTES)");
    } else {
      e = new ApiException(400, "bad_request", "the request is not valid HTTP/1.1");
    }
    metrics.request("other", "invalid", e.status());
    refuse(request, e);
  }

  /** Answers with the error and closes the connection (HTTP/1.x) or the stream (HTTP/2). */
  private static void refuse(HttpServerRequest request, ApiException e) {
    boolean http1 = request.version() != HttpVersion.HTTP_2;
    HttpServerResponse response = request.response();
    if (http1) response.putHeader(HttpHeaders.CONNECTION, "close");
    response.setStatusCode(e.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(e.body().encode())
        .onComplete(ar -> {
          if (http1) request.connection().close();
        });
  }

  /** True unless the text has a {@code %} not followed by two hexadecimal digits. */
  private static boolean validlyEncoded(String path) {
    if (path == null) return true;
    for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
      if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0
          || Character.digit(path.charAt(i + 2), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  private int openStreams() {
    return limits == null ? 0 : limits.open();
  }

  private Router build() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "up")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(this::readAccess).handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, Metrics.CONTENT_TYPE).end(metrics.scrape()));
    // Its own route, so that the token is checked before the body is read (a route runs body handlers first).
    router.post(ARRIVALS).handler(ctx -> {
      access.requireWrite(ctx.request());
      bodyDeadline(ctx);
      ctx.next();
    });
    router.post(ARRIVALS)
        .handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
        .handler(this::arrive);
    router.get(SCHEMAS).handler(this::readAccess)
        .handler(ctx -> json(ctx, 200, new JsonObject().put(Fields.SCHEMAS, new JsonArray(coordinator.views().stream()
            .map(SchemaView::toJson).toList()))));
    router.get(SCHEMAS + "/:schema").handler(this::readAccess).handler(this::schema);
    router.get(EVENTS).handler(ctx -> {
      access.requireRead(ctx.request(), true);
      ctx.next();
    }).handler(this::events);
    // Any other call under /api: a write needs the write token before it learns even that it does not exist.
    router.route("/api/*").handler(ctx -> {
      HttpMethod method = ctx.request().method();
      if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
        access.requireRead(ctx.request(), false);
      } else {
        access.requireWrite(ctx.request());
      }
      String path = ctx.request().path();
      if (!route(path).equals("/api/other")) {
        throw new ApiException(405, "method_not_allowed", printable(method.name()) + " is not allowed on " + printable(path));
      }
      throw new ApiException(404, "not_found", "no such resource: " + printable(path));
    });
    // The dashboard's files are the same in every installation and hold no data: they are not protected;
    // the API calls they make are.
    router.get("/*").handler(StaticHandler.create("dashboard").setCachingEnabled(false));
    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> error(ctx, new ApiException(404, "not_found",
        "no such resource: " + printable(ctx.request().path()))));
    router.errorHandler(405, ctx -> error(ctx, new ApiException(405, "method_not_allowed",
        printable(ctx.request().method().name()) + " is not allowed on " + printable(ctx.request().path()))));
    return router;
  }

  private void readAccess(RoutingContext ctx) {
    access.requireRead(ctx.request(), false);
    ctx.next();
  }

  /** A body that has not fully arrived within the idle timeout gets 408 and its connection closed. */
  private void bodyDeadline(RoutingContext ctx) {
    long timer = vertx.setTimer(config.streamIdleTimeout().toMillis(), id -> {
      if (ctx.request().isEnded() || ctx.response().ended() || ctx.response().closed()) return;
      closeAfter(ctx, new ApiException(408, "request_timeout", "the request body did not arrive within "
          + config.streamIdleTimeout().toSeconds() + " s (MUSTER_STREAM_IDLE_TIMEOUT)"));
    });
    ctx.put(BODY_TIMER, timer);
  }

  private void cancelBodyDeadline(RoutingContext ctx) {
    Long timer = ctx.get(BODY_TIMER);
    if (timer != null) vertx.cancelTimer(timer);
  }

  private void arrive(RoutingContext ctx) {
    cancelBodyDeadline(ctx);
    HttpServerRequest http = ctx.request();
    ArrivalRequest request = ArrivalRequest.parse(jsonBody(ctx), config.schemas());
    boolean stream = accepts(ctx, "text/event-stream");
    String waitParam = Params.single(http, "wait");
    if (waitParam != null && !waitParam.equals("true") && !waitParam.equals("false")) {
      throw new ApiException(400, "invalid_request", "wait must be true or false");
    }
    boolean wait = !stream && "true".equals(waitParam);
    String timeoutParam = Params.single(http, "timeout");
    Duration queryTimeout = timeoutParam == null ? null : ArrivalRequest.timeout(timeoutParam);
    Duration timeout = wait && queryTimeout != null ? queryTimeout : request.timeout();
    Long lastEventId = lastEventId(ctx);
    Long resumeAfter = stream ? lastEventId : null;
    Held held = stream || wait ? hold(ctx) : null;
    coordinator.arrive(new Arrival.Request(request.service(), request.instance(), request.schema(),
            request.requiredVersion(), timeout, resumeAfter))
        .onFailure(ctx::fail)
        .onSuccess(arrival -> {
          if (ctx.response().closed() || (held != null && held.released())) {
            coordinator.detach(arrival);
          } else if (stream) {
            streamArrival(ctx, held, arrival);
          } else if (wait) {
            awaitArrival(ctx, held, arrival);
          } else {
            json(ctx, 202, new JsonObject().put("arrival", String.valueOf(arrival.seq()))
                .put("schema", arrival.schema()).put("state", coordinator.statusOf(arrival.schema()).wire()));
          }
        });
  }

  /** Takes a stream slot for the request (or throws 429 / 503) and frees it when the response is gone. */
  private Held hold(RoutingContext ctx) {
    StreamLimits.Slot slot = limits.acquire(ctx.request());
    Held held = new Held(ctx.response());
    held.onRelease(slot::release);
    return held;
  }

  /** The arrival's schema events, ending after its terminal one. */
  private void streamArrival(RoutingContext ctx, Held held, Arrival arrival) {
    Subscription subscription = new Subscription();
    held.onRelease(() -> {
      subscription.cancel();
      coordinator.detach(arrival);
    });
    EventStream stream = new EventStream(vertx, ctx.response(), held, config.heartbeat(), config.streamIdleTimeout(),
        metrics);
    subscription.set(broadcaster.subscribe(arrival.streamFrom(), arrival.schema(), event -> {
      if (!arrival.carries(event)) return;
      stream.send(event);
      if (arrival.isTerminal(event)) {
        subscription.cancel();
        stream.end();
      }
    }));
  }

  /** One answer when the arrival is settled: 200 ready, 409 failed, 504 gave up. */
  private void awaitArrival(RoutingContext ctx, Held held, Arrival arrival) {
    Subscription subscription = new Subscription();
    held.onRelease(() -> {
      subscription.cancel();
      coordinator.detach(arrival);
    });
    subscription.set(broadcaster.subscribe(arrival.streamFrom(), arrival.schema(), event -> {
      if (!arrival.isTerminal(event)) return;
      subscription.cancel();
      if (event.payload() instanceof Payload.SchemaFailed failed) {
        JsonObject error = EventCodec.encode(failed.report());
        json(ctx, 409, new JsonObject().put(Fields.SCHEMA, arrival.schema()).put(Fields.STATE, SchemaStatus.FAILED.wire())
            .put(Fields.MESSAGE, "the migration of schema " + arrival.schema() + " failed: " + failed.error().message())
            .put(Fields.ERROR, error));
      } else if (event.type() == EventType.SERVICE_GAVE_UP) {
        error(ctx, new ApiException(504, "timeout", arrival.service() + " gave up waiting for schema "
            + arrival.schema() + " after " + arrival.timeout().toSeconds() + " s"));
      } else {
        String version = event.payload() instanceof Payload.SchemaReady ready ? ready.version()
            : ((Payload.ServiceReleased) event.payload()).version();
        json(ctx, 200, new JsonObject().put(Fields.SCHEMA, arrival.schema()).put(Fields.STATE, SchemaStatus.READY.wire())
            .put(Fields.VERSION, version));
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
    coordinator.view(schema).onSuccess(view -> json(ctx, 200, view.toJson())).onFailure(ctx::fail);
  }

  /** Every event as SSE; {@code Last-Event-ID} or {@code ?since=SEQ} replays from the log first. */
  private void events(RoutingContext ctx) {
    Long since = lastEventId(ctx);
    String sinceParam = Params.single(ctx.request(), "since");
    Long sinceQuery = sinceParam == null ? null : sequence(sinceParam, "since");
    if (since == null) since = sinceQuery;
    String schema = Params.single(ctx.request(), "schema");
    if (schema != null) {
      if (SchemaNames.invalid(schema) != null) throw new ApiException(400, "invalid_schema", SchemaNames.invalid(schema));
      if (config.schemas().rejection(schema) != null) {
        throw new ApiException(404, "unknown_schema", config.schemas().rejection(schema));
      }
    }
    Held held = hold(ctx);
    long after = since != null ? since : broadcaster.lastSeq();
    Subscription subscription = new Subscription();
    held.onRelease(subscription::cancel);
    EventStream stream = new EventStream(vertx, ctx.response(), held, config.heartbeat(), config.streamIdleTimeout(),
        metrics);
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

  private static JsonObject jsonBody(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type == null || !isJsonUtf8(type)) {
      throw new ApiException(415, "unsupported_media_type", "the body must be application/json (UTF-8), was "
          + (type == null ? "no Content-Type" : printable(type)));
    }
    String encoding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
    if (encoding != null && !encoding.trim().equalsIgnoreCase("identity")) {
      throw new ApiException(415, "unsupported_media_type", "the body must not be compressed (Content-Encoding)");
    }
    if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() == 0) {
      throw new ApiException(400, "invalid_json", "the body is empty");
    }
    return StrictJson.object(ctx.body().buffer());
  }

  /** {@code application/json}, optionally with {@code charset=utf-8}; nothing else. */
  private static boolean isJsonUtf8(String contentType) {
    String[] parts = contentType.split(";");
    if (!parts[0].trim().equalsIgnoreCase("application/json")) return false;
    for (int i = 1; i < parts.length; i++) {
      String[] param = parts[i].trim().split("=", 2);
      if (param[0].trim().equalsIgnoreCase("charset")) {
        String charset = param.length < 2 ? "" : param[1].trim().replace("\"", "");
        if (!charset.equalsIgnoreCase("utf-8")) return false;
      }
    }
    return true;
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
    if (!text.matches("[0-9]{1,18}")) {
      throw new ApiException(400, "invalid_request", what + " must be an event number (digits only)");
    }
    return Long.parseLong(text);
  }

  /** Connection refused or lost, or the server shutting down (SQLSTATE class 08, 57P01-03). */
  private static boolean databaseUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof VertxException
          && String.valueOf(t.getMessage()).toLowerCase().contains("connection")) {
        return true;
      }
      if (t instanceof PgException) {
        String state = ((PgException) t).getSqlState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P0"))) return true;
      }
    }
    return false;
  }

  private void failure(RoutingContext ctx) {
    cancelBodyDeadline(ctx);
    Throwable failure = ctx.failure();
    int status = ctx.statusCode();
    if (failure instanceof ArrivalRefused refused) {
      error(ctx, new ApiException(409, "version_skew", refused.getMessage(), new JsonObject()
          .put(Fields.SCHEMA, refused.schema()).put(Fields.REQUIRED_VERSION, refused.requiredVersion())
          .put(Fields.LATEST_VERSION, refused.latestVersion())));
    } else if (failure instanceof ApiException) {
      error(ctx, (ApiException) failure);
    } else if (status == 413) {
      // The rest of an oversized body is not worth reading: answer, then close the connection.
      closeAfter(ctx, new ApiException(413, "payload_too_large", "the body must be at most " + config.maxBodyBytes()
          + " bytes (MUSTER_MAX_BODY_BYTES)"));
    } else if (status >= 400 && status < 500) {
      // Refused by Vert.x itself: a query string or path it cannot decode, a path that is not absolute, ...
      error(ctx, new ApiException(status, status == 404 ? "not_found" : status == 405 ? "method_not_allowed"
          : "bad_request", "the request was refused (HTTP " + status + ")"));
    } else if (!ctx.request().isEnded() || ctx.response().closed() || failure instanceof DecoderException
        || failure instanceof HttpClosedException) {
      // Reading the request failed: the client broke it off, or its framing (Vert.x closes such a connection).
      log.debug("Request {} {} broken off: {}", printable(ctx.request().method().name()), printable(ctx.request().path()),
          String.valueOf(failure));
      closeAfter(ctx, new ApiException(400, "bad_request", "the request could not be read"));
    } else if (databaseUnavailable(failure)) {
      // Not a bug: the database is down or restarting. Clients retry (the SDK does, with back-off).
      log.warn("Request {} {} refused: the database is unavailable ({})", printable(ctx.request().method().name()),
          printable(ctx.request().path()), failure.getMessage());
      ctx.response().putHeader("Retry-After", "1");
      error(ctx, new ApiException(503, "database_unavailable", "the orchestrator cannot reach its database; try again"));
    } else {
      log.error("Request {} {} failed", printable(ctx.request().method().name()), printable(ctx.request().path()),
          failure);
      error(ctx, new ApiException(500, "internal_error", "the orchestrator failed to handle the request; see its log"));
    }
  }

  /**
   * Answers with the error, then closes an HTTP/1.x connection: the rest of what the client sends on it is not
   * worth reading. (An HTTP/2 connection carries other streams: there only the stream ends.)
   */
  private static void closeAfter(RoutingContext ctx, ApiException e) {
    boolean http1 = ctx.request().version() != HttpVersion.HTTP_2;
    if (http1) ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    error(ctx, e).onComplete(ar -> {
      if (http1) ctx.request().connection().close();
    });
  }

  private static Future<Void> error(RoutingContext ctx, ApiException e) {
    return json(ctx, e.status(), e.body());
  }

  private static Future<Void> json(RoutingContext ctx, int status, JsonObject body) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) return Future.succeededFuture();
    if (response.headWritten()) return response.end();
    return response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  /** The metrics label for a path: the API's routes by name, anything else lumped together. */
  private static String route(String path) {
    if (path == null) return "other";
    switch (path) {
      case ARRIVALS: case SCHEMAS: case EVENTS: case "/health": case "/ready": case "/metrics":
        return path;
      default:
        if (path.startsWith(SCHEMAS + "/") && path.indexOf('/', SCHEMAS.length() + 1) < 0) return SCHEMAS + "/{schema}";
        return path.startsWith("/api/") ? "/api/other" : "static";
    }
  }

  /** Client-supplied text fit to echo in a message or a log line: short, no control characters. */
  static String printable(String text) {
    if (text == null) return "null";
    String cut = text.length() > 100 ? text.substring(0, 100) + "..." : text;
    StringBuilder b = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      b.append(c < 0x20 || c == 0x7f || Character.isSurrogate(c) || (c >= 0x202a && c <= 0x202e)
          || (c >= 0x2066 && c <= 0x2069) ? '?' : c);
    }
    return b.toString();
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
