package dev.keyturn.cli;

import dev.keyturn.api.SecretSummary;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import java.util.List;

/**
 * The tables of {@code keyturn ls} and {@code keyturn status}, shared by the picocli commands and
 * {@link FastCli} so that both print the same bytes.
 */
final class Listings {
  private Listings() {}

  static void secrets(Io io, String prefix, List<SecretSummary> all) {
    if (all.isEmpty()) {
      io.err().println("no secrets" + (prefix.isEmpty() ? "" : " under '" + prefix + "'"));
      return;
    }
    Table table = new Table("NAME", "CURRENT", "VERSIONS", "UPDATED");
    for (SecretSummary s : all) {
      table.row(s.name(), s.currentVersion(), s.versionCount(), s.updatedAt());
    }
    table.print(io.out());
  }

  static void status(Io io, StatusResponse status) {
    Table table =
        new Table(
            "NAME", "OWNER", "STRATEGY", "LAST ROTATED", "NEXT DUE", "PREVIOUS UNTIL", "STATE");
    for (StatusRow r : status.secrets()) {
      table.row(
          r.name(),
          r.owner().isEmpty() ? null : r.owner(),
          r.strategy(),
          r.lastRotated(),
          r.nextDue(),
          r.graceUntil(),
          r.state());
    }
    table.print(io.out());
  }

  /** A value as {@code keyturn get} prints it: the text, then a newline unless raw. */
  static void value(Io io, String text, boolean raw) {
    io.out().writeBytes(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    if (!raw) {
      io.out().println();
    }
    io.out().flush();
  }
}
