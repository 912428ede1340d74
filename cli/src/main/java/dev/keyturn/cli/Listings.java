package dev.keyturn.cli;

import dev.keyturn.api.SecretSummary;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import java.util.List;
import java.util.Set;

/**
 * The tables of {@code keyturn ls} and {@code keyturn status}, shared by the picocli commands and
 * {@link FastCli} so that both print the same bytes.
 */
final class Listings {
  /** Board states that need a person: the rotation cannot go on by itself. */
  private static final Set<String> ATTENTION = Set.of("waiting", "failed", "invalid");

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
    if (status.backups() != null) {
      backups(io, status.backups());
    }
    List<String> attention =
        status.secrets().stream()
            .filter(r -> ATTENTION.contains(r.state()))
            .map(r ->
                r.name()
                    + " ("
                    + r.state()
                    + (r.waitingFor() == null || r.waitingFor().isEmpty()
                        ? ""
                        : " for consumers " + String.join(" ", r.waitingFor()))
                    + ")")
            .toList();
    for (StatusRow r : status.secrets()) {
      if (r.failedConsumers() == null) {
        continue;
      }
      for (dev.keyturn.api.ConsumerFailure f : r.failedConsumers()) {
        io.err()
            .println(
                "keyturn: consumer "
                    + f.consumer()
                    + " could not apply "
                    + r.name()
                    + "#"
                    + f.failed()
                    + " and still uses #"
                    + f.using()
                    + ": its log says why");
      }
    }
    if (!attention.isEmpty()) {
      // on standard error, so that scripts reading the table see the same lines as before
      io.err()
          .println(
              "keyturn: "
                  + (attention.size() <= 3
                      ? String.join(", ", attention)
                      : String.join(", ", attention.subList(0, 3))
                          + " and "
                          + (attention.size() - 3)
                          + " more")
                  + ": 'keyturn rotations NAME' shows why");
    }
  }

  /** The server's scheduled backups, one line under the board (a failure also on stderr). */
  private static void backups(Io io, dev.keyturn.api.BackupScheduleStatus b) {
    io.out()
        .println(
            "scheduled backups: "
                + b.state()
                + ", every "
                + b.every()
                + ", last "
                + (b.lastSuccess() == null
                    ? "none yet"
                    : b.lastSuccess() + " (" + b.lastFile() + ")")
                + ", next "
                + b.nextAt()
                + ", "
                + b.kept()
                + " of "
                + b.keep()
                + " kept in "
                + b.dir());
    if (b.state().equals("failing")) {
      io.err()
          .println(
              "keyturn: the scheduled backup failed at " + b.lastFailure() + ": " + b.lastError());
    }
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
