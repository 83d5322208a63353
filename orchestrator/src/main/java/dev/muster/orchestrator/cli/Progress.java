package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.tenants.BulkMigration;
import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How {@code migrate --all} shows its progress: off a terminal (a CI log, a pipe), plain lines, one per schema that
 * ran; on a terminal, a progress bar (me.tongfei:progressbar) on standard error, with only the failures as lines.
 */
class Progress implements AutoCloseable {
  protected final PrintWriter out;

  Progress(PrintWriter out) {
    this.out = out;
  }

  /** A bar when both standard streams are a terminal and the command writes to them; plain lines otherwise. */
  static Progress create(PrintWriter out, boolean toConsole) {
    return toConsole && System.console() != null ? new Bar(out) : new Progress(out);
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

  private static final class Bar extends Progress {
    private ProgressBar bar;

    Bar(PrintWriter out) {
      super(out);
    }

    @Override
    void planned(int total, int behind) {
      super.planned(total, behind);
      bar = new ProgressBarBuilder().setTaskName("migrate --all").setInitialMax(behind)
          .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).build();
    }

    @Override
    synchronized void finished(BulkMigration.Result result, String line) {
      if (bar != null) bar.step();
      if (result.kind() == BulkMigration.Kind.FAILED) {
        out.println();
        super.finished(result, line);
      }
    }

    @Override
    public void close() {
      if (bar != null) bar.close();
    }
  }
}
