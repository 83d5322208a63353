package dev.muster.orchestrator.events;

import java.util.HashMap;
import java.util.Map;

/** A schema's state as the contract names it ({@code GET /api/v1/schemas}, {@code status}, the dashboard). */
public enum SchemaStatus {
  /** Not read yet by this replica. */
  UNKNOWN("unknown"),
  /** Behind its migration files, with no run under way. */
  PENDING("pending"),
  /** A run holds its lock. */
  MIGRATING("migrating"),
  /** At the latest version its migration files reach. */
  READY("ready"),
  /** Its last run failed, and it is still behind. */
  FAILED("failed"),
  /**
   * Its applied migrations no longer match the files (an edited checksum, an applied migration whose file is gone,
   * an applied version the files do not know): never ready, whatever its version, until {@code repair} accepts it.
   */
  DRIFTED("drifted");

  private static final Map<String, SchemaStatus> BY_WIRE = new HashMap<>();

  static {
    for (SchemaStatus s : values()) BY_WIRE.put(s.wire, s);
  }

  private final String wire;

  SchemaStatus(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The state named {@code wire}, or {@code null} for a name this build does not know. */
  public static SchemaStatus fromWire(String wire) {
    return wire == null ? null : BY_WIRE.get(wire);
  }

  @Override
  public String toString() {
    return wire;
  }
}
