package dev.muster.sample;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/** One line per message with the time, as a container log shows it; the demo and compose add the service's name. */
final class Log {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  private Log() {}

  static void info(String message) {
    System.out.println(LocalTime.now().format(TIME) + " " + message);
  }

  static void error(String message) {
    System.err.println(LocalTime.now().format(TIME) + " ERROR " + message);
  }
}
