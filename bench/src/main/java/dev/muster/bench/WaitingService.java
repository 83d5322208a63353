package dev.muster.bench;

import dev.muster.client.MusterClient;
import dev.muster.client.MusterException;

/**
 * {@code sdk-ready}'s cold run: a service's {@code main} that waits with the SDK, configured from {@code MUSTER_*}
 * as the docs show, and exits with the contract's code. Nothing else, so that the difference to {@link EmptyService}
 * is the SDK's (no string concatenation, no lambda: their bootstraps would be this class's cost, not the SDK's).
 */
public final class WaitingService {
  private WaitingService() {}

  public static void main(String[] args) throws InterruptedException {
    try {
      MusterClient.fromEnvironment().awaitReady();
    } catch (MusterException e) {
      System.err.println(e.getMessage());
      System.exit(e.exitCode());
    }
  }
}
