package dev.muster.orchestrator;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Orchestrator replicas for tests, each on a Vert.x of its own as if it were its own process, all on one
 * test database, with HTTP on free ports.
 */
final class Replicas implements AutoCloseable {
  private final List<Vertx> vertxes = new ArrayList<>();
  private final List<Orchestrator> replicas = new ArrayList<>();
  private final MusterConfig base;

  private Replicas(MusterConfig base) {
    this.base = base;
  }

  static MusterConfig config(TestDatabase db, Path migrations) {
    return MusterConfig.defaults().toBuilder()
        .database(DatabaseUrl.parse(db.url()))
        .migrations(List.of("filesystem:" + migrations.toAbsolutePath()))
        .schemas(SchemaNames.parse("public,tenant_*"))
        .createSchemas(true)
        .httpPort(0)
        .heartbeat(Duration.ofSeconds(1))
        .takeoverCheck(Duration.ofMillis(300))
        .build();
  }

  static Replicas start(int count, MusterConfig base) {
    Replicas r = new Replicas(base);
    for (int i = 0; i < count; i++) r.add();
    return r;
  }

  Orchestrator add() {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    Orchestrator o = Orchestrator.start(vertx,
        base.toBuilder().replicaId("replica-" + (replicas.size() + 1)).build(), true).await();
    replicas.add(o);
    return o;
  }

  Orchestrator get(int i) {
    return replicas.get(i);
  }

  String url(int i) {
    return "http://127.0.0.1:" + replicas.get(i).port();
  }

  /** Every replica's URL, starting with replica {@code first}: a client's fail-over list. */
  String urlsFrom(int first) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) urls.add(url((first + i) % replicas.size()));
    return urls.stream().collect(Collectors.joining(","));
  }

  /** Stops replica {@code i} as a deploy would; its Vert.x goes with it. */
  void stop(int i) {
    replicas.get(i).stop().await();
    vertxes.get(i).close().await();
  }

  @Override
  public void close() {
    for (Vertx v : vertxes) {
      try {
        v.close().await();
      } catch (Exception ignored) {
        // already closed by stop(i)
      }
    }
  }
}
