package dev.muster.orchestrator.http;

import dev.muster.orchestrator.broadcast.Broadcaster;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventType;
import dev.muster.orchestrator.events.Payload;
import dev.muster.orchestrator.events.SchemaStatus;
import dev.muster.orchestrator.projection.SchemaView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * {@code GET /metrics}: Prometheus text, every name {@code muster_*}. Everything is observed from outside the
 * coordinator: the event log as this replica's broadcaster delivers it, the coordinator's status, and the HTTP
 * layer's own requests and streams.
 *
 * <p>Every replica follows the whole log, so the event counters and the duration histograms count the
 * fleet's events on every replica: read them from one replica (or take the max), do not sum across replicas.
 * Labels are bounded sets; schema names are not labels (a {@code tenant_*} pattern may match thousands).
 *
 * <p>Confined to the replica's context: gauges read the coordinator when scraped, from the request handler.
 */
final class Metrics {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The label of a run's or a wait's outcome: a run's is the state it left the schema in. */
  private static final String OUTCOME = "outcome";
  /** The {@code type} label of events of a type this build does not know. */
  private static final String OTHER_TYPE = "other";
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
  /** Histogram buckets from a quick DDL statement to an hour-long backfill. */
  private static final Duration[] BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
      Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1)};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer migrations;
  private final Timer runsReady;
  private final Timer runsFailed;
  private final Timer waitsReleased;
  private final Timer waitsGaveUp;

  Metrics(Broadcaster broadcaster, Coordinator coordinator, IntSupplier openStreams) {
    migrations = timer("muster.migration.duration", "Time each migration took to apply (migration.applied)")
        .register(registry);
    runsReady = timer("muster.run.duration", "Time a schema's run took, lock to outcome (schema.ready/failed)")
        .tag(OUTCOME, SchemaStatus.READY.wire()).register(registry);
    runsFailed = timer("muster.run.duration", "Time a schema's run took, lock to outcome (schema.ready/failed)")
        .tag(OUTCOME, SchemaStatus.FAILED.wire()).register(registry);
    waitsReleased = timer("muster.wait.duration", "Time a service waited, arrival to release or giving up")
        .tag(OUTCOME, "released").register(registry);
    waitsGaveUp = timer("muster.wait.duration", "Time a service waited, arrival to release or giving up")
        .tag(OUTCOME, "gave_up").register(registry);
    for (EventType type : EventType.values()) events(type.wire()); // all types from the start, so rates work from zero
    Gauge.builder("muster.http.streams.open", openStreams::getAsInt)
        .description("Event streams and ?wait=true requests this replica holds open").register(registry);
    Gauge.builder("muster.services.waiting", coordinator, c -> c.views().stream().mapToInt(SchemaView::waiting).sum())
        .description("Services waiting for their schema, fleet-wide, as this replica follows the log").register(registry);
    Gauge.builder("muster.migrations.blocked", coordinator,
            c -> c.views().stream().filter(v -> v.blocked() != null).count())
        .description("Schemas whose run waits on a lock another session holds (migration.blocked / retrying)")
        .register(registry);
    Gauge.builder("muster.migrations.blocked.attempts", coordinator,
            c -> c.views().stream().filter(v -> v.blocked() != null).mapToInt(v -> v.blocked().attempt()).max().orElse(0))
        .description("The highest attempt a blocked run is at, over every schema (0: none blocked)")
        .register(registry);
    Gauge.builder("muster.events.last.seq", broadcaster, Broadcaster::lastSeq)
        .description("Number of the last event of the log this replica has delivered").register(registry);
    broadcaster.subscribe(this::observe);
  }

  String scrape() {
    return registry.scrape();
  }

  void request(String method, String route, int status) {
    Counter.builder("muster.http.requests").description("HTTP requests answered, by status")
        .tag("method", METHODS.contains(method) ? method : "other").tag("route", route)
        .tag("status", String.valueOf(status)).register(registry).increment();
  }

  /** A stream refused by a limit: {@code per_client} (429) or {@code total} (503). */
  void streamRejected(String reason) {
    Counter.builder("muster.http.streams.rejected").description("Streams refused by MUSTER_MAX_STREAMS(_PER_CLIENT)")
        .tag("reason", reason).register(registry).increment();
  }

  /** A stream cut off: {@code slow_reader} (write queue full) or {@code idle} (the client took nothing). */
  void streamDropped(String reason) {
    Counter.builder("muster.http.streams.dropped").description("Streams the orchestrator cut off; clients resume")
        .tag("reason", reason).register(registry).increment();
  }

  private void observe(Event event) {
    events(event.type() == null ? OTHER_TYPE : event.type().wire()).increment();
    Payload p = event.payload();
    if (p instanceof Payload.MigrationApplied applied) {
      record(migrations, applied.durationMs());
    } else if (p instanceof Payload.SchemaReady ready) {
      record(runsReady, ready.durationMs());
    } else if (p instanceof Payload.SchemaFailed failed) {
      record(runsFailed, failed.durationMs());
    } else if (p instanceof Payload.ServiceReleased released) {
      record(waitsReleased, released.durationMs());
    } else if (p instanceof Payload.ServiceGaveUp gaveUp) {
      record(waitsGaveUp, gaveUp.durationMs());
    }
  }

  private static void record(Timer timer, Long ms) {
    if (ms != null && ms >= 0) timer.record(Duration.ofMillis(ms));
  }

  private Counter events(String type) {
    return Counter.builder("muster.events").description("Events of the log delivered to this replica, by type")
        .tag("type", type).register(registry);
  }

  private static Timer.Builder timer(String name, String description) {
    return Timer.builder(name).description(description).serviceLevelObjectives(BUCKETS);
  }
}
