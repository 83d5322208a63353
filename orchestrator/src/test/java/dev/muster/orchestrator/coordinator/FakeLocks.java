package dev.muster.orchestrator.coordinator;

import dev.muster.orchestrator.lock.Locks;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Locks in memory. A schema's lock is free, held by this replica, or held by someone else ({@link #holdElsewhere});
 * with {@link #answerLater}, tries wait until the test answers them.
 */
final class FakeLocks implements Locks {
  private final Map<String, String> holders = new HashMap<>();
  final List<String> tries = new ArrayList<>();
  private final List<Pending> unanswered = new ArrayList<>();
  private boolean later;
  private boolean unreachable;
  private int sessions = 100;

  void holdElsewhere(String schema) {
    holders.put(schema, "elsewhere");
  }

  /** The other holder died: PostgreSQL dropped its lock. */
  void freeElsewhere(String schema) {
    holders.remove(schema, "elsewhere");
  }

  boolean heldHere(String schema) {
    return "here".equals(holders.get(schema));
  }

  void unreachable(boolean down) {
    unreachable = down;
  }

  void answerLater() {
    later = true;
  }

  /** Answers the tries made so far, oldest first. */
  void answerAll() {
    List<Pending> now = new ArrayList<>(unanswered);
    unanswered.clear();
    for (Pending p : now) p.promise.complete(take(p.schema));
  }

  int tries(String schema) {
    return (int) tries.stream().filter(schema::equals).count();
  }

  @Override
  public Future<Lease> tryAcquire(String schema, Consumer<String> lost) {
    tries.add(schema);
    if (unreachable) return Future.failedFuture(new IllegalStateException("connection refused"));
    if (!later) return Future.succeededFuture(take(schema));
    Promise<Lease> promise = Promise.promise();
    unanswered.add(new Pending(schema, promise));
    return promise.future();
  }

  private Lease take(String schema) {
    if (holders.containsKey(schema)) return null;
    holders.put(schema, "here");
    int session = sessions++;
    return new Lease() {
      @Override
      public int session() {
        return session;
      }

      @Override
      public Future<Void> release() {
        holders.remove(schema, "here");
        return Future.succeededFuture();
      }
    };
  }

  private record Pending(String schema, Promise<Lease> promise) {}
}
