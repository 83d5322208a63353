package dev.muster.orchestrator.http;

import static dev.muster.orchestrator.http.RequestChecks.printable;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * Which path goes where, and who may call it: writes need the write token, reads the read token (when one is
 * set), the dashboard's files nothing. Paths are named here once, for the router and for the metrics' labels.
 */
final class Routes {
  static final String ARRIVALS = "/api/v1/arrivals";
  static final String SCHEMAS = "/api/v1/schemas";
  static final String SCHEMA = SCHEMAS + "/{schema}";
  static final String SCHEMA_READY = SCHEMA + "/ready";
  static final String EVENTS = "/api/v1/events";
  static final String BLOCKER_CANCEL = SCHEMA + "/blockers/{pid}/cancel";
  static final String BLOCKER_TERMINATE = SCHEMA + "/blockers/{pid}/terminate";
  static final String ABORT = SCHEMA + "/abort";
  static final String RUN_HEARTBEAT = "/api/v1/runs/{run}/heartbeat";
  static final String RUN_REPORT = "/api/v1/runs/{run}/report";
  static final String HEALTH = "/health";
  static final String READY = "/ready";
  static final String METRICS = "/metrics";
  /** The label of any other path under {@code /api/}. */
  static final String OTHER_API = "/api/other";

  private Routes() {}

  static Router build(Vertx vertx, Access access, int maxBodyBytes, Arrivals arrivals, Runs runs, Reads reads,
      Health health, Metrics metrics, Failures failures, Interventions interventions) {
    Router router = Router.router(vertx);
    // Admin calls on a blocked run: the write token before the body is read (its own route, as for arrivals).
    for (String path : new String[] {BLOCKER_CANCEL, BLOCKER_TERMINATE, ABORT}) router.post(pattern(path)).handler(write(access));
    router.post(pattern(BLOCKER_CANCEL)).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes))
        .handler(ctx -> interventions.signal(ctx, false));
    router.post(pattern(BLOCKER_TERMINATE)).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes))
        .handler(ctx -> interventions.signal(ctx, true));
    router.post(pattern(ABORT)).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes))
        .handler(interventions::abort);
    router.get(HEALTH).handler(health::live);
    router.get(READY).handler(health::ready);
    router.get(METRICS).handler(read(access)).handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, Metrics.CONTENT_TYPE).end(metrics.scrape()));
    // Its own route, so that the token is checked before the body is read (a route runs body handlers first).
    router.post(ARRIVALS).handler(arrivals::admit);
    router.post(ARRIVALS).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)).handler(arrivals::arrive);
    // The migrator's calls: like an arrival, the write token before the body.
    router.post(pattern(RUN_HEARTBEAT)).handler(arrivals::admit);
    router.post(pattern(RUN_HEARTBEAT)).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)).handler(runs::heartbeat);
    router.post(pattern(RUN_REPORT)).handler(arrivals::admit);
    router.post(pattern(RUN_REPORT)).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)).handler(runs::report);
    router.get(SCHEMAS).handler(read(access)).handler(reads::schemas);
    router.get(pattern(SCHEMA)).handler(read(access)).handler(reads::schema);
    router.get(pattern(SCHEMA_READY)).handler(read(access)).handler(reads::readiness);
    router.get(EVENTS).handler(ctx -> {
      access.requireRead(ctx.request(), true); // an EventSource sends no headers: ?access_token= may carry it
      ctx.next();
    }).handler(reads::events);
    // Any other call under /api: a write needs the write token before it learns even that it does not exist.
    router.route("/api/*").handler(ctx -> {
      HttpMethod method = ctx.request().method();
      if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
        access.requireRead(ctx.request(), false);
      } else {
        access.requireWrite(ctx.request());
      }
      String path = ctx.request().path();
      if (!label(path).equals(OTHER_API)) {
        throw new ApiException(405, "method_not_allowed", printable(method.name()) + " is not allowed on " + printable(path));
      }
      throw new ApiException(404, "not_found", "no such resource: " + printable(path));
    });
    // The dashboard's files are the same in every installation and hold no data: they are not protected;
    // the API calls they make are.
    router.get("/*").handler(StaticHandler.create("dashboard").setCachingEnabled(false));
    router.route().failureHandler(failures::handle);
    router.errorHandler(404, ctx -> Responses.error(ctx, new ApiException(404, "not_found",
        "no such resource: " + printable(ctx.request().path()))));
    router.errorHandler(405, ctx -> Responses.error(ctx, new ApiException(405, "method_not_allowed",
        printable(ctx.request().method().name()) + " is not allowed on " + printable(ctx.request().path()))));
    return router;
  }

  /** The metrics label for a path: the API's routes by name, anything else lumped together. */
  static String label(String path) {
    if (path == null) return "other";
    switch (path) {
      case ARRIVALS: case SCHEMAS: case EVENTS: case HEALTH: case READY: case METRICS:
        return path;
      default:
        if (path.startsWith("/api/v1/runs/")) {
          if (path.endsWith("/heartbeat")) return RUN_HEARTBEAT;
          if (path.endsWith("/report")) return RUN_REPORT;
        }
        if (path.startsWith(SCHEMAS + "/")) {
          String rest = path.substring(SCHEMAS.length() + 1);
          int slash = rest.indexOf('/');
          if (slash < 0) return SCHEMA;
          if (rest.substring(slash).equals("/ready")) return SCHEMA_READY;
          if (rest.substring(slash).equals("/abort")) return ABORT;
          if (rest.substring(slash).matches("/blockers/[^/]+/cancel")) return BLOCKER_CANCEL;
          if (rest.substring(slash).matches("/blockers/[^/]+/terminate")) return BLOCKER_TERMINATE;
        }
        return path.startsWith("/api/") ? OTHER_API : "static";
    }
  }

  /** The path as Vert.x's router writes a parameter: {@code :schema}. */
  private static String pattern(String path) {
    return path.replace("{schema}", ":schema").replace("{pid}", ":pid").replace("{run}", ":run");
  }

  private static io.vertx.core.Handler<RoutingContext> write(Access access) {
    return ctx -> {
      access.requireWrite(ctx.request());
      ctx.next();
    };
  }

  private static io.vertx.core.Handler<RoutingContext> read(Access access) {
    return ctx -> {
      access.requireRead(ctx.request(), false);
      ctx.next();
    };
  }
}
