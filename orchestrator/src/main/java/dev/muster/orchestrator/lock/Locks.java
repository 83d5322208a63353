package dev.muster.orchestrator.lock;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.util.function.Consumer;

/** Per-schema locks, one holder at a time across every replica and {@code migrate}: {@link SchemaLock} on PostgreSQL. */
public interface Locks {

  /**
   * Tries to take {@code schema}'s lock without waiting. Completes with the lease, {@code null} when another
   * session holds it, or fails when the database cannot be asked.
   *
   * @param lost called if the lock goes while held (its session closed)
   */
  Future<Lease> tryAcquire(String schema, Consumer<String> lost);

  /** A lock this replica holds. */
  interface Lease {
    /** The lock session's backend pid, as {@code pg_locks} shows it. */
    int session();

    /**
     * The lock's own database session, idle while the lock is held; {@code null} for a lock that has none. A run
     * writes its progress on it, so that its transaction never stays open while it waits for the replica's pool.
     */
    default SqlClient client() {
      return null;
    }

    /** Lets the lock go; never fails. */
    Future<Void> release();
  }
}
