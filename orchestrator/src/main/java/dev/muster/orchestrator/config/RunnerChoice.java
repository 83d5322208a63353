package dev.muster.orchestrator.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which runner migrates each schema, from {@code MUSTER_RUNNER}: a comma-separated list of {@code pattern=runner}
 * entries (the first whose pattern matches wins) and at most one bare {@code runner}, the default for the rest
 * ({@code flyway} when there is none): {@code flyway,legacy_*=delegate}.
 */
public final class RunnerChoice {
  /** How a schema is migrated. */
  public enum Kind {
    /** The orchestrator runs Flyway. */
    FLYWAY,
    /** An elected service instance runs its own tool and reports. */
    DELEGATE;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Kind of(String text) {
      for (Kind k : values()) if (k.wire().equals(text)) return k;
      throw new IllegalArgumentException("runner must be flyway or delegate, was '" + text + "'");
    }
  }

  private static final Pattern PATTERN = Pattern.compile("[a-z_*][a-z0-9_*]*");

  private final String text;
  private final Kind fallback;
  private final List<Pattern> patterns;
  private final List<Kind> kinds;

  private RunnerChoice(String text, Kind fallback, List<Pattern> patterns, List<Kind> kinds) {
    this.text = text;
    this.fallback = fallback;
    this.patterns = List.copyOf(patterns);
    this.kinds = List.copyOf(kinds);
  }

  public static final RunnerChoice FLYWAY = parse("flyway");

  /** Parses the setting; throws {@link IllegalArgumentException} naming the bad entry. */
  public static RunnerChoice parse(String csv) {
    Kind fallback = null;
    List<Pattern> patterns = new ArrayList<>();
    List<Kind> kinds = new ArrayList<>();
    List<String> entries = MusterConfig.csv(csv);
    if (entries.isEmpty()) throw new IllegalArgumentException("must name a runner: flyway or delegate");
    for (String entry : entries) {
      int eq = entry.indexOf('=');
      if (eq < 0) {
        if (fallback != null) {
          throw new IllegalArgumentException("has two defaults ('" + fallback.wire() + "' and '" + entry
              + "'): entries other than the default are pattern=runner");
        }
        fallback = Kind.of(entry);
        continue;
      }
      String pattern = entry.substring(0, eq).trim();
      String runner = entry.substring(eq + 1).trim();
      if (!PATTERN.matcher(pattern).matches() || pattern.length() > SchemaNames.MAX_LENGTH) {
        throw new IllegalArgumentException("entry '" + entry + "': '" + pattern
            + "' is not a lower-case schema name or * pattern");
      }
      patterns.add(Pattern.compile(pattern.replace("*", "[a-z0-9_]*")));
      kinds.add(Kind.of(runner));
    }
    return new RunnerChoice(String.join(",", entries), fallback == null ? Kind.FLYWAY : fallback, patterns, kinds);
  }

  /** The runner of {@code schema}. */
  public Kind of(String schema) {
    for (int i = 0; i < patterns.size(); i++) {
      if (patterns.get(i).matcher(schema).matches()) return kinds.get(i);
    }
    return fallback;
  }

  public boolean delegated(String schema) {
    return schema != null && of(schema) == Kind.DELEGATE;
  }

  /** Whether some schema is migrated by Flyway, so that migration files are needed. */
  public boolean anyFlyway() {
    return fallback == Kind.FLYWAY || kinds.contains(Kind.FLYWAY);
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RunnerChoice other && text.equals(other.text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
