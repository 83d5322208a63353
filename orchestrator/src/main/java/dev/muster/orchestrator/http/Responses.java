package dev.muster.orchestrator.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** How the API answers: JSON bodies, and errors with the contract's {@code {"error", "message"}}. */
final class Responses {
  private Responses() {}

  static Future<Void> json(RoutingContext ctx, int status, JsonObject body) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) return Future.succeededFuture();
    if (response.headWritten()) return response.end();
    return response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  static Future<Void> error(RoutingContext ctx, ApiException e) {
    return json(ctx, e.status(), e.body());
  }

  /**
   * Answers with the error, then closes an HTTP/1.x connection: the rest of what the client sends on it is not
   * worth reading. (An HTTP/2 connection carries other streams: there only the stream ends.) The close waits a
   * moment for the client, told {@code Connection: close}, to close first: a socket closed with the rest of a body
   * unread in it is reset, and a client still sending that body may lose the answer with it.
   */
  static void closeAfter(RoutingContext ctx, ApiException e) {
    boolean http1 = ctx.request().version() != HttpVersion.HTTP_2;
    if (http1) ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    error(ctx, e).onComplete(ar -> {
      if (http1) closeSoon(ctx.request());
    });
  }

  /** The same for a request no router has seen (it has no routing context). */
  static void refuse(HttpServerRequest request, ApiException e) {
    boolean http1 = request.version() != HttpVersion.HTTP_2;
    HttpServerResponse response = request.response();
    if (http1) response.putHeader(HttpHeaders.CONNECTION, "close");
    response.setStatusCode(e.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(e.body().encode())
        .onComplete(ar -> {
          if (http1) closeSoon(request);
        });
  }

  private static final long CLOSE_GRACE_MS = 1_000;

  private static void closeSoon(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    io.vertx.core.Context context = Vertx.currentContext();
    if (context == null) {
      connection.close();
      return;
    }
    // What still arrives meanwhile is read and dropped (the body handler discards past its limit).
    context.owner().setTimer(CLOSE_GRACE_MS, id -> connection.close());
  }
}
