package dev.muster.orchestrator.http;

import static dev.muster.orchestrator.http.Responses.json;

import dev.muster.orchestrator.coordinator.Arrival;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.EventCodec;
import dev.muster.orchestrator.events.EventFeed;
import dev.muster.orchestrator.events.Fields;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The three ways an arrival is answered: an event stream that ends after its terminal event
 * ({@code Accept: text/event-stream}), one answer once it is settled ({@code ?wait=true}), or {@code 202} at once.
 * A held arrival that goes away before it is settled is detached from the coordinator.
 */
final class ArrivalModes {
  /** The {@code 202} answer's field: the number of the arrival's {@code service.starting}. */
  static final String ARRIVAL = "arrival";

  private final Coordinator coordinator;
  private final EventFeed feed;
  private final Streams streams;

  ArrivalModes(Coordinator coordinator, EventFeed feed, Streams streams) {
    this.coordinator = coordinator;
    this.feed = feed;
    this.streams = streams;
  }

  /** The arrival's schema events, ending after its terminal one. */
  void stream(RoutingContext ctx, Held held, Arrival arrival) {
    Subscription subscription = follow(held, arrival);
    EventStream stream = streams.open(ctx, held);
    subscription.set(feed.subscribe(arrival.streamFrom(), arrival.schema(), event -> {
      if (!arrival.carries(event)) return;
      stream.send(event);
      if (arrival.isTerminal(event)) {
        subscription.cancel();
        stream.end();
      }
    }));
  }

  /**
   * One answer when the arrival is settled: 200 ready, 409 failed, 504 gave up — or, for an arrival that can
   * migrate and is elected, 200 at its election with {@code "role":"migrator"}.
   */
  void await(RoutingContext ctx, Held held, Arrival arrival) {
    Subscription subscription = follow(held, arrival);
    subscription.set(feed.subscribe(arrival.streamFrom(), arrival.schema(), event -> {
      if (arrival.canMigrate() && event.payload() instanceof Payload.MigratorElected elected
          && coordinator.handOff(arrival, event.seq())) {
        subscription.cancel();
        json(ctx, 200, new JsonObject().put(Fields.SCHEMA, arrival.schema())
            .put(Fields.STATE, SchemaStatus.MIGRATING.wire()).put(Fields.ROLE, "migrator")
            .put(Fields.RUN, event.seq()).put(Fields.LEASE_SECONDS, elected.leaseSeconds())
            .put(Fields.VERSION, elected.version()));
        return;
      }
      if (!arrival.isTerminal(event)) return;
      subscription.cancel();
      Payload p = event.payload();
      if (p instanceof Payload.SchemaFailed failed) {
        json(ctx, 409, new JsonObject().put(Fields.SCHEMA, arrival.schema()).put(Fields.STATE, SchemaStatus.FAILED.wire())
            .put(Fields.MESSAGE, "the migration of schema " + arrival.schema() + " failed: " + failed.error().message())
            .put(Fields.ERROR, EventCodec.encode(failed.report())));
      } else if (p instanceof Payload.ServiceGaveUp) {
        Responses.error(ctx, new ApiException(504, "timeout", arrival.service() + " gave up waiting for schema "
            + arrival.schema() + " after " + arrival.timeout().toSeconds() + " s"));
      } else {
        String version = p instanceof Payload.SchemaReady ready ? ready.version() : ((Payload.ServiceReleased) p).version();
        json(ctx, 200, new JsonObject().put(Fields.SCHEMA, arrival.schema()).put(Fields.STATE, SchemaStatus.READY.wire())
            .put(Fields.VERSION, version));
      }
    }));
  }

  /** {@code 202} at once: the arrival is on record; the client follows it some other way. */
  void accepted(RoutingContext ctx, Arrival arrival) {
    json(ctx, 202, new JsonObject().put(ARRIVAL, String.valueOf(arrival.seq())).put(Fields.SCHEMA, arrival.schema())
        .put(Fields.STATE, coordinator.statusOf(arrival.schema()).wire()));
  }

  /** A subscription that ends, and the arrival that is detached, when the held response goes. */
  private Subscription follow(Held held, Arrival arrival) {
    Subscription subscription = new Subscription();
    held.onRelease(() -> {
      subscription.cancel();
      coordinator.detach(arrival);
    });
    return subscription;
  }
}
