package dev.muster.client.testdata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One row of {@code testdata/arrival-fields.tsv} at the project's root: a value of an arrival's field
 * and what the clients and the orchestrator make of it. The SDK's, the orchestrator's and muster-wait's
 * tests all read this list (this class reaches the other modules in the SDK's test jar).
 *
 * @param clients   {@code ok}, {@code -} (not a client's input) or the key of the clients' refusal
 * @param flyway    {@code ok} or the key of the orchestrator's refusal on a Flyway schema
 * @param delegated {@code ok} or the key of the orchestrator's refusal on a delegated schema
 * @param server    {@code now} or {@code delegated-runs}: which orchestrator checks the flyway column
 */
public record ArrivalFieldCase(String field, String value, String clients, String flyway, String delegated,
    String server, String note) {
  public static final String OK = "ok";
  private static final Pattern REPEAT = Pattern.compile("\\{(\\d+):([^{}]*)}");
  private static final Path FILE = find();
  private static final Map<String, String> MESSAGES = new HashMap<>();
  private static final List<ArrivalFieldCase> CASES = read();

  /** Every row, in the file's order. */
  public static List<ArrivalFieldCase> all() {
    return CASES;
  }

  /** The rows of one field. */
  public static List<ArrivalFieldCase> of(String field) {
    return CASES.stream().filter(c -> c.field.equals(field)).toList();
  }

  /** The message a verdict's key stands for; {@code null} for {@code ok}. */
  public static String message(String verdict) {
    if (verdict.equals(OK)) {
      return null;
    }
    String message = MESSAGES.get(verdict);
    if (message == null) {
      throw new IllegalStateException(FILE + ": no @" + verdict + " message");
    }
    return message;
  }

  /** Whether the flyway column holds for the orchestrator of this build, without the delegated-runs work. */
  public boolean checkedByTheServerNow() {
    return server.equals("now");
  }

  @Override
  public String toString() {
    String shown = value.length() > 40 ? value.substring(0, 40) + "...(" + value.length() + ")" : value;
    return field + " '" + shown.replace("\n", "\\n").replace("\t", "\\t") + "' (" + note + ")";
  }

  private static List<ArrivalFieldCase> read() {
    List<ArrivalFieldCase> cases = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(FILE, StandardCharsets.UTF_8)) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] columns = line.split("\t", -1);
        if (line.startsWith("@")) {
          MESSAGES.put(columns[0].substring(1), columns[1]);
          continue;
        }
        if (columns.length != 7) {
          throw new IllegalStateException(FILE + ": not 7 columns: " + line);
        }
        cases.add(new ArrivalFieldCase(columns[0], expand(columns[1]), columns[2], columns[3], columns[4],
            columns[5], columns[6]));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(cases);
  }

  /** {@code {N:text}} is text N times; then {@code \n}, {@code \t} and {@code \\}. */
  static String expand(String value) {
    Matcher repeat = REPEAT.matcher(value);
    StringBuilder expanded = new StringBuilder();
    while (repeat.find()) {
      repeat.appendReplacement(expanded, Matcher.quoteReplacement(repeat.group(2).repeat(Integer.parseInt(repeat.group(1)))));
    }
    repeat.appendTail(expanded);
    return expanded.toString().replace("\\\\", "\u0000").replace("\\n", "\n").replace("\\t", "\t").replace('\u0000', '\\');
  }

  /** {@code testdata/arrival-fields.tsv} in the first directory up from the working directory that has it. */
  private static Path find() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path file = dir.resolve("testdata/arrival-fields.tsv");
      if (Files.isRegularFile(file)) {
        return file;
      }
    }
    throw new IllegalStateException("testdata/arrival-fields.tsv not found above " + Path.of("").toAbsolutePath());
  }
}
