package dev.muster.orchestrator.cli;

/** The contract's exit codes. */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int USAGE = 2;
  public static final int MIGRATION_FAILED = 3;
  public static final int TIMED_OUT = 4;
  public static final int UNREACHABLE = 5;

  private ExitCodes() {}
}
