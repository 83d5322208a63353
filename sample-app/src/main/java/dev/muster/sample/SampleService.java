package dev.muster.sample;

import dev.muster.client.MusterClient;
import dev.muster.client.MusterException;
import dev.muster.client.Ready;

/** A service that waits for its schema before it starts: {@code java -jar muster-sample-app.jar app|worker|beat}. */
public final class SampleService {
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 1) {
      System.err.println("usage: java -jar muster-sample-app.jar app|worker|beat");
      System.exit(2);
    }
    try {
      Ready ready = MusterClient.builder().environment(System.getenv()).service(args[0]).build().awaitReady();
      System.out.println(args[0] + ": schema " + ready.schema() + " ready at version " + ready.version()
          + " after " + ready.waited().toMillis() + " ms");
    } catch (MusterException e) {
      System.err.println(args[0] + ": " + e.getMessage());
      System.exit(e.exitCode());
    }
  }
}
