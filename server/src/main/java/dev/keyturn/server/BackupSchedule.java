package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.backup.OpenPgp;
import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Scheduled backups ({@code server --backup-dir DIR --backup-every 24h --backup-keep 14
 * --backup-recipient PUBKEY.asc}): where the files go, how often, how many are kept, and the public
 * keys they are encrypted to. Public keys only, so that the server never holds what decrypts its
 * backups. {@link #of} checks everything at start (the folder exists and is writable, every
 * recipient file is a public key that can encrypt) and names the first thing wrong.
 */
public record BackupSchedule(Path dir, Duration every, int keep, List<Path> recipients) {
  static final Duration DEFAULT_EVERY = Duration.ofHours(24);
  static final int DEFAULT_KEEP = 14;
  static final Duration SHORTEST = Duration.ofMinutes(1);

  public BackupSchedule {
    requireNonNull(dir, "dir");
    requireNonNull(every, "every");
    recipients = List.copyOf(recipients);
    if (every.compareTo(SHORTEST) < 0) {
      throw new KeyturnException.InvalidInput("--backup-every must be at least 1m");
    }
    if (keep < 1) {
      throw new KeyturnException.InvalidInput("--backup-keep must be at least 1");
    }
    if (recipients.isEmpty()) {
      throw new KeyturnException.InvalidInput(
          "--backup-dir needs at least one --backup-recipient PUBKEY.asc (gpg --export --armor):"
              + " scheduled backups are encrypted to public keys");
    }
  }

  /**
   * The schedule the flags ask for, or none when none of them is given; checked (see the type).
   *
   * @throws KeyturnException.InvalidInput naming the first thing wrong
   */
  public static Optional<BackupSchedule> of(
      Path dir, String every, Integer keep, List<Path> recipients, boolean passphraseAsked) {
    if (passphraseAsked) {
      throw new KeyturnException.InvalidInput(
          "scheduled backups take no passphrase: the server would have to hold what opens every"
              + " backup it writes; give --backup-recipient PUBKEY.asc (public keys only), and use"
              + " 'keyturn backup create --passphrase-file' for passphrase backups");
    }
    boolean anyOther =
        every != null || keep != null || (recipients != null && !recipients.isEmpty());
    if (dir == null) {
      if (anyOther) {
        throw new KeyturnException.InvalidInput(
            "--backup-every, --backup-keep and --backup-recipient go with --backup-dir DIR");
      }
      return Optional.empty();
    }
    Duration interval;
    try {
      interval = every == null ? DEFAULT_EVERY : Durations.parse(every);
    } catch (KeyturnException.InvalidInput e) {
      throw new KeyturnException.InvalidInput(
          "--backup-every: '" + printable(every) + "' is not a duration such as 24h or 30m");
    }
    BackupSchedule schedule =
        new BackupSchedule(
            dir,
            interval,
            keep == null ? DEFAULT_KEEP : keep,
            recipients == null ? List.of() : recipients);
    schedule.check();
    return Optional.of(schedule);
  }

  /** Checks the folder and the recipients as they are now. */
  void check() {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyturnException.InvalidInput(
          "--backup-dir "
              + dir
              + " is not a folder (make it, mode 700, owned by the server's user)");
    }
    try {
      Path probe = Files.createTempFile(dir, ".keyturn-backup-probe-", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "--backup-dir " + dir + " is not writable by the server: " + e.getMessage());
    }
    for (Path recipient : recipients) {
      OpenPgp.recipients(recipient);
    }
  }

  private static String printable(String text) {
    String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return cut.replaceAll("[^A-Za-z0-9._ -]", "?");
  }
}
