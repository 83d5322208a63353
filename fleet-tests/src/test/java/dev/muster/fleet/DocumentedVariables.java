package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code MUSTER_*} variables the project's own documentation defines, so that a file users copy (the
 * Compose file, the Kubernetes manifests, the chart) sets none that nothing reads: the first column of the
 * tables in {@code docs/configuration.md} (the orchestrator's) and {@code docs/sdk.md} (the services'), and
 * every one {@code docs/api.md} names.
 */
final class DocumentedVariables {
  static final Pattern VARIABLE = Pattern.compile("\\bMUSTER_[A-Z0-9_]*[A-Z0-9]\\b");
  private static final Pattern TABLE_ROW = Pattern.compile("^\\|\\s*`(MUSTER_[A-Z0-9_]+)`", Pattern.MULTILINE);

  private DocumentedVariables() {}

  static Set<String> all() {
    Set<String> defined = new TreeSet<>();
    for (String doc : new String[] {"docs/configuration.md", "docs/sdk.md"}) {
      Set<String> rows = matches(TABLE_ROW, read(doc), 1);
      assertFalse(rows.isEmpty(), doc + " has a table of MUSTER_ variables");
      defined.addAll(rows);
    }
    defined.addAll(matches(VARIABLE, read("docs/api.md"), 0));
    return defined;
  }

  /** Every {@code MUSTER_*} name in the text. */
  static Set<String> in(String text) {
    return matches(VARIABLE, text, 0);
  }

  private static Set<String> matches(Pattern pattern, String text, int group) {
    Set<String> found = new TreeSet<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) found.add(m.group(group));
    return found;
  }

  private static String read(String doc) {
    Path path = Paths.root().resolve(doc);
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException(path + " (the documented variables are read from it)", e);
    }
  }
}
