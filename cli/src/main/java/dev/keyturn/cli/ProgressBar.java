package dev.keyturn.cli;

import dev.keyturn.api.RotationProgress;
import java.io.PrintStream;

/**
 * The progress bar {@code keyturn rotate} draws on a terminal while a row sweep runs: one line,
 * redrawn in place on standard error ({@code \r}), ended by a newline when the wait is over. Counts
 * only. Not thread-safe.
 */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintStream err;
  private boolean drawn;

  ProgressBar(PrintStream err) {
    this.err = err;
  }

  /** Draws {@code p} over the last line drawn. */
  void draw(RotationProgress p) {
    err.print("\r" + line(p));
    err.flush();
    drawn = true;
  }

  /** Ends the line, if one was drawn. */
  void end() {
    if (drawn) {
      err.println();
      drawn = false;
    }
  }

  /** {@code [#########.....] 60% 600/1000 rows} and the skipped and failed rows, if any. */
  static String line(RotationProgress p) {
    long total = Math.max(p.rowsTotal(), 1);
    long seen = Math.min(p.rowsDone() + p.rowsSkipped() + p.rowsFailed(), total);
    int filled = (int) (WIDTH * seen / total);
    StringBuilder out = new StringBuilder("[");
    out.append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
    out.append(100 * seen / total).append("% ");
    out.append(p.rowsDone()).append('/').append(p.rowsTotal()).append(" rows");
    if (p.rowsSkipped() > 0) {
      out.append(", ").append(p.rowsSkipped()).append(" skipped");
    }
    if (p.rowsFailed() > 0) {
      out.append(", ").append(p.rowsFailed()).append(" failed");
    }
    return out.toString();
  }
}
