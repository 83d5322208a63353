package dev.muster.orchestrator.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.orchestrator.config.DatabaseUrl;
import dev.muster.testing.PostgresExtension;
import dev.muster.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Schemas whose names share a CRC-32 lock independently; a replica from before the 64-bit keys (which takes
 * only the legacy key) and a new one still exclude each other on the same schema, through a rolling upgrade.
 */
@ExtendWith(PostgresExtension.class)
class LockKeysTest {
  /** Seen in a fleet (issue 12): one CRC-32 for both. */
  static final String A = "tenant_uablaijhsa";
  static final String B = "tenant_pfcxpytzcn";

  @Test
  void theTwoNamesShareTheLegacyKeyButNotTheNewOne() {
    assertEquals(LockKeys.legacy(A), LockKeys.legacy(B));
    assertNotEquals(LockKeys.key(A), LockKeys.key(B));
    assertEquals(LockKeys.key(A), LockKeys.key(A));
  }

  @Test
  void collidingNamesLockIndependentlyOnTwoSessions(TestDatabase db) throws Exception {
    DatabaseUrl url = DatabaseUrl.parse(db.url());
    try (LockSession one = LockSession.open(url, "r1"); LockSession two = LockSession.open(url, "r2")) {
      assertTrue(one.tryLock(A));
      assertTrue(two.tryLock(B), "B's lock is not A's");
      assertFalse(two.tryLock(A), "A is held by the other session");
      assertFalse(one.tryLock(A), "a session does not take a lock it holds twice");
      try (Connection c = db.connect()) {
        assertEquals(Map.of(A, "r1", B, "r2"), SchemaLock.holders(c, List.of(A, B, "tenant_other")));
      }
      one.unlock(A);
      assertTrue(two.tryLock(A));
    }
  }

  @Test
  void collidingNamesLockIndependentlyThroughSchemaLock(TestDatabase db) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      DatabaseUrl url = DatabaseUrl.parse(db.url());
      SchemaLock one = new SchemaLock(vertx, url.connectOptions(), "r1");
      SchemaLock two = new SchemaLock(vertx, url.connectOptions(), "r2");
      Locks.Lease a = one.tryAcquire(A, s -> { }).await();
      Locks.Lease b = two.tryAcquire(B, s -> { }).await();
      assertTrue(a != null && b != null, "both taken");
      assertNull(two.tryAcquire(A, s -> { }).await());
      a.release().await();
      Locks.Lease again = two.tryAcquire(A, s -> { }).await();
      assertTrue(again != null);
      again.release().await();
      b.release().await();
      one.close().await();
      two.close().await();
      assertEquals(0, db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock'"
          + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void anOldReplicaAndANewOneExcludeEachOtherDuringARollingUpgrade(TestDatabase db) throws Exception {
    DatabaseUrl url = DatabaseUrl.parse(db.url());
    try (Connection old = db.connect(); Statement st = old.createStatement();
        LockSession fresh = LockSession.open(url, "new")) {
      // The old replica holds A the old way: the new one must not run A, nor B (it cannot tell which it runs).
      assertTrue(tryOld(st, A));
      assertFalse(fresh.tryLock(A));
      assertFalse(fresh.tryLock(B));
      try (Connection c = db.connect()) {
        assertEquals("session " + "PostgreSQL JDBC Driver", SchemaLock.holders(c, List.of(A)).get(A));
      }
      st.execute("SELECT pg_advisory_unlock(" + LockKeys.NAMESPACE + ", " + LockKeys.legacy(A) + ")");
      // The new one holds A (both keys): the old one cannot take A.
      assertTrue(fresh.tryLock(A));
      assertFalse(tryOld(st, A));
      fresh.unlock(A);
      assertTrue(tryOld(st, A));
    }
  }

  private static boolean tryOld(Statement st, String schema) throws Exception {
    try (ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + LockKeys.NAMESPACE + ", "
        + LockKeys.legacy(schema) + ")")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }
}
