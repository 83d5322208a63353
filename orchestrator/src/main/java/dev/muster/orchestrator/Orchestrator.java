package dev.muster.orchestrator;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.events.Event;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One orchestrator replica, started on a Vert.x instance the caller owns.
 *
 * <pre>{@code
 * Orchestrator replica = Orchestrator.start(vertx, config, true).await();
 * ...
 * replica.stop().await();
 * }</pre>
 */
public final class Orchestrator {
  private final Vertx vertx;
  private final Replica replica;
  private final String deploymentId;

  private Orchestrator(Vertx vertx, Replica replica, String deploymentId) {
    this.vertx = vertx;
    this.replica = replica;
    this.deploymentId = deploymentId;
  }

  /**
   * The Vert.x a serving replica runs on: Linux's epoll where Netty's native library loads (a stream's write is one
   * {@code writev}, without java.nio's bookkeeping around it; measured in {@code docs/benchmarks.md}), java.nio
   * elsewhere.
   */
  public static Vertx vertx() {
    return Vertx.builder().with(new VertxOptions().setPreferNativeTransport(true)).build();
  }

  /** What {@link #vertx()} gave, for the start-up log: {@code epoll}, or {@code java.nio} and why. */
  public static String transport(Vertx vertx) {
    if (vertx.isNativeTransportEnabled()) return "epoll";
    Throwable why = vertx.unavailableNativeTransportCause();
    return "java.nio" + (why == null ? "" : " (no native transport: " + why.getMessage() + ")");
  }

  /** Deploys a replica; with {@code http} false it coordinates but serves nothing (the migrate command). */
  public static Future<Orchestrator> start(Vertx vertx, MusterConfig config, boolean http) {
    Replica replica = new Replica(config, http);
    return vertx.deployVerticle(replica).map(id -> new Orchestrator(vertx, replica, id));
  }

  /** Stops this replica: its streams close and its locks are released. */
  public Future<Void> stop() {
    return vertx.undeploy(deploymentId);
  }

  /** The HTTP port actually bound (useful with port 0), or -1 without HTTP. */
  public int port() {
    return replica.port();
  }

  /**
   * Migrates {@code schema} as a deploy step would: under the same lock, joining a run under way on any
   * replica. Completes with the outcome event ({@code schema.ready}, {@code service.released} when there was
   * nothing to do, {@code schema.failed}, or {@code service.gave_up} after {@code timeout}).
   */
  public Future<Event> migrate(String schema, Duration timeout) {
    return replica.migrate(schema, timeout);
  }

  /**
   * Follows the log: every event after {@code afterSeq}, read back first and then live, in order, each once,
   * called on the replica's context. The returned action stops it.
   */
  public Runnable follow(long afterSeq, Consumer<Event> listener) {
    return replica.follow(afterSeq, listener);
  }

  public MusterConfig config() {
    return replica.config;
  }

}
