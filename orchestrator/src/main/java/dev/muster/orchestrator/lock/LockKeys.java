package dev.muster.orchestrator.lock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32;

/**
 * Muster's advisory-lock keys.
 *
 * <ul>
 *   <li>{@link #key}: a schema's lock, a single {@code bigint} — the first 8 bytes of the SHA-256 of the schema
 *   name's UTF-8 bytes. Two of n schemas share one with odds of about n²/2⁶⁵: 10⁻¹⁰ at 80,000 schemas.</li>
 *   <li>{@link #legacy}: the key replicas before it used, {@code (NAMESPACE, CRC-32)} in the two-integer space,
 *   where names collide (~1 % of 10,000-tenant fleets have a pair). Still taken beside the new key, so that a
 *   rolling upgrade never lets an old and a new replica run one schema at once (see {@link SchemaLock}).</li>
 *   <li>{@link #MARKER}: held shared by every lock session that takes new keys, so a session that finds the legacy
 *   key taken can tell a new replica's unrelated schema (a CRC-32 collision, ignored) from an old replica's run.</li>
 * </ul>
 * Key {@code (NAMESPACE, 0)} guards Muster's own bootstrap.
 */
public final class LockKeys {
  /** "MUST" in ASCII. */
  public static final int NAMESPACE = 0x4D555354;
  public static final int BOOTSTRAP = 0;
  /** "LCK2" then "MUST" (its high half is not NAMESPACE, so it never reads as a legacy key): never a schema's {@link #key} (one chance in 2⁶⁴, and then the next value is used). */
  public static final long MARKER = 0x4C434B324D555354L;

  private LockKeys() {}

  /** The schema's lock key, a {@code bigint}. */
  public static long key(String schema) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(schema.getBytes(StandardCharsets.UTF_8));
      long key = ByteBuffer.wrap(digest, 0, 8).getLong();
      return key == MARKER ? key + 1 : key;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** {@link #key}'s high half, as {@code pg_locks.classid} shows it. */
  public static long classId(long key) {
    return key >>> 32;
  }

  /** {@link #key}'s low half, as {@code pg_locks.objid} shows it. */
  public static long objId(long key) {
    return key & 0xFFFF_FFFFL;
  }

  /** The second integer of the legacy key {@code (NAMESPACE, legacy(schema))}: the CRC-32, 0 mapped to 1. */
  public static int legacy(String schema) {
    CRC32 crc = new CRC32();
    crc.update(schema.getBytes(StandardCharsets.UTF_8));
    int key = (int) crc.getValue();
    return key == BOOTSTRAP ? 1 : key; // never share the bootstrap key
  }

  /** @deprecated the legacy key; use {@link #key} */
  @Deprecated
  public static int forSchema(String schema) {
    return legacy(schema);
  }
}
