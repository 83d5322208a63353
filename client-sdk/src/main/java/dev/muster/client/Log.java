package dev.muster.client;

/**
 * The SDK's logger, made on first use: a wait that meets no trouble logs nothing, and should not pay
 * for starting the platform's logging at a service's start-up.
 */
final class Log {
  private Log() {}

  private static final class Holder {
    static final System.Logger LOGGER = System.getLogger(MusterClient.class.getName());
  }

  static System.Logger get() {
    return Holder.LOGGER;
  }
}
