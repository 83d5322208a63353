package dev.muster.orchestrator.tenants;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.flywaydb.core.api.CoreMigrationType;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.configuration.Configuration;
import org.flywaydb.core.api.migration.JavaMigration;
import org.flywaydb.core.api.resource.LoadableResource;
import org.flywaydb.core.internal.info.MigrationInfoImpl;
import org.flywaydb.core.internal.resolver.ChecksumCalculator;
import org.flywaydb.core.internal.scanner.Scanner;

/**
 * Which migrations {@link DirectApply} may run itself, and their text: a versioned SQL file that Flyway would run
 * inside a transaction exactly as written — no placeholder, no script configuration ({@code .conf} file or
 * {@code -- flyway:} line), no SQL callback anywhere in the locations, no statement that ends or opens a
 * transaction, changes a setting ({@code SET}, the search path or the role anywhere) or needs Flyway's own parser
 * ({@code COPY … FROM STDIN}, {@code BEGIN ATOMIC}, psql's backslash commands). Anything it is unsure of is left to
 * Flyway: a wrong "no" costs speed, a wrong "yes" would change what a migration does.
 */
final class PlainSql {
  /** First words of a statement Flyway might handle, or that would act on the transaction or the session. */
  private static final Set<String> REFUSED = Set.of("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT",
      "SAVEPOINT", "RELEASE", "PREPARE", "COPY", "SET", "RESET", "DISCARD", "VACUUM");
  /**
   * Flyway puts the search path and the role back before each migration; in one transaction a change would carry
   * on to the next. Looked for everywhere, function and DO bodies included.
   */
  private static final Pattern SEARCH_PATH_OR_ROLE = Pattern.compile("(?i)set_config"
      + "|\\b(re)?set\\s+(local\\s+|session\\s+)?(search_path|role|session\\s+authorization|all)\\b");

  private final Scanner<JavaMigration> scanner;
  private final boolean callbacks;

  private PlainSql(Scanner<JavaMigration> scanner, boolean callbacks) {
    this.scanner = scanner;
    this.callbacks = callbacks;
  }

  /** Scans the locations of {@code configuration} once (as Flyway does for its callbacks and migrations). */
  static PlainSql scan(Configuration configuration) {
    Scanner<JavaMigration> scanner = new Scanner<>(JavaMigration.class, configuration, configuration.getLocations());
    boolean callbacks = false;
    for (Event event : Event.values()) {
      // Flyway's SQL callbacks are files named after the event (beforeMigrate.sql, afterEachMigrate__x.sql, ...).
      if (!scanner.getResources(event.getId(), "").isEmpty()) callbacks = true;
    }
    return new PlainSql(scanner, callbacks);
  }

  /** The text to run for {@code m}, or null when Flyway must run it. */
  String text(MigrationInfo m) {
    if (callbacks || m.getVersion() == null || m.getType() != CoreMigrationType.SQL) return null;
    if (!(m instanceof MigrationInfoImpl impl) || !impl.canExecuteInTransaction()) return null;
    LoadableResource resource = scanner.getResource(m.getScript());
    if (resource == null || scanner.getResource(m.getScript() + ".conf") != null) return null;
    // The file Flyway resolved, read as Flyway reads it (its encoding), and no other.
    if (m.getResolvedChecksum() == null || ChecksumCalculator.calculate(resource) != m.getResolvedChecksum()) return null;
    String text = read(resource);
    if (text.startsWith("\uFEFF")) text = text.substring(1);
    return plain(text) ? text : null;
  }

  private static String read(LoadableResource resource) {
    StringBuilder text = new StringBuilder();
    char[] buffer = new char[8192];
    try (Reader reader = resource.read()) {
      for (int n; (n = reader.read(buffer)) > 0; ) text.append(buffer, 0, n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  /**
   * Whether {@code sql}'s statements can be sent as they are, in the caller's transaction: it reads past comments,
   * quoted strings and identifiers and dollar-quoted bodies, and looks at the first word of each statement.
   */
  static boolean plain(String sql) {
    if (sql.contains("${") || SEARCH_PATH_OR_ROLE.matcher(sql).find()) return false;
    StringBuilder statement = new StringBuilder();
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      char next = i + 1 < n ? sql.charAt(i + 1) : 0;
      if (c == '-' && next == '-') {
        int end = sql.indexOf('\n', i);
        end = end < 0 ? n : end;
        if (sql.substring(i, end).toLowerCase(Locale.ROOT).contains("flyway:")) return false;
        i = end;
      } else if (c == '/' && next == '*') {
        int depth = 0;
        do {
          if (sql.startsWith("/*", i)) {
            depth++;
            i += 2;
          } else if (sql.startsWith("*/", i)) {
            depth--;
            i += 2;
          } else {
            i++;
          }
        } while (depth > 0 && i < n);
        if (depth > 0) return false;
        statement.append(' ');
      } else if (c == '\'' || c == '"') {
        // E'...' strings take backslash escapes; the others only doubled quotes.
        boolean backslashes = c == '\'' && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
            && (i < 2 || !Character.isLetterOrDigit(sql.charAt(i - 2)) && sql.charAt(i - 2) != '_');
        int j = i + 1;
        while (true) {
          if (j >= n) return false;
          char d = sql.charAt(j);
          if (backslashes && d == '\\') {
            j += 2;
          } else if (d == c && j + 1 < n && sql.charAt(j + 1) == c) {
            j += 2;
          } else if (d == c) {
            break;
          } else {
            j++;
          }
        }
        i = j + 1;
        statement.append(' ');
      } else if (c == '$' && (i == 0 || !isWordChar(sql.charAt(i - 1)))) {
        int close = sql.indexOf('$', i + 1);
        String tag = close < 0 ? null : sql.substring(i, close + 1);
        if (tag == null || !tag.matches("\\$([A-Za-z_][A-Za-z_0-9]*)?\\$")) return false; // not a dollar quote: unsure
        int end = sql.indexOf(tag, close + 1);
        if (end < 0) return false;
        i = end + tag.length();
        statement.append(' ');
      } else if (c == ';') {
        if (!allowed(statement)) return false;
        statement.setLength(0);
        i++;
      } else if (c == '\\' && statement.toString().isBlank()) {
        return false; // a psql meta-command
      } else {
        statement.append(c);
        i++;
      }
    }
    return allowed(statement);
  }

  private static boolean allowed(CharSequence statement) {
    String[] words = statement.toString().strip().split("\\s+");
    if (words[0].isEmpty()) return true;
    if (REFUSED.contains(words[0].toUpperCase(Locale.ROOT))) return false;
    for (String w : words) if (w.equalsIgnoreCase("ATOMIC")) return false; // BEGIN ATOMIC: Flyway's parser splits it
    return true;
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }
}
