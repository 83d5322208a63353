package dev.muster.bench;

/**
 * The baseline of {@code sdk-ready}'s cold runs: a service's {@code main} that does nothing, run from the same small
 * jar, with the same JVM options and environment, as {@link WaitingService}.
 */
public final class EmptyService {
  private EmptyService() {}

  public static void main(String[] args) {
    // nothing: what a fresh JVM costs on its own
  }
}
