package dev.muster.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A Markdown table with padded columns, so it reads in a terminal and pastes into docs as it is. */
final class Table {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  Table(String... headers) {
    this.headers = Arrays.asList(headers);
  }

  Table row(Object... cells) {
    List<String> row = new ArrayList<>();
    for (Object cell : cells) row.add(String.valueOf(cell));
    rows.add(row);
    return this;
  }

  /** The five figures of a distribution as cells: count, p50, p90, p99, max. */
  static Object[] cells(Stats s) {
    return new Object[] {s.count(), Stats.ms(s.p50()), Stats.ms(s.p90()), Stats.ms(s.p99()), Stats.ms(s.max())};
  }

  static Object[] concat(Object[] first, Object... more) {
    Object[] all = Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }

  void print(PrintStream out) {
    int[] widths = new int[headers.size()];
    for (int i = 0; i < widths.length; i++) widths[i] = headers.get(i).length();
    for (List<String> row : rows) {
      for (int i = 0; i < widths.length && i < row.size(); i++) widths[i] = Math.max(widths[i], row.get(i).length());
    }
    out.println(line(headers, widths, false));
    StringBuilder rule = new StringBuilder("|");
    for (int w : widths) rule.append("-".repeat(w + 1)).append(":|");
    out.println(rule);
    for (List<String> row : rows) out.println(line(row, widths, true));
  }

  private static String line(List<String> cells, int[] widths, boolean right) {
    StringBuilder b = new StringBuilder("|");
    for (int i = 0; i < widths.length; i++) {
      String cell = i < cells.size() ? cells.get(i) : "";
      String pad = " ".repeat(widths[i] - cell.length());
      b.append(' ').append(right ? pad + cell : cell + pad).append(" |");
    }
    return b.toString();
  }
}
