package dev.muster.orchestrator.http;

import dev.muster.orchestrator.db.Bootstrap;
import dev.muster.orchestrator.db.LogRecovery;
import dev.muster.orchestrator.broadcast.Broadcaster;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.coordinator.Coordinator;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;

/**
 * The contract's HTTP surface: arrivals, schemas, events, metrics, health, and the dashboard's files. Its parts:
 * {@link Routes} (which path goes where, and who may call it), {@link Arrivals} and {@link ArrivalModes}
 * (announcing, then streaming, waiting or 202), {@link Reads} (state and the log), {@link Health},
 * {@link RequestChecks}, {@link Failures} (every error's answer) and the held-open requests' {@link Streams}.
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
  /** The longest request line (method, path and query, version) accepted; a longer one gets 414. */
  public static final int MAX_REQUEST_LINE_BYTES = 8 * 1024;

  private final MusterConfig config;
  private final Metrics metrics;
  private final StreamLimits limits;
  private final Router router;

  private HttpApi(Vertx vertx, MusterConfig config, Coordinator coordinator, Broadcaster broadcaster, Pool pool,
      LogRecovery recovery) {
    this.config = config;
    Access access = new Access(config.token(), config.readToken());
    this.metrics = new Metrics(broadcaster, coordinator, this::openStreams);
    this.limits = new StreamLimits(config.maxStreams(), config.maxStreamsPerClient(), metrics);
    Streams streams = new Streams(vertx, limits, config.heartbeat(), config.streamIdleTimeout(), metrics);
    Arrivals arrivals = new Arrivals(config, coordinator, access, streams, new ArrivalModes(coordinator, broadcaster, streams,
        () -> !broadcaster.listening()));
    this.router = Routes.build(vertx, access, config.maxBodyBytes(), arrivals, new Runs(coordinator),
        new Reads(config.schemas(), coordinator, broadcaster, streams, new RunBackends(vertx, config.database())),
        new Health(pool, broadcaster, recovery), metrics, new Failures(config.maxBodyBytes()),
        new Interventions(vertx, config.schemas(), coordinator, config.database()));
  }

  private int openStreams() {
    return limits == null ? 0 : limits.open();
  }

  /** The HTTP surface of one replica; call it on the replica's context, after the coordinator has started. */
  public static HttpApi create(Vertx vertx, MusterConfig config, Coordinator coordinator, Broadcaster broadcaster,
      Pool pool) {
    return create(vertx, config, coordinator, broadcaster, pool,
        new LogRecovery(pool, () -> Bootstrap.run(vertx, config.database()), broadcaster::lastSeq));
  }

  /** The same, with the replica's {@link LogRecovery}, which {@code /ready} asks. */
  public static HttpApi create(Vertx vertx, MusterConfig config, Coordinator coordinator, Broadcaster broadcaster,
      Pool pool, LogRecovery recovery) {
    return new HttpApi(vertx, config, coordinator, broadcaster, pool, recovery);
  }

  /** Server options that enforce the configured header size, for HTTP/1.1 and HTTP/2 alike. */
  public HttpServerOptions serverOptions() {
    return new HttpServerOptions()
        .setMaxHeaderSize(config.maxHeaderBytes())
        .setMaxInitialLineLength(MAX_REQUEST_LINE_BYTES)
        .setInitialSettings(new Http2Settings().setMaxHeaderListSize(config.maxHeaderBytes()))
        // Event streams and ?wait=true are quiet for long stretches: idle streams are judged by EventStream.
        .setIdleTimeout(0)
        // Muster speaks no WebSocket: no compression handler in every connection's pipeline, on every write.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
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
    String route = Routes.label(request.path());
    // The response's one headers-end handler: no handler on this router may use ctx.addHeadersEndHandler.
    response.headersEndHandler(v -> metrics.request(method, route, response.getStatusCode()));
    if (request.version() == null) {
      Responses.refuse(request, new ApiException(400, "bad_request",
          "this orchestrator speaks HTTP/1.0, HTTP/1.1 and HTTP/2 only"));
    } else if (!RequestChecks.validlyEncoded(request.path())) {
      // The router would answer a bare 400 of its own.
      Responses.refuse(request, new ApiException(400, "bad_request", "the path is not validly percent-encoded"));
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
    Responses.refuse(request, e);
  }
}
