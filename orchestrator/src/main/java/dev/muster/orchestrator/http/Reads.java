package dev.muster.orchestrator.http;

import static dev.muster.orchestrator.http.Responses.json;

import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.EventFeed;
import dev.muster.orchestrator.events.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The calls that only show state: every schema, one schema, whether one is ready (for platform probes), and the
 * event log as a stream.
 */
final class Reads {
  /** The readiness probe's parameter: the version the service needs. */
  static final String VERSION_PARAMETER = "version";

  private final SchemaNames allowed;
  private final Coordinator coordinator;
  private final EventFeed feed;
  private final Streams streams;
  private final RunBackends backends;

  Reads(SchemaNames allowed, Coordinator coordinator, EventFeed feed, Streams streams, RunBackends backends) {
    this.allowed = allowed;
    this.coordinator = coordinator;
    this.feed = feed;
    this.streams = streams;
    this.backends = backends;
  }

  /** {@code GET /api/v1/schemas}: every schema this replica knows. */
  void schemas(RoutingContext ctx) {
    JsonArray all = new JsonArray();
    coordinator.views().forEach(view -> all.add(view.toJson()));
    json(ctx, 200, new JsonObject().put(Fields.SCHEMAS, all));
  }

  /** {@code GET /api/v1/schemas/{schema}}. */
  void schema(RoutingContext ctx) {
    String schema = RequestChecks.schema(ctx.pathParam(Fields.SCHEMA), allowed);
    // A run under way: its session as PostgreSQL sees it now (active, waiting on a lock, idle in transaction).
    coordinator.view(schema)
        .compose(view -> view.lockHolder() == null ? io.vertx.core.Future.succeededFuture(view)
            : backends.of(schema).map(view::withRunBackend).otherwise(view))
        .onSuccess(view -> json(ctx, 200, view.toJson())).onFailure(ctx::fail);
  }

  /**
   * {@code GET /api/v1/schemas/{schema}/ready[?version=V]}: 200 when the schema is at V or newer (its latest
   * without V), 503 otherwise — what a platform's readiness probe asks for a service that embeds no client.
   */
  void readiness(RoutingContext ctx) {
    String schema = RequestChecks.schema(ctx.pathParam(Fields.SCHEMA), allowed);
    String param = Params.single(ctx.request(), VERSION_PARAMETER);
    String required = param == null ? null : ArrivalRequest.version(VERSION_PARAMETER, param);
    coordinator.view(schema).onSuccess(view -> {
      boolean ready = view.readyFor(required);
      json(ctx, ready ? 200 : 503, new JsonObject().put(Fields.SCHEMA, schema).put(Fields.READY, ready)
          .put(Fields.STATE, view.status().wire()).put(Fields.VERSION, view.version())
          .put(Fields.REQUIRED_VERSION, required != null ? required : view.latestVersion())
          .put(Fields.LATEST_VERSION, view.latestVersion()));
    }).onFailure(ctx::fail);
  }

  /** {@code GET /api/v1/events}: every event as SSE; {@code Last-Event-ID} or {@code ?since=SEQ} replays from the log first. */
  void events(RoutingContext ctx) {
    Long since = RequestChecks.lastEventId(ctx);
    String sinceParam = Params.single(ctx.request(), "since");
    Long sinceQuery = sinceParam == null ? null : RequestChecks.sequence(sinceParam, "since");
    if (since == null) since = sinceQuery;
    String schema = Params.single(ctx.request(), Fields.SCHEMA);
    if (schema != null) RequestChecks.schema(schema, allowed);
    Held held = streams.hold(ctx);
    long after = since != null ? since : feed.lastSeq();
    Subscription subscription = new Subscription();
    held.onRelease(subscription::cancel);
    EventStream stream = streams.open(ctx, held);
    subscription.set(feed.stream(after, schema, stream));
  }
}
