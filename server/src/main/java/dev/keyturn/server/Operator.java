package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Settings;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.store.NodePresence;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyturn operator}: local commands that work on the store directly, without a server, and
 * need it to themselves (the SQLite lock file, or on PostgreSQL the exclusive {@link NodePresence}
 * lock, which fails while any server runs).
 */
@Command(
    name = "keyturn operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Local recovery commands. They open the store directly, need the root key, and refuse"
          + " while a Keyturn server uses the store.",
    },
    subcommands = {Operator.IssueRootToken.class})
public final class Operator implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = new CommandLine(new Operator()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** {@code keyturn operator issue-root-token}. */
  @Command(
      name = "issue-root-token",
      mixinStandardHelpOptions = true,
      description = {
        "Writes a new token holding admin:* with no creator and no expiry, and audits it"
            + " (action token.issue-root), for when no valid admin:* token is left.",
        "Needs the root key (DATA/root.key or KEYTURN_ROOT_KEY[_FILE]) and the store to itself:"
            + " stop every server first.",
      })
  static final class IssueRootToken implements Callable<Integer> {
    @Option(
        names = "--data",
        paramLabel = "DIR",
        description = "Data directory (default ./keyturn-data).")
    Path data;

    @Option(
        names = "--store",
        paramLabel = "URL",
        description = "JDBC URL of the store, as for the server (prefer KEYTURN_STORE).")
    String store;

    @Option(
        names = "--out",
        paramLabel = "FILE",
        description =
            "Where to write the token (mode 600; must not exist; default DATA/root.token).")
    Path out;

    @Override
    public Integer call() {
      try {
        ServerConfig config =
            ServerFlags.resolve(
                new ServerFlags(
                    data, null, store, null, null, false, null, null, null, null, null, null),
                Settings.fromEnvironment());
        Path file = out != null ? out : config.dataDir().resolve(Bootstrap.ROOT_TOKEN_FILE);
        String id = issue(config, file, Clock.systemUTC(), new SecureRandom());
        System.out.println("issued " + id + " (admin:*); the token is in " + file + " (mode 600)");
        return 0;
      } catch (KeyturnException e) {
        System.err.println("keyturn operator issue-root-token: " + e.getMessage());
        return e instanceof KeyturnException.NotFound ? 5 : 1;
      }
    }
  }

  /**
   * Issues a root token: takes the store for this process alone, checks the root key against the
   * store, writes the token to {@code file} (a new file, mode 600, never through a symbolic link),
   * audits the issue, then stores the token. Sealing does not exist yet; a sealed store will be
   * refused here once it does.
   *
   * @return the new token's id
   * @throws KeyturnException when the store is in use, empty or under another root key, or the file
   *     exists
   */
  static String issue(ServerConfig config, Path file, Clock clock, SecureRandom random) {
    requireNonNull(config, "config");
    requireNonNull(file, "file");
    sqliteFile(config.storeUrl())
        .filter(db -> !Files.exists(db, LinkOption.NOFOLLOW_LINKS))
        .ifPresent(db -> {
          throw new KeyturnException.NotFound("there is no store at " + db);
        });
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyturnException.Conflict(
          file + " exists; move it away or name another file with --out");
    }
    try (StoreLock lock = StoreLock.acquire(config.storeUrl());
        NodePresence alone = NodePresence.exclusive(config.storeUrl());
        Store store = JdbcStore.open(config.storeUrl(), clock)) {
      if (store.isEmpty()) {
        throw new KeyturnException.Conflict(
            "the store is empty: start the server, which makes the first root token");
      }
      RootKeyFiles.Keys keys =
          Bootstrap.rootKeys(store, config.dataDir(), config.rootKey(), random);
      String token = Tokens.newToken(random);
      Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
      TokenRecord record =
          new TokenRecord(
              Tokens.newId(random),
              "root",
              Tokens.hash(token),
              List.of("admin:*"),
              now,
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              TokenRecord.CreatorSource.RECORDED);
      Bootstrap.writeOwnerOnly(file, token + "\n", true);
      AuditKeys.Opened opened =
          AuditKeys.open(store.settings(), keys.current(), keys.next(), random);
      try (AuditLog audit = store.openAuditLog(opened.chain())) {
        store.protect(opened.envelope());
        // The token and its record commit together: a token holding admin:* never exists
        // unaudited (invariant 9).
        store.inTransaction(work -> {
          work.tokens().create(record);
          work.audit()
              .append(
                  List.of(
                      new AuditEvent(
                          now,
                          "operator",
                          "local",
                          "token.issue-root",
                          Optional.empty(),
                          Optional.empty(),
                          "ok",
                          "issued " + record.id() + " admin:*")));
          return null;
        });
      } catch (RuntimeException e) {
        deleteQuietly(file);
        throw e;
      } finally {
        opened.envelope().destroy();
        opened.chain().destroy();
      }
      return record.id();
    }
  }

  private static Optional<Path> sqliteFile(String url) {
    if (!url.startsWith("jdbc:sqlite:")) {
      return Optional.empty();
    }
    String path = url.substring("jdbc:sqlite:".length()).split("\\?", 2)[0];
    return path.isEmpty() || path.startsWith(":memory:")
        ? Optional.empty()
        : Optional.of(Path.of(path));
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // the token in it was never stored, so it opens nothing
    }
  }
}
