package dev.muster.orchestrator.http;

import static dev.muster.orchestrator.http.RequestChecks.printable;

import dev.muster.orchestrator.coordinator.ArrivalRefused;
import dev.muster.orchestrator.coordinator.RunRefused;
import dev.muster.orchestrator.events.Fields;
import io.netty.handler.codec.DecoderException;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every failed request's answer. A refusal ({@link ApiException}, {@link ArrivalRefused}) says what the client
 * must change; a request Vert.x itself refused, or one the client broke off, gets a plain 4xx; a database that is
 * down or restarting is a 503 the clients retry; anything else is a bug: 500, with the details in the log only.
 */
final class Failures {
  private static final Logger log = LoggerFactory.getLogger(Failures.class);

  private final int maxBodyBytes;

  Failures(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  /** The router's failure handler. */
  void handle(RoutingContext ctx) {
    Arrivals.cancelBodyDeadline(ctx);
    Throwable failure = ctx.failure();
    int status = ctx.statusCode();
    if (failure instanceof ApiException e) {
      Responses.error(ctx, e);
    } else if (failure instanceof ArrivalRefused refused) {
      Responses.error(ctx, refusal(refused));
    } else if (failure instanceof RunRefused refused) {
      if (refused.reason() == RunRefused.Reason.ELSEWHERE) ctx.response().putHeader("Retry-After", "1");
      Responses.error(ctx, switch (refused.reason()) {
        case UNKNOWN_RUN -> new ApiException(404, "unknown_run", refused.getMessage());
        case LEASE_LOST -> new ApiException(409, "lease_lost", refused.getMessage());
        // A 5xx, so that the migrator's client goes on to the next orchestrator URL, the run's holder among them.
        case ELSEWHERE -> new ApiException(503, "run_elsewhere", refused.getMessage());
      });
    } else if (status == 413) {
      // The rest of an oversized body is not worth reading: answer, then close the connection.
      Responses.closeAfter(ctx, new ApiException(413, "payload_too_large", "the body must be at most " + maxBodyBytes
          + " bytes (MUSTER_MAX_BODY_BYTES)"));
    } else if (status >= 400 && status < 500) {
      // Refused by Vert.x itself: a query string or path it cannot decode, a path that is not absolute, ...
      Responses.error(ctx, new ApiException(status, status == 404 ? "not_found" : status == 405 ? "method_not_allowed"
          : "bad_request", "the request was refused (HTTP " + status + ")"));
    } else if (!ctx.request().isEnded() || ctx.response().closed() || failure instanceof DecoderException
        || failure instanceof HttpClosedException) {
      // Reading the request failed: the client broke it off, or its framing (Vert.x closes such a connection).
      log.debug("Request {} {} broken off: {}", printable(ctx.request().method().name()), printable(ctx.request().path()),
          String.valueOf(failure));
      Responses.closeAfter(ctx, new ApiException(400, "bad_request", "the request could not be read"));
    } else if (databaseUnavailable(failure)) {
      // Not a bug: the database is down or restarting. Clients retry (the SDK does, with back-off).
      log.warn("Request {} {} refused: the database is unavailable ({})", printable(ctx.request().method().name()),
          printable(ctx.request().path()), failure.getMessage());
      ctx.response().putHeader("Retry-After", "1");
      Responses.error(ctx, new ApiException(503, "database_unavailable",
          "the orchestrator cannot reach its database; try again"));
    } else {
      log.error("Request {} {} failed", printable(ctx.request().method().name()), printable(ctx.request().path()),
          failure);
      Responses.error(ctx, new ApiException(500, "internal_error",
          "the orchestrator failed to handle the request; see its log"));
    }
  }

  /** The coordinator's refusal as the contract's error. */
  static ApiException refusal(ArrivalRefused refused) {
    return switch (refused.reason()) {
      case VERSION_SKEW -> new ApiException(409, "version_skew", refused.getMessage(), new JsonObject()
          .put(Fields.SCHEMA, refused.schema()).put(Fields.REQUIRED_VERSION, refused.requiredVersion())
          .put(Fields.LATEST_VERSION, refused.latestVersion()));
      case DRIFTED -> new ApiException(409, "schema_drifted", refused.getMessage(), new JsonObject()
          .put(Fields.SCHEMA, refused.schema()));
    };
  }

  /** Connection refused or lost, or the server shutting down (SQLSTATE class 08, 57P01-03). */
  static boolean databaseUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof VertxException
          && String.valueOf(t.getMessage()).toLowerCase().contains("connection")) {
        return true;
      }
      if (t instanceof PgException pg) {
        String state = pg.getSqlState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P0"))) return true;
      }
    }
    return false;
  }
}
