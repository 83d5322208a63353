package dev.muster.bench;

import dev.muster.orchestrator.Orchestrator;
import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.SchemaNames;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Orchestrator replicas in this process, each on a Vert.x of its own (its own event loops, as if it were its
 * own process), all on the bench database, with HTTP on free ports. Stream limits are lifted: every client
 * of the bench comes from 127.0.0.1, which the default per-client limit (256) would otherwise cap.
 */
final class ReplicaSet implements AutoCloseable {
  private final List<Vertx> vertxes = new ArrayList<>();
  private final List<Orchestrator> replicas = new ArrayList<>();

  private ReplicaSet() {}

  static ReplicaSet start(int count, BenchDatabase db, String migrationsLocation, String name) {
    MusterConfig base = MusterConfig.defaults().toBuilder()
        .database(db.url())
        .migrations(List.of(migrationsLocation))
        .schemas(SchemaNames.parse(BenchDatabase.SCHEMA_PATTERN))
        .httpPort(0)
        .maxStreams(1_000_000)
        .maxStreamsPerClient(1_000_000)
        .build();
    ReplicaSet set = new ReplicaSet();
    try {
      for (int i = 0; i < count; i++) {
        Vertx vertx = Vertx.vertx();
        set.vertxes.add(vertx);
        set.replicas.add(Orchestrator.start(vertx, base.toBuilder().replicaId(name + "-" + (i + 1)).build(), true)
            .await());
      }
    } catch (RuntimeException e) {
      set.close();
      throw e;
    }
    return set;
  }

  int size() {
    return replicas.size();
  }

  String url(int i) {
    return "http://127.0.0.1:" + replicas.get(i).port();
  }

  /** Every replica's URL, starting with replica {@code first % size}: a client's fail-over list. */
  String urlsFrom(int first) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) urls.add(url((first + i) % replicas.size()));
    return String.join(",", urls);
  }

  @Override
  public void close() {
    for (int i = 0; i < replicas.size(); i++) {
      try {
        replicas.get(i).stop().await();
      } catch (RuntimeException e) {
        System.err.println("bench: replica " + (i + 1) + " did not stop cleanly: " + e.getMessage());
      }
    }
    for (Vertx vertx : vertxes) {
      try {
        vertx.close().await();
      } catch (RuntimeException e) {
        System.err.println("bench: a Vert.x instance did not close cleanly: " + e.getMessage());
      }
    }
  }
}
