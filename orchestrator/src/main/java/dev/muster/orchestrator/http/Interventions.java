package dev.muster.orchestrator.http;

import static dev.muster.orchestrator.http.RequestChecks.printable;
import static dev.muster.orchestrator.http.Responses.json;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.EventCodec;
import dev.muster.orchestrator.events.Fields;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.projection.SchemaView;
import dev.muster.orchestrator.runner.RunSessions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The admin calls that act on a blocked run (write token): cancel or terminate a session that blocks it, or abort
 * the run. Each is recorded as {@code migration.intervened} with who asked. A pid is signalled only while it
 * holds up a run of the named schema, so these calls can stop no other session.
 */
final class Interventions {
  /** Who asked, as a body may name it: a person or a tool, never a secret. */
  private static final Pattern BY = Pattern.compile("[\\p{Alnum} ._@:/+-]{1,100}");

  private final Vertx vertx;
  private final SchemaNames allowed;
  private final Coordinator coordinator;
  private final DatabaseUrl database;

  Interventions(Vertx vertx, SchemaNames allowed, Coordinator coordinator, DatabaseUrl database) {
    this.vertx = vertx;
    this.allowed = allowed;
    this.coordinator = coordinator;
    this.database = database;
  }

  /** {@code POST /api/v1/schemas/{schema}/blockers/{pid}/cancel} and {@code …/terminate}. */
  void signal(RoutingContext ctx, boolean terminate) {
    String schema = RequestChecks.schema(ctx.pathParam(Fields.SCHEMA), allowed);
    int pid = pid(ctx.pathParam(Fields.PID));
    String by = by(ctx);
    Payload.Action action = terminate ? Payload.Action.TERMINATE : Payload.Action.CANCEL;
    coordinator.view(schema).compose(view -> {
      List<Integer> named = view.lockHolder() == null || view.blocked() == null ? List.of()
          : view.blocked().blockers().stream().map(Payload.Blocker::pid).toList();
      return vertx.executeBlocking(() -> {
        try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
          return java.util.Optional.ofNullable(RunSessions.signal(c, schema, pid, terminate, named));
        }
      }, false);
    }).compose(done -> {
      if (done.isEmpty()) {
        throw new ApiException(404, "not_a_blocker", "pid " + pid + " holds up no run of schema " + schema
            + " now: only a session that blocks the run (see GET /api/v1/schemas/" + schema + ", blocked) can be signalled");
      }
      return coordinator.record(new Payload.MigrationIntervened(schema, action, pid, by, done.get()));
    }).onSuccess(e -> json(ctx, 200, answer(e.payload()))).onFailure(ctx::fail);
  }

  /** {@code POST /api/v1/schemas/{schema}/abort}: the run under way fails, saying who aborted it. */
  void abort(RoutingContext ctx) {
    String schema = RequestChecks.schema(ctx.pathParam(Fields.SCHEMA), allowed);
    String by = by(ctx);
    coordinator.view(schema).compose(view -> {
      if (view.lockHolder() == null) throw new ApiException(409, "no_run", "no run of schema " + schema + " is under way");
      return coordinator.record(new Payload.MigrationIntervened(schema, Payload.Action.ABORT, null, by, true));
    }).onSuccess(e -> json(ctx, 202, answer(e.payload()))).onFailure(ctx::fail);
  }

  private static JsonObject answer(Payload p) {
    return EventCodec.encode(p, null).copy();
  }

  private static int pid(String text) {
    try {
      int pid = Integer.parseInt(text);
      if (pid > 0) return pid;
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw new ApiException(400, "bad_request", "pid must be a positive whole number, was '" + printable(text) + "'");
  }

  /** The body's {@code by}, else "api", with the caller's address: who asked, for the record. */
  private static String by(RoutingContext ctx) {
    String given = null;
    String body = ctx.body() == null ? null : ctx.body().asString();
    if (body != null && !body.isBlank()) {
      JsonObject json;
      try {
        json = new JsonObject(body);
      } catch (RuntimeException e) {
        throw new ApiException(400, "bad_request", "the body must be a JSON object, e.g. {\"by\": \"alice\"}");
      }
      Object value = json.getValue(Fields.BY);
      if (value != null && (!(value instanceof String s) || !BY.matcher(s).matches())) {
        throw new ApiException(400, "bad_request", "by must be a name of 1 to 100 letters, digits, spaces or ._@:/+-");
      }
      given = (String) value;
    }
    String from = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
    return (given == null ? "api" : given) + " (from " + from + ")";
  }
}
