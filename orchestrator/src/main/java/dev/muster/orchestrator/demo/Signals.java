package dev.muster.orchestrator.demo;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * SIGINT and SIGTERM handled before the JVM starts shutting down. The JVM runs all shutdown hooks at once,
 * in no order, and the embedded PostgreSQL library has one of its own that stops the database: the demo's
 * own hook could not stop the services before the database they are connected to. A signal handler runs
 * first, alone.
 *
 * <p>{@code sun.misc.Signal} is in the {@code jdk.unsupported} module, exported on every JDK 17+; it is
 * reached by reflection so that the build stays free of its compiler warning. Where it is missing,
 * {@link #handle} returns false and the shutdown hook alone stops the demo.
 */
final class Signals {
  private Signals() {}

  /** Calls {@code handler} with the signal's number on SIGINT and SIGTERM; false if that is not possible. */
  static boolean handle(IntConsumer handler) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      Method number = signal.getMethod("getNumber");
      InvocationHandler calls = (proxy, method, args) -> {
        switch (method.getName()) {
          case "handle":
            handler.accept((Integer) number.invoke(args[0]));
            return null;
          case "equals":
            return proxy == args[0];
          case "hashCode":
            return System.identityHashCode(proxy);
          default:
            return "demo signal handler";
        }
      };
      Object proxy = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerType}, calls);
      Method handle = signal.getMethod("handle", signal, handlerType);
      for (String name : List.of("INT", "TERM")) {
        handle.invoke(null, signal.getConstructor(String.class).newInstance(name), proxy);
      }
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false;
    }
  }
}
