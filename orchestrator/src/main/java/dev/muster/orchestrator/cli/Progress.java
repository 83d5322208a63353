package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.tenants.BulkMigration;
import java.io.PrintWriter;

/** How {@code migrate --all} shows its progress: plain lines, one per schema that ran (the default off a terminal). */
class Progress implements AutoCloseable {
  protected final PrintWriter out;

  Progress(PrintWriter out) {
    this.out = out;
  }

  static Progress create(PrintWriter out, PrintWriter err) {
    return new Progress(out);
  }

  void planned(int total, int behind) {
    out.println(behind + " of " + total + " schema(s) behind");
    out.flush();
  }

  synchronized void finished(BulkMigration.Result result, String line) {
    out.println(line);
    out.flush();
  }

  @Override
  public void close() {}
}
