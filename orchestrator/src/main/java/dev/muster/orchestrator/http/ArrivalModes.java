package dev.muster.orchestrator.http;

import static dev.muster.orchestrator.http.Responses.json;

import dev.muster.orchestrator.coordinator.Arrival;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.EventCodec;
import dev.muster.orchestrator.events.EventFeed;
import dev.muster.orchestrator.events.Fields;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.events.Event;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

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
  private final BooleanSupplier databaseDown;

  /** @param databaseDown whether this replica has lost its database, for a timeout's answer to say so */
  ArrivalModes(Coordinator coordinator, EventFeed feed, Streams streams, BooleanSupplier databaseDown) {
    this.coordinator = coordinator;
    this.feed = feed;
    this.streams = streams;
    this.databaseDown = databaseDown;
  }

  /** The arrival's schema events, ending after its terminal one. */
  void stream(RoutingContext ctx, Held held, Arrival arrival) {
    Subscription subscription = follow(held, arrival);
    EventStream stream = streams.open(ctx, held);
    Consumer<Event> onEvent = event -> {
      if (stream.ended() || !arrival.carries(event)) return;
      if (arrival.isTerminal(event)) {
        subscription.finish();
        stream.endWith(event);
      } else {
        stream.send(event);
      }
    };
    subscription.set(feed.subscribeArrival(arrival.streamFrom(), arrival.schema(), arrival.service(),
        arrival.instance(), arrival.ownFrom(), onEvent));
    coordinator.attach(arrival, onEvent); // its give-up, on time, before the log has it
  }

  /**
   * One answer when the arrival is settled: 200 ready, 409 failed, 504 gave up — or, for an arrival that can
   * migrate and is elected, 200 at its election with {@code "role":"migrator"}.
   */
  void await(RoutingContext ctx, Held held, Arrival arrival) {
    Subscription subscription = follow(held, arrival);
    boolean[] answered = {false};
    Consumer<Event> onEvent = event -> {
      if (answered[0]) return;
      if (arrival.canMigrate() && event.payload() instanceof Payload.MigratorElected elected
          && coordinator.migrators().handOff(arrival, event.seq())) {
        answered[0] = true;
        subscription.cancel(); // not finished: the held answer's release detaches the arrival, as handOff expects
        json(ctx, 200, new JsonObject().put(Fields.SCHEMA, arrival.schema())
            .put(Fields.STATE, SchemaStatus.MIGRATING.wire()).put(Fields.ROLE, "migrator")
            .put(Fields.RUN, event.seq()).put(Fields.LEASE_SECONDS, elected.leaseSeconds())
            .put(Fields.VERSION, elected.version()));
        return;
      }
      if (!arrival.isTerminal(event)) return;
      answered[0] = true;
      subscription.finish();
      Payload p = event.payload();
      if (p instanceof Payload.SchemaFailed failed) {
        json(ctx, 409, new JsonObject().put(Fields.SCHEMA, arrival.schema()).put(Fields.STATE, SchemaStatus.FAILED.wire())
            .put(Fields.MESSAGE, "the migration of schema " + arrival.schema() + " failed: " + failed.error().message())
            .put(Fields.ERROR, EventCodec.encode(failed.report())));
      } else if (p instanceof Payload.ServiceGaveUp) {
        // Said when it is so: the client tells "timed out" from "timed out because the database is down".
        String why = databaseDown.getAsBoolean() ? "; the orchestrator's database is unavailable" : "";
        Responses.error(ctx, new ApiException(504, "timeout", arrival.service() + " gave up waiting for schema "
            + arrival.schema() + " after " + arrival.timeout().toSeconds() + " s" + why));
      } else {
        String version = p instanceof Payload.SchemaReady ready ? ready.version() : ((Payload.ServiceReleased) p).version();
        json(ctx, 200, new JsonObject().put(Fields.SCHEMA, arrival.schema()).put(Fields.STATE, SchemaStatus.READY.wire())
            .put(Fields.VERSION, version));
      }
    };
    subscription.set(feed.subscribeArrival(arrival.streamFrom(), arrival.schema(), arrival.service(),
        arrival.instance(), arrival.ownFrom(), onEvent));
    coordinator.attach(arrival, onEvent);
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
      // Gone before its end: forgotten. Ended by its terminal event (a stream is served before the coordinator
      // hears the outcome): left for the coordinator to settle and record.
      if (!subscription.finished()) coordinator.detach(arrival);
    });
    return subscription;
  }
}
