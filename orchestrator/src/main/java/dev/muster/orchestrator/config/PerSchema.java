package dev.muster.orchestrator.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A setting's value for every schema: a default and, where a fleet needs it, values for schema patterns —
 * {@code 1s,reporting=10s,tenant_*=500ms}. The first pattern that matches a schema wins; the default otherwise.
 */
public final class PerSchema<T> {
  private final T defaultValue;
  private final Map<String, T> byPattern;
  private final Setting.Type<T> type;

  private PerSchema(T defaultValue, Map<String, T> byPattern, Setting.Type<T> type) {
    this.defaultValue = defaultValue;
    this.byPattern = Map.copyOf(byPattern);
    this.type = type;
    this.order = List.copyOf(byPattern.keySet());
  }

  private final List<String> order;

  /** The same value for every schema. */
  public static <T> PerSchema<T> of(T value, Setting.Type<T> type) {
    return new PerSchema<>(value, Map.of(), type);
  }

  public T forSchema(String schema) {
    for (String pattern : order) {
      if (Pattern.compile(pattern.replace("*", "[a-z0-9_]*")).matcher(schema).matches()) return byPattern.get(pattern);
    }
    return defaultValue;
  }

  public T defaultValue() {
    return defaultValue;
  }

  /** Reads {@code VALUE[,PATTERN=VALUE]...}, each value with {@code type}. */
  public static <T> Setting.Type<PerSchema<T>> type(Setting.Type<T> type) {
    return new Setting.Type<>() {
      @Override
      public PerSchema<T> read(String text) {
        T fallback = null;
        Map<String, T> byPattern = new LinkedHashMap<>();
        for (String entry : MusterConfig.csv(text)) {
          int eq = entry.indexOf('=');
          if (eq < 0) {
            if (fallback != null) throw new IllegalArgumentException("has two values without a schema pattern: '" + text + "'");
            fallback = type.read(entry);
          } else {
            String pattern = entry.substring(0, eq).trim();
            SchemaNames.parse(pattern); // the same rules as MUSTER_SCHEMAS' entries
            byPattern.put(pattern, type.read(entry.substring(eq + 1).trim()));
          }
        }
        if (fallback == null) throw new IllegalArgumentException("must start with a value for every schema, e.g. 1s, was '" + text + "'");
        return new PerSchema<>(fallback, byPattern, type);
      }

      @Override
      public String format(PerSchema<T> value) {
        return value.toString();
      }
    };
  }

  @Override
  public String toString() {
    String patterns = order.stream().map(p -> "," + p + "=" + type.format(byPattern.get(p))).collect(Collectors.joining());
    return type.format(defaultValue) + patterns;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PerSchema<?> other && defaultValue.equals(other.defaultValue) && byPattern.equals(other.byPattern)
        && order.equals(other.order);
  }

  @Override
  public int hashCode() {
    return defaultValue.hashCode() * 31 + order.hashCode();
  }
}
