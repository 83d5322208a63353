package dev.muster.orchestrator;

import dev.muster.orchestrator.broadcast.Broadcaster;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.coordinator.Arrival;
import dev.muster.orchestrator.coordinator.Coordinator;
import dev.muster.orchestrator.coordinator.VertxClock;
import dev.muster.orchestrator.db.Bootstrap;
import dev.muster.orchestrator.db.KeepAlive;
import dev.muster.orchestrator.db.LogRecovery;
import dev.muster.orchestrator.events.Event;
import dev.muster.orchestrator.events.EventPruner;
import dev.muster.orchestrator.events.EventStore;
import dev.muster.orchestrator.http.HttpApi;
import dev.muster.orchestrator.lock.SchemaLock;
import dev.muster.orchestrator.runner.FlywayRunner;
import dev.muster.orchestrator.runner.LockSafety;
import dev.muster.orchestrator.runner.WorkerRunner;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verticle behind {@link Orchestrator}: the event log and its broadcaster, the coordinator and (for
 * {@code serve}) the HTTP API, all on one Vert.x context.
 */
final class Replica extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(Replica.class);

  /** How long a stopping replica lets a run under way finish. */
  static final Duration STOP_BOUND = Duration.ofSeconds(30);
  /** How often a serving replica prunes the log, when MUSTER_EVENTS_RETENTION is set (and once at start). */
  static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
  /** The service name the migrate command arrives as. */
  static final String MIGRATE_SERVICE = "muster-migrate";
  /** How often a replica checks that Muster's own schema is still there. */
  static final long LOG_CHECK_MS = 5_000;

  /**
   * The shared pool's sessions. Appends go one statement at a time (the coordinator's recorder batches them) and the
   * broadcaster reads one page at a time, so a few sessions serve any fleet size: with the listening session, the
   * lock sessions and Flyway's, a replica holds about {@code MUSTER_MAX_PARALLEL + 3} at most (issue 13).
   */
  static final int POOL_SIZE = 3;

  final MusterConfig config;
  private final boolean http;
  private Pool pool;
  private Broadcaster broadcaster;
  private SchemaLock lock;
  private WorkerRunner runner;
  private LogRecovery recovery;
  private long recoveryTimer = -1;
  private Coordinator coordinator;
  private HttpServer server;
  private long pruneTimer = -1;
  private boolean pruning;

  Replica(MusterConfig config, boolean http) {
    this.config = Objects.requireNonNull(config);
    this.http = http;
    Objects.requireNonNull(config.database(), "config.database(): start an embedded database first");
    if (config.migrations().isEmpty() && config.runners().anyFlyway()) throw new IllegalArgumentException("no migrations configured (MUSTER_MIGRATIONS)");
  }

  int port() {
    return server == null ? -1 : server.actualPort();
  }

  /** Arrives as the migrate command and completes with the arrival's terminal event. */
  Future<Event> migrate(String schema, Duration timeout) {
    Promise<Event> outcome = Promise.promise();
    context.runOnContext(v -> coordinator.arrive(new Arrival.Request(MIGRATE_SERVICE, config.replicaId(), schema, null,
            timeout, null))
        .compose(arrival -> broadcaster.first(arrival.streamFrom(), schema, arrival::isTerminal))
        .onComplete(outcome));
    return outcome.future();
  }

  /** See {@link Orchestrator#follow}. */
  Runnable follow(long afterSeq, Consumer<Event> listener) {
    Promise<Runnable> cancel = Promise.promise();
    context.runOnContext(v -> cancel.complete(broadcaster.subscribe(afterSeq, null, listener)));
    return () -> cancel.future().onSuccess(c -> context.runOnContext(v -> c.run()));
  }

  @Override
  public Future<?> start() {
    PgConnectOptions options = config.database().connectOptions();
    // The pool's statements are few and fixed: each prepared once per session, then one round trip per use (an
    // unnamed statement costs two: parse, then bind) — the broadcaster's read after a notification among them.
    PgConnectOptions pooled = new PgConnectOptions(options).setCachePreparedStatements(true);
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(POOL_SIZE)).connectingTo(pooled)
        // Pooled sessions idle between appends: a server-side idle timeout would close one as it is handed out.
        .withConnectHandler(conn -> KeepAlive.apply(conn).onComplete(ar -> conn.close()))
        .using(vertx).build();
    EventStore store = new EventStore(pool, config.replicaId());
    broadcaster = new Broadcaster(vertx, options, pool, store, config.replicaId());
    lock = new SchemaLock(vertx, options, config.replicaId());
    recovery = new LogRecovery(pool, () -> Bootstrap.run(vertx, config.database()), broadcaster::lastSeq);
    runner = new WorkerRunner(vertx, new FlywayRunner(config.database(), config.migrations(), config.createSchemas(),
        LockSafety.from(config)), config.maxParallel());
    coordinator = new Coordinator(config, store, broadcaster, lock, schema -> runner, new VertxClock(vertx));
    String probe = config.schemas().literals().isEmpty() ? "public" : config.schemas().literals().get(0);
    // Only where Muster runs Flyway itself: a delegated schema's migrations live with its services.
    Future<?> started = (config.allowNoMigrations() || !config.runners().anyFlyway() ? Future.<Void>succeededFuture()
        : runner.checkLocations(probe))
        .compose(v -> Bootstrap.run(vertx, config.database()))
        .compose(v -> broadcaster.start())
        .compose(v -> coordinator.start())
        .onSuccess(v -> {
          // PostgreSQL tells nobody of a dropped schema: look for Muster's own now and then, and bring it back.
          recoveryTimer = vertx.setPeriodic(LOG_CHECK_MS, id -> recovery.check().onFailure(e -> { }));
        });
    if (!http) return started;
    if (config.eventsRetention() != null) started = started.onSuccess(v -> startPruning(new EventPruner(pool, config.eventsRetention())));
    return started.compose(v -> {
      HttpApi api = HttpApi.create(vertx, config, coordinator, broadcaster, pool, recovery);
      return api.configure(vertx.createHttpServer(api.serverOptions()))
          .listen(config.httpPort())
          .onSuccess(s -> server = s);
    });
  }

  /** Prunes the log now and then, never two passes at once; a failed pass is tried again at the next tick. */
  private void startPruning(EventPruner pruner) {
    Runnable pass = () -> {
      if (pruning) return;
      pruning = true;
      pruner.prune().onComplete(ar -> {
        pruning = false;
        if (ar.failed()) {
          log.warn("Could not prune the event log: {}", ar.cause().getMessage());
        } else if (ar.result() > 0) {
          log.info("Pruned {} events from the log (MUSTER_EVENTS_RETENTION={})", ar.result(), config.eventsRetention());
        }
      });
    };
    pass.run();
    pruneTimer = vertx.setPeriodic(PRUNE_EVERY.toMillis(), id -> pass.run());
  }

  @Override
  public Future<?> stop() {
    if (pruneTimer >= 0) vertx.cancelTimer(pruneTimer);
    // Services connected here move to another replica at once; a run under way may finish first.
    if (recoveryTimer >= 0) vertx.cancelTimer(recoveryTimer);
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed
        .eventually(() -> coordinator == null ? Future.succeededFuture() : coordinator.stop(STOP_BOUND))
        .eventually(() -> broadcaster == null ? Future.succeededFuture() : broadcaster.close())
        .eventually(() -> lock == null ? Future.succeededFuture() : lock.close())
        .eventually(() -> runner == null ? Future.succeededFuture() : runner.close())
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close());
  }
}
