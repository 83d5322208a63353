package dev.muster.orchestrator.lock;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Muster's advisory-lock keys, in PostgreSQL's two-integer key space so they cannot collide with
 * single-bigint keys (Flyway's among them). The first key is {@link #NAMESPACE}; the second is the CRC-32
 * of the schema name's UTF-8 bytes, as a signed int. Key {@code (NAMESPACE, 0)} guards Muster's own bootstrap.
 */
public final class LockKeys {
  /** "MUST" in ASCII. */
  public static final int NAMESPACE = 0x4D555354;
  public static final int BOOTSTRAP = 0;

  private LockKeys() {}

  public static int forSchema(String schema) {
    CRC32 crc = new CRC32();
    crc.update(schema.getBytes(StandardCharsets.UTF_8));
    int key = (int) crc.getValue();
    return key == BOOTSTRAP ? 1 : key; // never share the bootstrap key
  }
}
