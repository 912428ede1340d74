package dev.keyturn.cli;

import dev.keyturn.api.RestoreResponse;
import dev.keyturn.api.RestoreStep;
import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.BackupReader;
import dev.keyturn.backup.BackupSecret;
import dev.keyturn.backup.BackupWriter;
import dev.keyturn.backup.OpenPgp;
import dev.keyturn.core.KeyturnException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.bouncycastle.openpgp.PGPPublicKey;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn backup create|restore|verify|drill}. */
@Command(
    name = "backup",
    mixinStandardHelpOptions = true,
    description = {
      "Writes, checks and restores backups that plain gpg opens.",
      "A backup is one OpenPGP message (AES-256, integrity-protected) holding a versioned JSON",
      "document of every non-retired version of the secrets below a prefix. A passphrase comes",
      "from --passphrase-file or the terminal, never a flag. See docs/backup.md."
    },
    subcommands = {
      BackupCommand.Create.class,
      BackupCommand.Restore.class,
      BackupCommand.Verify.class,
      BackupDrillCommand.class
    })
final class BackupCommand implements Runnable {
  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(root.io.out());
  }

  /** Where a new backup goes. */
  static final class Destination {
    @Option(names = "--out", paramLabel = "FILE", description = "The backup file to write.")
    Path out;

    @Option(
        names = "--out-dir",
        paramLabel = "DIR",
        description = "With --each: a folder for one file per secret (DIR/NAME.pgp).")
    Path outDir;
  }

  /** How a new backup is encrypted. */
  static final class Encryption {
    @Option(
        names = "--passphrase-file",
        paramLabel = "FILE",
        description = "Its first line is the passphrase (as gpg --passphrase-file reads it).")
    Path passphraseFile;

    @Option(
        names = "--recipient",
        paramLabel = "PUBKEY.asc",
        description =
            "Encrypt to this public key (gpg --export --armor), RSA or Curve25519; repeatable.")
    List<Path> recipients;

    @Option(names = "--passphrase", description = "Type the passphrase at the terminal (no echo).")
    boolean prompt;
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Writes a backup of the secrets below the folder --prefix (admin on every name below it).",
        "Encrypted with a passphrase (--passphrase-file, or typed) or to --recipient keys; written",
        "under a temporary name and renamed into place, mode 600; never replaces a file.",
        "gpg opens it: gpg --decrypt FILE."
      })
  static final class Create extends ClientCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Destination destination;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Encryption encryption;

    @Option(
        names = "--prefix",
        paramLabel = "P",
        description = "Only the secrets below the folder P (P/...); default all.")
    String prefix = "";

    @Option(names = "--each", description = "One file per secret (with --out-dir).")
    boolean each;

    @Override
    public Integer call() {
      if (each != (destination.outDir != null)) {
        throw new KeyturnException.InvalidInput(
            "--each goes with --out-dir, and --out-dir with --each");
      }
      String folder = BackupWriter.folder(prefix);
      Encryption how = encryption == null ? new Encryption() : encryption;
      Optional<List<PGPPublicKey>> keys =
          how.recipients == null
              ? Optional.empty()
              : Optional.of(
                  how.recipients.stream().flatMap(p -> OpenPgp.recipients(p).stream()).toList());
      char[] passphrase =
          keys.isPresent() ? null : BackupFiles.passphrase(io(), how.passphraseFile, true);
      byte[] document = null;
      BackupDocument checked = null;
      try {
        SecureRandom random = new SecureRandom();
        if (!each) {
          // Checked whole before the file appears: a file that would not restore is no backup.
          BackupReader.Summary summary =
              streamChecked(folder, destination.out, keys, passphrase, random);
          io().out()
              .println(
                  "wrote "
                      + destination.out
                      + ": "
                      + summary.secrets()
                      + " secrets, "
                      + summary.versions()
                      + " versions");
          return ExitCode.OK;
        }
        document = download(folder);
        checked = BackupDocument.parse(document);
        int files = 0;
        for (BackupSecret secret : checked.secrets()) {
          byte[] one = BackupWriter.document(checked.header(), List.of(secret));
          try {
            Path file = destination.outDir.resolve(secret.name().value() + ".pgp");
            BackupFiles.writeAtomically(file, out -> encrypt(out, one, keys, passphrase, random));
            files++;
          } finally {
            Arrays.fill(one, (byte) 0);
          }
        }
        io().out().println("wrote " + files + " files below " + destination.outDir);
        return ExitCode.OK;
      } finally {
        if (document != null) {
          Arrays.fill(document, (byte) 0);
        }
        if (checked != null) {
          checked.destroy();
        }
        if (passphrase != null) {
          Arrays.fill(passphrase, '\0');
        }
      }
    }

    /**
     * Streams the server's document into {@code file}, encrypting it as it arrives, while another
     * thread checks it as {@code backup verify} would (one secret held at a time): the download,
     * the check and the encryption overlap, and the document is never held whole. The file is
     * linked into place only once all of it checked; until then it exists, encrypted, under a
     * temporary name that is removed on any failure.
     */
    private BackupReader.Summary streamChecked(
        String folder,
        Path file,
        Optional<List<PGPPublicKey>> keys,
        char[] passphrase,
        SecureRandom random) {
      BackupReader.Summary[] summary = new BackupReader.Summary[1];
      try (InputStream in = client().backup(folder)) {
        BackupFiles.writeAtomically(
            file,
            out -> {
              java.util.concurrent.CompletableFuture<BackupReader.Summary> check;
              java.io.PipedInputStream checking = new java.io.PipedInputStream(1 << 20);
              try (java.io.PipedOutputStream toCheck = new java.io.PipedOutputStream(checking)) {
                check =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> checkAll(checking),
                        runnable ->
                            Thread.ofPlatform().name("backup-check").daemon().start(runnable));
                byte[] chunk = new byte[64 * 1024];
                try (OutputStream sealed = sealing(out, keys, passphrase, random)) {
                  for (int n; (n = in.read(chunk)) >= 0; ) {
                    sealed.write(chunk, 0, n);
                    try {
                      toCheck.write(chunk, 0, n);
                      // Wakes the checker now (a pipe's reader otherwise polls once a second).
                      toCheck.flush();
                    } catch (IOException checkerGone) {
                      // The check ended early: it failed, and says why below.
                      break;
                    }
                  }
                  toCheck.close();
                  // Before the encryption is finished: a document that fails leaves no file.
                  summary[0] = joined(check);
                } finally {
                  Arrays.fill(chunk, (byte) 0);
                }
              } catch (IOException e) {
                throw new KeyturnException.Unavailable(
                    "the backup stream broke off: " + e.getMessage(), e);
              }
            });
      } catch (IOException e) {
        throw new KeyturnException.Unavailable("the backup stream broke off: " + e.getMessage(), e);
      }
      return summary[0];
    }

    /**
     * Reads all of {@code in} and checks it (the reader reads to the end: nothing may follow the
     * document); closes it either way, so that a writer still writing learns the check ended.
     */
    private static BackupReader.Summary checkAll(InputStream in) {
      try (in) {
        return BackupReader.read(in, BackupSecret::destroy);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static BackupReader.Summary joined(
        java.util.concurrent.CompletableFuture<BackupReader.Summary> check) {
      try {
        return check.join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof RuntimeException failure) {
          throw failure;
        }
        throw e;
      }
    }

    private byte[] download(String folder) {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 20);
      try (InputStream in = client().backup(folder)) {
        in.transferTo(buffer);
      } catch (IOException e) {
        throw new KeyturnException.Unavailable("the backup stream broke off: " + e.getMessage(), e);
      }
      return buffer.toByteArray();
    }

    private static OutputStream sealing(
        OutputStream out,
        Optional<List<PGPPublicKey>> keys,
        char[] passphrase,
        SecureRandom random) {
      return keys.isPresent()
          ? OpenPgp.encryptToRecipients(out, keys.get(), random)
          : OpenPgp.encryptWithPassphrase(out, passphrase, OpenPgp.DEFAULT_S2K_COUNT, random);
    }

    private static void encrypt(
        OutputStream out,
        byte[] document,
        Optional<List<PGPPublicKey>> keys,
        char[] passphrase,
        SecureRandom random) {
      try (OutputStream sealed = sealing(out, keys, passphrase, random)) {
        sealed.write(document);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Command(
      name = "restore",
      mixinStandardHelpOptions = true,
      description = {
        "Restores a backup (FILE, or - for a document on standard input, as from gpg -d FILE |).",
        "Checks all of it first and writes nothing unless it is sound; needs admin on each name.",
        "Missing secrets are created with their versions; unchanged ones are skipped; changed ones",
        "are reported and left alone unless --as-current. History is never rewritten."
      })
  static final class Restore extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The backup file, or - for standard input.")
    String file;

    @Option(
        names = "--prefix",
        paramLabel = "P",
        description = "Only the secret P and those below it (P/...): one secret by its name.")
    String prefix = "";

    @Option(names = "--dry-run", description = "Print the plan; write nothing.")
    boolean dryRun;

    @Option(
        names = "--as-current",
        description =
            "For a secret changed since the backup: make the backup's value a new current version"
                + " (the present one stays as previous for --grace).")
    boolean asCurrent;

    @Option(
        names = "--grace",
        paramLabel = "DURATION",
        description = "With --as-current: how long the replaced value stays valid (default 24h).")
    String grace;

    @Option(
        names = "--passphrase-file",
        paramLabel = "FILE",
        description = "Its first line is the passphrase; else it is asked at the terminal.")
    Path passphraseFile;

    @Option(
        names = "--allow-placeholder",
        description =
            "With --as-current: let a value that looks like a placeholder become current (as put"
                + " --allow-placeholder).")
    boolean allowPlaceholder;

    @Option(
        names = "--skip-bad-rules",
        description =
            "Restore a secret whose rotation rule cannot be restored here without its rule (the"
                + " plan says which); without it such a rule refuses the whole restore.")
    boolean skipBadRules;

    @Option(names = "--json", description = "Print the plan and outcome as JSON.")
    boolean json;

    @Override
    public Integer call() {
      String folder = BackupWriter.folder(prefix);
      byte[] document =
          BackupFiles.read(io(), file, () -> BackupFiles.passphrase(io(), passphraseFile, false));
      try {
        // Checked here first (one secret held at a time), so a bad file never reaches the server.
        BackupReader.read(new java.io.ByteArrayInputStream(document), BackupSecret::destroy);
        RestoreResponse response =
            client()
                .restore(
                    document,
                    folder,
                    dryRun,
                    asCurrent,
                    allowPlaceholder,
                    skipBadRules,
                    Optional.ofNullable(grace),
                    Duration.ofMinutes(30));
        if (json) {
          printJson(response);
          return ExitCode.OK;
        }
        for (RestoreStep step : response.steps()) {
          io().out()
              .println(String.format("%-10s %s: %s", step.action(), step.name(), step.detail()));
        }
        io().out()
            .println(
                (response.dryRun() ? "dry run, nothing written: " : "")
                    + response.created()
                    + " created, "
                    + response.asCurrent()
                    + " made current, "
                    + response.unchanged()
                    + " unchanged, "
                    + response.changed()
                    + " changed since the backup and left alone (backup of "
                    + response.backupCreatedAt()
                    + ")");
        return ExitCode.OK;
      } finally {
        Arrays.fill(document, (byte) 0);
      }
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Checks a backup without a server; exit 0 only when it is sound.",
        "Sound: the passphrase opens it, its integrity code holds, its format is valid and every",
        "value matches its SHA-256. Exit 3 otherwise."
      })
  static final class Verify extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The backup file, or - for standard input.")
    String file;

    @Option(
        names = "--passphrase-file",
        paramLabel = "FILE",
        description = "Its first line is the passphrase; else it is asked at the terminal.")
    Path passphraseFile;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Override
    public Integer call() {
      BackupDocument backup;
      try {
        backup = BackupFiles.open(io(), file, passphraseFile);
      } catch (KeyturnException.CryptoFailure | KeyturnException.InvalidInput e) {
        // A backup that cannot be trusted is what verify looks for: exit 3, like other checks.
        io().err().println("keyturn: " + e.getMessage());
        return ExitCode.FOUND;
      }
      try {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("ok", true);
        summary.put("created_at", backup.header().createdAt().toString());
        summary.put("server_id", backup.header().serverId());
        summary.put("root_key_id", backup.header().rootKeyId());
        summary.put("audit_checkpoint", backup.header().auditCheckpoint().orElse(null));
        summary.put("prefix", backup.header().prefix());
        summary.put("secrets", backup.secrets().size());
        summary.put("versions", backup.versionCount());
        if (json) {
          printJson(summary);
        } else {
          List<String> lines = new ArrayList<>();
          summary.forEach((k, v) -> lines.add(k + ": " + v));
          lines.forEach(io().out()::println);
        }
        return ExitCode.OK;
      } finally {
        backup.destroy();
      }
    }
  }
}
