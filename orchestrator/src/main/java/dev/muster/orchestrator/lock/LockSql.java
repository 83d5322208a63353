package dev.muster.orchestrator.lock;

/**
 * The statements behind a schema's lock, shared by {@link SchemaLock} (a connection per lock, Vert.x) and
 * {@link LockSession} (one JDBC session for many locks). Keys are numbers Muster computes, so they are written
 * into the text; nothing a user typed ever is.
 */
final class LockSql {
  /** Advisory locks of this database only: pg_locks shows every database's. */
  static final String THIS_DATABASE = "database = (SELECT oid FROM pg_database WHERE datname = current_database())";

  private LockSql() {}

  /** Run once per lock session: says "I take new keys" to sessions that find a legacy key taken. */
  static String marker() {
    return "SELECT pg_advisory_lock_shared(" + LockKeys.MARKER + ")";
  }

  /**
   * One statement, no waiting: 0 — not taken (nothing is left held); 1 — the new key and the legacy key taken;
   * 2 — the new key taken, the legacy key held by a session that takes new keys too (a CRC-32 collision with
   * another schema, which the new keys tell apart). When the legacy key's holder takes no new keys it is a
   * replica from before them, possibly running this schema: 0. CASE evaluates its branches in order.
   */
  static String tryLock(String schema) {
    long key = LockKeys.key(schema);
    int legacy = LockKeys.legacy(schema);
    return "SELECT CASE"
        + " WHEN NOT pg_try_advisory_lock(" + key + ") THEN 0"
        + " WHEN pg_try_advisory_lock(" + LockKeys.NAMESPACE + ", " + legacy + ") THEN 1"
        + " WHEN EXISTS (SELECT 1 FROM pg_locks l JOIN pg_locks m ON m.pid = l.pid"
        + "   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
        + "   AND l.classid::bigint = " + Integer.toUnsignedLong(LockKeys.NAMESPACE)
        + "   AND l.objid::bigint = " + Integer.toUnsignedLong(legacy) + " AND l." + THIS_DATABASE
        + "   AND m.locktype = 'advisory' AND m.granted AND m.objsubid = 1"
        + "   AND m.classid::bigint = " + LockKeys.classId(LockKeys.MARKER)
        + "   AND m.objid::bigint = " + LockKeys.objId(LockKeys.MARKER) + " AND m." + THIS_DATABASE + ") THEN 2"
        + " ELSE CASE WHEN pg_advisory_unlock(" + key + ") THEN 0 ELSE 0 END END AS state";
  }

  /** Lets go of what {@link #tryLock} took ({@code withLegacy}: state 1). */
  static String unlock(String schema, boolean withLegacy) {
    return "SELECT pg_advisory_unlock(" + LockKeys.key(schema) + ")"
        + (withLegacy ? ", pg_advisory_unlock(" + LockKeys.NAMESPACE + ", " + LockKeys.legacy(schema) + ")" : "");
  }

  /**
   * Every granted Muster-looking advisory lock of this database with its holder: kind ({@code 1} bigint key,
   * {@code 2} legacy), the key as one bigint (for a legacy key: its CRC-32, unsigned), the holder's
   * {@code application_name}, whether that session takes new keys, and its pid.
   */
  static final String HOLDERS = "SELECT l.objsubid AS kind,"
      + " CASE WHEN l.objsubid = 1 THEN (l.classid::bigint << 32) | l.objid::bigint ELSE l.objid::bigint END AS key,"
      + " a.application_name, EXISTS (SELECT 1 FROM pg_locks m WHERE m.pid = l.pid AND m.locktype = 'advisory'"
      + "   AND m.objsubid = 1 AND m.classid::bigint = " + LockKeys.classId(LockKeys.MARKER)
      + "   AND m.objid::bigint = " + LockKeys.objId(LockKeys.MARKER) + ") AS new_keys, l.pid"
      + " FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
      + " WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' AND l." + THIS_DATABASE
      + " AND (l.objsubid = 1 OR (l.objsubid = 2 AND l.classid::bigint = " + Integer.toUnsignedLong(LockKeys.NAMESPACE)
      + "))";
}
