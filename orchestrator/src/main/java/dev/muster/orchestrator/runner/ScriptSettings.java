package dev.muster.orchestrator.runner;

import dev.muster.orchestrator.config.Setting;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A migration's own lock-safety settings, as lines at the top of its script:
 * <pre>
 * -- muster:lockTimeout=5s
 * -- muster:statementTimeout=0
 * </pre>
 * Flyway's script configuration ({@code V2__x.sql.conf}, {@code -- flyway:} lines) refuses keys it does not know,
 * so Muster's keys sit in comments of the same shape, which Flyway ignores. Only the lines before the first
 * statement are read.
 */
record ScriptSettings(Duration lockTimeout, Duration statementTimeout) {
  static final ScriptSettings NONE = new ScriptSettings(null, null);
  private static final Pattern LINE = Pattern.compile("--\\s*muster:(\\w+)\\s*=\\s*(\\S+)\\s*");
  private static final Setting.Type<Duration> DURATION = Setting.duration(Duration.ZERO, Duration.ofDays(1));
  private static final int HEAD_LINES = 50;

  /** The settings of {@code script} (a path relative to one of {@code locations}); NONE when it has none. */
  static ScriptSettings of(List<String> locations, String script) {
    if (script == null) return NONE;
    for (String location : locations) {
      try (InputStream in = open(location, script)) {
        if (in != null) return read(script, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
      } catch (IOException e) {
        return NONE;
      }
    }
    return NONE;
  }

  private static InputStream open(String location, String script) throws IOException {
    if (location.startsWith("filesystem:")) {
      Path file = Path.of(location.substring("filesystem:".length()), script);
      return Files.isRegularFile(file) ? Files.newInputStream(file) : null;
    }
    String base = location.startsWith("classpath:") ? location.substring("classpath:".length()) : location;
    base = base.replaceAll("^/+|/+$", "");
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) loader = ScriptSettings.class.getClassLoader();
    return loader.getResourceAsStream(base.isEmpty() ? script : base + "/" + script);
  }

  static ScriptSettings read(String script, BufferedReader reader) throws IOException {
    Duration lock = null;
    Duration statement = null;
    String line;
    for (int n = 0; n < HEAD_LINES && (line = reader.readLine()) != null; n++) {
      String trimmed = line.strip();
      if (trimmed.isEmpty()) continue;
      if (!trimmed.startsWith("--")) break;
      Matcher m = LINE.matcher(trimmed);
      if (!m.matches()) continue;
      Duration value;
      try {
        value = DURATION.read(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(script + ": muster:" + m.group(1) + " " + e.getMessage(), e);
      }
      switch (m.group(1)) {
        case "lockTimeout" -> lock = value;
        case "statementTimeout" -> statement = value;
        default -> throw new IllegalArgumentException(script + ": unknown setting muster:" + m.group(1)
            + " (known: lockTimeout, statementTimeout)");
      }
    }
    return new ScriptSettings(lock, statement);
  }
}
