package dev.keyturn.cli;

import dev.keyturn.backup.BackupDocument;
import dev.keyturn.core.Capability;
import dev.keyturn.core.Grant;
import dev.keyturn.core.KeyturnException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn backup drill FILE}: see {@link BackupDrill}. */
@Command(
    name = "drill",
    mixinStandardHelpOptions = true,
    description = {
      "Restores a backup into a throwaway store and compares it with the live server.",
      "Every version is compared by number, stage, accept_until and a digest keyed for this",
      "request (no value crosses the wire); missing, changed and extra secrets are listed. Exit 0",
      "only when the backup would bring back exactly what is live, else 3. Needs read on every",
      "name below the backup's prefix."
    })
final class BackupDrillCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "The backup file, or - for standard input.")
  String file;

  @Option(
      names = "--passphrase-file",
      paramLabel = "FILE",
      description = "Its first line is the passphrase; else it is asked at the terminal.")
  Path passphraseFile;

  @Option(names = "--json", description = "Print the differences and the summary as JSON.")
  boolean json;

  @Override
  public Integer call() {
    BackupDocument backup;
    try {
      backup = BackupFiles.open(io(), file, passphraseFile);
    } catch (KeyturnException.CryptoFailure | KeyturnException.InvalidInput e) {
      // A backup that cannot be opened fails its drill, as it fails verify: exit 3.
      io().err().println("keyturn: " + e.getMessage());
      return ExitCode.FOUND;
    }
    BackupDrill.Outcome outcome;
    try {
      requireReadBelow(backup.header().prefix());
      outcome =
          new BackupDrill(temporaryFolder(), Clock.systemUTC(), new SecureRandom())
              .run(backup, prefix -> client().valueDigests(prefix));
    } finally {
      backup.destroy();
    }
    boolean same = outcome.differences().isEmpty();
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("ok", same);
      out.put("created_at", backup.header().createdAt().toString());
      out.put("prefix", backup.header().prefix());
      out.put("secrets", outcome.secrets());
      out.put("versions", outcome.versions());
      out.put("live_secrets", outcome.liveSecrets());
      for (BackupDrill.Kind kind : BackupDrill.Kind.values()) {
        out.put(kind.wireName(), outcome.count(kind));
      }
      List<Map<String, String>> differences =
          outcome.differences().stream()
              .map(d -> Map.of("kind", d.kind().wireName(), "name", d.name(), "detail", d.detail()))
              .toList();
      out.put("differences", differences);
      printJson(out);
    } else {
      for (BackupDrill.Difference d : outcome.differences()) {
        io().out().println(String.format("%-8s %s: %s", d.kind().wireName(), d.name(), d.detail()));
      }
      io().out()
          .println(
              "backup of "
                  + backup.header().createdAt()
                  + " (prefix '"
                  + backup.header().prefix()
                  + "'): "
                  + outcome.secrets()
                  + " secrets, "
                  + outcome.versions()
                  + " versions restored into a throwaway store; "
                  + outcome.liveSecrets()
                  + " live; "
                  + outcome.count(BackupDrill.Kind.MISSING)
                  + " missing, "
                  + outcome.count(BackupDrill.Kind.CHANGED)
                  + " changed, "
                  + outcome.count(BackupDrill.Kind.EXTRA)
                  + " extra: "
                  + (same
                      ? "the backup would bring back exactly what is live"
                      : "the backup would not bring back what is live"));
    }
    return same ? ExitCode.OK : ExitCode.FOUND;
  }

  /**
   * Refuses, before any work, a token whose grants do not cover read on every name below {@code
   * prefix}: the drill must see every live secret there, those made since the backup included, to
   * tell that the backup would bring back exactly what is live.
   */
  private void requireReadBelow(String prefix) {
    Grant needed = new Grant(Capability.READ, prefix.isEmpty() ? "*" : prefix + "/*");
    List<String> grants = client().whoami().grants();
    boolean covered = false;
    for (String text : grants) {
      try {
        covered |= Grant.ofStored(text).covers(needed);
      } catch (KeyturnException.InvalidInput e) {
        // A grant this CLI does not know cannot be relied on.
      }
    }
    if (!covered) {
      throw new KeyturnException.Forbidden(
          "a drill of the backup of '"
              + prefix
              + "' needs read on every name below it (a grant covering "
              + needed
              + ", such as "
              + (prefix.isEmpty() ? "read:* or admin:*" : needed + " or admin:" + prefix + "/*")
              + "), to see every live secret there");
    }
  }

  /** {@code TMPDIR} when set (as mktemp reads it), else the JVM's temporary folder. */
  private Path temporaryFolder() {
    String tmp = io().env().get("TMPDIR");
    return Path.of(tmp != null && !tmp.isEmpty() ? tmp : System.getProperty("java.io.tmpdir"));
  }
}
