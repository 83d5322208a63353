package dev.muster.orchestrator.config;

import dev.muster.postgres.SecretFile;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One orchestrator setting, defined once: its environment variable, its command-line flag, its default, how
 * its text is read and checked, and the sentence that describes it in {@code --help} (and, checked by a test,
 * in {@code docs/configuration.md}). {@link MusterConfig} lists them all. Immutable.
 *
 * <p>A flag wins over the variable. A {@linkplain #secret() secret} can also be read from a file
 * ({@code MUSTER_TOKEN_FILE}, {@code --token-file}), as Kubernetes and Docker mount secrets, is never printed,
 * and is refused when set but empty: an empty token would otherwise mean an open orchestrator.
 *
 * @param <T> the value's type
 */
public final class Setting<T> {

  /** Which commands take the flag: every command, or {@code serve} only. The variable applies everywhere. */
  public enum Scope { EVERY_COMMAND, SERVE }

  /** Reads a setting's text. Messages say what is wrong after the setting's name: "must be …, was '…'". */
  public interface Type<T> {
    /** @throws IllegalArgumentException saying what the text must be */
    T read(String text);

    /** Why a value set in code is invalid, or {@code null}. */
    default String problem(T value) {
      return null;
    }

    /** The value as {@link #read} would accept it. */
    default String format(T value) {
      return String.valueOf(value);
    }
  }

  private final String variable;
  private final String flag;
  private final String label;
  private final String description;
  private final String defaultText;
  private final T defaultValue;
  private final Type<T> type;
  private final boolean secret;
  private final Scope scope;

  private Setting(String variable, String flag, String label, String description, String defaultText, T defaultValue,
      Type<T> type, boolean secret, Scope scope) {
    this.variable = variable;
    this.flag = flag;
    this.label = label;
    this.description = description;
    this.defaultText = defaultText;
    this.defaultValue = defaultValue;
    this.type = type;
    this.secret = secret;
    this.scope = scope;
  }

  /** A setting read from {@code variable}, {@code defaultValue} (may be null: unset) when it is not set. */
  public static <T> Setting<T> of(String variable, Type<T> type, T defaultValue) {
    return new Setting<>(variable, null, "VALUE", "", defaultValue == null ? "unset" : type.format(defaultValue),
        defaultValue, type, false, Scope.EVERY_COMMAND);
  }

  /** A value that is set in code only (no variable, no flag, not in the docs). */
  public static <T> Setting<T> internal(String name, Type<T> type, T defaultValue) {
    return new Setting<>(null, null, name, "", "", defaultValue, type, false, Scope.EVERY_COMMAND);
  }

  public Setting<T> flag(String flag, String label) {
    return new Setting<>(variable, flag, label, description, defaultText, defaultValue, type, secret, scope);
  }

  /** The sentence for {@code --help} and for the docs' row. */
  public Setting<T> describe(String description) {
    return new Setting<>(variable, flag, label, description, defaultText, defaultValue, type, secret, scope);
  }

  /** What the docs and {@code --help} say when the setting is not set, where the value alone says too little. */
  public Setting<T> defaultText(String defaultText) {
    return new Setting<>(variable, flag, label, description, defaultText, defaultValue, type, secret, scope);
  }

  public Setting<T> secret() {
    return new Setting<>(variable, flag, label, description, defaultText, defaultValue, type, true, scope);
  }

  public Setting<T> serveOnly() {
    return new Setting<>(variable, flag, label, description, defaultText, defaultValue, type, secret, Scope.SERVE);
  }

  /** {@code MUSTER_HTTP_PORT}; null for an internal setting. */
  public String variable() {
    return variable;
  }

  /** {@code --http-port}, or null when there is none. */
  public String flag() {
    return flag;
  }

  /** A secret's {@code --token-file}: for every secret, even one without a value flag. */
  public String fileFlag() {
    if (!secret) return null;
    return flag != null ? flag + "-file" : "--" + variable.replaceFirst("^MUSTER_", "").toLowerCase(Locale.ROOT)
        .replace('_', '-') + "-file";
  }

  /** A secret's {@code MUSTER_TOKEN_FILE}. */
  public String fileVariable() {
    return secret ? variable + "_FILE" : null;
  }

  public String label() {
    return label;
  }

  public String description() {
    return description;
  }

  public String defaultText() {
    return defaultText;
  }

  public T defaultValue() {
    return defaultValue;
  }

  public boolean isSecret() {
    return secret;
  }

  public Scope scope() {
    return scope;
  }

  public boolean isInternal() {
    return variable == null;
  }

  /** {@code httpPort} for {@code MUSTER_HTTP_PORT}: how {@link MusterConfig#toString()} names it. */
  public String key() {
    if (variable == null) return label;
    String[] words = variable.replaceFirst("^MUSTER_", "").toLowerCase(Locale.ROOT).split("_");
    StringBuilder key = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) key.append(Character.toUpperCase(words[i].charAt(0))).append(words[i], 1, words[i].length());
    return key.toString();
  }

  /** The value as logs may show it: a secret only as set or unset. */
  public String show(Object value) {
    if (secret) return value == null ? "unset" : "set";
    return value == null ? "unset" : type.format(cast(value));
  }

  /**
   * The value the flags and the environment give, or the default. The flag wins over the variable; a secret's
   * file flag and file variable count as its flag and its variable.
   *
   * @param flags the text of each flag given on the command line, null for those not given
   * @throws IllegalArgumentException naming the flag or variable whose text is wrong (never quoting a secret)
   */
  public T valueFrom(Function<String, String> flags, Map<String, String> env) {
    String[] text = fromFlags(flags);
    if (text == null && variable != null) text = fromEnvironment(env);
    if (text == null) return defaultValue;
    try {
      return type.read(secret ? text[1] : text[1].strip());
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      throw new IllegalArgumentException(message.startsWith(variable) ? message : text[0] + " " + message, e);
    }
  }

  /** Checks a value set in code; throws naming the setting. */
  T check(T value) {
    String problem = value == null ? null : type.problem(value);
    if (problem != null) throw new IllegalArgumentException((variable == null ? label : variable) + " " + problem);
    return value;
  }

  @SuppressWarnings("unchecked")
  T cast(Object value) {
    return (T) value;
  }

  /** {where it came from, its text}, or null. */
  private String[] fromFlags(Function<String, String> flags) {
    String value = flag == null ? null : flags.apply(flag);
    String file = secret ? flags.apply(fileFlag()) : null;
    if (value != null && file != null) throw new IllegalArgumentException(flag + " and " + fileFlag() + " are both given: use one");
    if (file != null) return new String[] {fileFlag(), SecretFile.read(fileFlag(), file)};
    if (value == null) return null;
    if (secret && value.isEmpty()) throw new IllegalArgumentException(flag + " is empty");
    return new String[] {flag, value};
  }

  private String[] fromEnvironment(Map<String, String> env) {
    String value = env.get(variable);
    String file = secret ? env.get(fileVariable()) : null;
    if (value != null && file != null) {
      throw new IllegalArgumentException(variable + " and " + fileVariable() + " are both set: use one");
    }
    if (file != null) return new String[] {fileVariable(), SecretFile.read(fileVariable(), file)};
    if (value == null) return null;
    if (value.isBlank()) {
      if (!secret) return null; // blank is unset, as a compose file's "MUSTER_SCHEMAS:" means
      throw new IllegalArgumentException(variable + " is set but empty: give it a value (or " + fileVariable()
          + " a file), or unset it");
    }
    return new String[] {variable, value};
  }

  @Override
  public String toString() {
    return variable == null ? label : variable;
  }

  // The types of Muster's settings.

  /** Any text; with {@link #secret()}, a token or password. */
  public static Type<String> text() {
    return text -> text;
  }

  public static Type<String> oneOf(String... choices) {
    List<String> allowed = List.of(choices);
    return text -> {
      if (!allowed.contains(text)) {
        throw new IllegalArgumentException("must be " + String.join(" or ", allowed) + ", was '" + text + "'");
      }
      return text;
    };
  }

  public static Type<Integer> integer(int min, int max) {
    return new Type<>() {
      @Override
      public Integer read(String text) {
        int n;
        try {
          n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("must be a whole number, was '" + text + "'");
        }
        String problem = problem(n);
        if (problem != null) throw new IllegalArgumentException(problem);
        return n;
      }

      @Override
      public String problem(Integer n) {
        return n < min || n > max ? "must be between " + min + " and " + max + ", was " + n : null;
      }
    };
  }

  public static Type<Boolean> bool() {
    return text -> {
      switch (text.toLowerCase(Locale.ROOT)) {
        case "true": case "1": case "yes": return true;
        case "false": case "0": case "no": return false;
        default: throw new IllegalArgumentException("must be true or false, was '" + text + "'");
      }
    };
  }

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s)?");

  /** Whole seconds ({@code 30}), or with a unit: {@code 30s}, {@code 500ms}. */
  public static Type<Duration> duration(Duration min, Duration max) {
    return new Type<>() {
      @Override
      public Duration read(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
          throw new IllegalArgumentException("must be whole seconds (30) or a number with a unit (30s, 500ms), was '"
              + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = "ms".equals(m.group(2)) ? Duration.ofMillis(n) : Duration.ofSeconds(n);
        String problem = problem(d);
        if (problem != null) throw new IllegalArgumentException(problem);
        return d;
      }

      @Override
      public String problem(Duration d) {
        return d.compareTo(min) < 0 || d.compareTo(max) > 0
            ? "must be between " + format(min) + " and " + format(max) + ", was " + format(d) : null;
      }

      @Override
      public String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
      }
    };
  }

  /** Comma-separated, blanks dropped: {@code filesystem:a, classpath:b}. */
  public static Type<List<String>> list() {
    return new Type<>() {
      @Override
      public List<String> read(String text) {
        List<String> items = MusterConfig.csv(text);
        if (items.isEmpty()) throw new IllegalArgumentException("must name at least one, was '" + text + "'");
        return items;
      }

      @Override
      public String format(List<String> value) {
        return value.stream().collect(Collectors.joining(","));
      }
    };
  }
}
