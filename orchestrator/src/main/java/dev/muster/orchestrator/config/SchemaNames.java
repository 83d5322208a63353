package dev.muster.orchestrator.config;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which schemas may be migrated: names and {@code *} patterns from {@code MUSTER_SCHEMAS}.
 * Every name that reaches SQL has passed {@link #check}: a plain lower-case identifier, so it never
 * needs quoting and can never carry a quote, a semicolon or a path.
 */
public final class SchemaNames {
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");
  private static final Pattern PATTERN = Pattern.compile("[a-z_*][a-z0-9_*]*");
  /** PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated by the server. */
  public static final int MAX_LENGTH = 63;

  private final List<String> entries;
  private final List<Pattern> patterns;

  private SchemaNames(List<String> entries) {
    this.entries = List.copyOf(entries);
    this.patterns = entries.stream().map(SchemaNames::toRegex).collect(Collectors.toUnmodifiableList());
  }

  /** Parses {@code "public, tenant_*"}; throws {@link IllegalArgumentException} naming the bad entry. */
  public static SchemaNames parse(String csv) {
    List<String> entries = List.of(csv.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty())
        .collect(Collectors.toList());
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("MUSTER_SCHEMAS must name at least one schema, was '" + csv + "'");
    }
    for (String entry : entries) {
      if (!PATTERN.matcher(entry).matches() || entry.length() > MAX_LENGTH) {
        throw new IllegalArgumentException("MUSTER_SCHEMAS entry '" + entry
            + "' is not a lower-case identifier or * pattern of at most " + MAX_LENGTH + " characters");
      }
    }
    return new SchemaNames(entries);
  }

  /** Returns why {@code name} is not a schema Muster may touch, or {@code null} when it is. */
  public String rejection(String name) {
    String invalid = invalid(name);
    if (invalid != null) return invalid;
    for (Pattern pattern : patterns) {
      if (pattern.matcher(name).matches()) return null;
    }
    return "schema '" + name + "' is not in MUSTER_SCHEMAS (" + String.join(",", entries) + ")";
  }

  /** Returns why {@code name} is not a valid schema name, or {@code null}. */
  public static String invalid(String name) {
    if (name == null || name.isEmpty()) return "schema must be a non-empty string";
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
      return "schema name must be at most " + MAX_LENGTH + " characters";
    }
    if (!IDENTIFIER.matcher(name).matches()) {
      return "schema name must match [a-z_][a-z0-9_]* (lower-case letters, digits and underscores)";
    }
    return null;
  }

  /** The entries without wildcards: schemas known before any service arrives. */
  public List<String> literals() {
    return entries.stream().filter(e -> !e.contains("*")).collect(Collectors.toUnmodifiableList());
  }

  public List<String> entries() {
    return entries;
  }

  private static Pattern toRegex(String entry) {
    return Pattern.compile(entry.replace("*", "[a-z0-9_]*"));
  }

  @Override
  public String toString() {
    return String.join(",", entries);
  }
}
