package dev.muster.orchestrator.demo;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The demo's terminal: every line prefixed with the name of the process that printed it, padded and (on a
 * terminal) coloured per service, as {@code docker compose up} does.
 */
final class DemoConsole {
  private static final int[] COLOURS = {36, 33, 32, 35, 34, 96, 93, 92, 95, 94};
  static final String ORCHESTRATOR = "muster";

  private final PrintStream out;
  private final int width;
  private final boolean colour;

  DemoConsole(PrintStream out, List<String> names) {
    this.out = out;
    this.width = names.stream().mapToInt(String::length).max().orElse(0);
    this.colour = System.console() != null && System.getenv("NO_COLOR") == null
        && !"dumb".equals(System.getenv("TERM"));
  }

  /** A line of a service's output; a text of several lines gets the prefix on each. */
  void line(int index, String name, String text) {
    String prefix = pad(name) + " | ";
    if (colour) prefix = "\u001b[" + COLOURS[index % COLOURS.length] + "m" + prefix + "\u001b[0m";
    synchronized (out) {
      for (String line : text.split("\r?\n", -1)) out.println(prefix + line);
    }
  }

  /** A line of the demo's own, unprefixed. */
  void say(String text) {
    synchronized (out) {
      out.println(colour ? "\u001b[1m" + text + "\u001b[0m" : text);
    }
  }

  /** Prefixes the in-process orchestrator's log lines like the services' lines. */
  void prefixOrchestratorLogs() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof ConsoleAppender<ILoggingEvent> console
          && console.getEncoder() instanceof PatternLayoutEncoder old) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pad(ORCHESTRATOR).replace("%", "\\%") + " | " + old.getPattern());
        encoder.start();
        console.setEncoder(encoder);
      }
    }
  }

  private String pad(String name) {
    return name + " ".repeat(Math.max(0, width - name.length()));
  }
}
