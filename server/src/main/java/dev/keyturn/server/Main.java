package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.KeyturnVersion;
import dev.keyturn.core.Settings;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn server}: runs the server until interrupted. */
@Command(
    name = "keyturn server",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Runs the Keyturn server. With no options it keeps everything in ./keyturn-data",
      "(SQLite, root key, root token) and listens on 127.0.0.1:8270.",
      "",
      "Environment: KEYTURN_DATA, KEYTURN_LISTEN, KEYTURN_STORE, KEYTURN_ROOT_KEY,",
      "KEYTURN_TLS_CERT, KEYTURN_TLS_KEY, KEYTURN_TRUST_PROXY",
      "(each also as X_FILE, naming a file that holds the value)."
    })
public final class Main implements Callable<Integer> {
  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Data directory (default ./keyturn-data).")
  Path data;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description = "Address to listen on (default 127.0.0.1:8270).")
  String listen;

  @Option(
      names = "--store",
      paramLabel = "URL",
      description =
          "JDBC URL of the store: jdbc:sqlite:PATH (default) or jdbc:postgresql://HOST/DB. Prefer KEYTURN_STORE for URLs with passwords.")
  String store;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description = "PEM certificate chain to serve HTTPS with (with --tls-key).")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "PEM (PKCS#8) private key of --tls-cert.")
  Path tlsKey;

  @Option(
      names = "--insecure-http",
      description =
          "Allow plain HTTP on a non-loopback address (when a proxy in front terminates TLS).")
  boolean insecureHttp;

  @Option(
      names = "--trust-proxy",
      paramLabel = "CIDR[,CIDR...]",
      description =
          "Proxies whose X-Forwarded-For is believed: the client is the first address, from the"
              + " right, that is not one of them (for audit and throttling).")
  String trustProxy;

  @Option(
      names = "--auth-failure-limit",
      paramLabel = "N",
      description =
          "Failed authentications per minute from one address before it gets 429 (default 10).")
  Integer authFailureLimit;

  @Option(
      names = "--auth-lockout",
      paramLabel = "DURATION",
      description = "How long such an address is refused (default 60s).")
  String authLockout;

  @Option(
      names = "--notify-url",
      paramLabel = "URL",
      description =
          "Announce finished and failed rotations and overdue secrets here (JSON with a 'text'"
              + " field, as Slack-style incoming webhooks take).")
  String notifyUrl;

  @Option(
      names = "--notify-signing-secret",
      paramLabel = "NAME",
      description = "Sign announcements with this secret's value (X-Keyturn-Signature).")
  String notifySigningSecret;

  @Option(
      names = "--max-requests-per-client",
      paramLabel = "N",
      description = "Requests in progress from one client address before it gets 429 (default 32).")
  Integer maxRequestsPerClient;

  @Option(
      names = "--max-streams",
      paramLabel = "N",
      description = "Open event streams (GET /v1/watch) this server holds (default 2000).")
  Integer maxStreams;

  @Option(
      names = "--header-timeout",
      paramLabel = "DURATION",
      description = "Time a client has to send a request's headers (default 10s).")
  String headerTimeout;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      description = "Time a connection may stay silent before it is closed (default 30s).")
  String idleTimeout;

  @Option(
      names = "--min-request-rate",
      paramLabel = "BYTES",
      description =
          "Least average rate, in bytes a second, at which a request body must arrive (default"
              + " 1024).")
  Long minRequestRate;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The operator's configuration file (YAML): the commands rules may name, the SQLite"
              + " files sql hooks may open, and where scoped admins' hooks may connect."
              + " See docs/rules.md.")
  Path configFile;

  @Option(
      names = "--unseal-shares",
      paramLabel = "K",
      description =
          "When no root key is given (KEYTURN_ROOT_KEY[_FILE]) or in DATA/root.key, start sealed:"
              + " answer only health and POST /v1/unseal until K shares of the root key (keyturn"
              + " root-key split) rebuild it; 'keyturn unseal' submits them.")
  Integer unsealShares;

  @Option(
      names = "--backup-dir",
      paramLabel = "DIR",
      description =
          "Write scheduled backups here (keyturn-backup-YYYYMMDDTHHMMSSZ.pgp, UTC, mode 600),"
              + " encrypted to --backup-recipient keys. See docs/backup.md.")
  Path backupDir;

  @Option(
      names = "--backup-every",
      paramLabel = "DURATION",
      description = "How often (default 24h).")
  String backupEvery;

  @Option(
      names = "--backup-keep",
      paramLabel = "N",
      description = "How many scheduled backups are kept; older ones are deleted (default 14).")
  Integer backupKeep;

  @Option(
      names = "--backup-recipient",
      paramLabel = "PUBKEY.asc",
      description =
          "Encrypt scheduled backups to this public key (gpg --export --armor); repeatable. Public"
              + " keys only: the server never holds what opens its backups.")
  java.util.List<Path> backupRecipients;

  // Refused with the reason: a server that held the passphrase could open every backup it wrote.
  @Option(names = "--backup-passphrase-file", paramLabel = "FILE", hidden = true)
  Path backupPassphraseFile;

  @Option(
      names = "--ui",
      paramLabel = "on|off",
      description =
          "Serve the web dashboard at /ui/ (default: on when listening on a loopback address, off"
              + " otherwise). See docs/dashboard.md.")
  String ui;

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      description =
          "Server log format: text (default) or json (one object a line, with request_id).")
  String logFormat = "text";

  public static void main(String[] args) {
    int code = run(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Parses {@code args} and runs; returns the exit code (0 only after a clean stop). */
  public static int run(String[] args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public Integer call() throws InterruptedException {
    KeyturnServer server;
    LogFormat format;
    try {
      format = LogFormat.of(logFormat);
    } catch (KeyturnException e) {
      System.err.println("keyturn server: " + e.getMessage());
      return 2;
    }
    format.apply();
    try {
      ServerConfig resolved =
          ServerFlags.resolve(
              new ServerFlags(
                  data,
                  listen,
                  store,
                  tlsCert,
                  tlsKey,
                  insecureHttp,
                  trustProxy,
                  authFailureLimit,
                  authLockout,
                  notifyUrl,
                  notifySigningSecret,
                  HttpLimits.of(
                      maxRequestsPerClient, headerTimeout, idleTimeout, minRequestRate, maxStreams),
                  configFile),
              Settings.fromEnvironment());
      ServerConfig.Builder builder = resolved.toBuilder();
      if (unsealShares != null) {
        builder.unsealShares(unsealShares);
      }
      if (ui != null) {
        if (!ui.equals("on") && !ui.equals("off")) {
          throw new KeyturnException.InvalidInput("--ui takes on or off");
        }
        builder.ui(ui.equals("on"));
      }
      builder.backups(
          BackupSchedule.of(
              backupDir, backupEvery, backupKeep, backupRecipients, backupPassphraseFile != null));
      ServerConfig config = builder.build();
      server = KeyturnServer.start(config, Clock.systemUTC(), new SecureRandom());
      server.newRootToken().ifPresent(token -> announceRootToken(token, config.dataDir(), format));
    } catch (KeyturnException e) {
      System.err.println("keyturn server: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "keyturn-shutdown"));
    server.join();
    return 0;
  }

  private static void announceRootToken(String token, Path dataDir, LogFormat format) {
    boolean terminal = isTerminal();
    if (format == LogFormat.JSON && !terminal) {
      // One log line, so that every line of a JSON log parses; without a terminal the
      // announcement never holds the token itself.
      java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
      announceRootToken(
          token,
          dataDir,
          false,
          new PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8));
      org.slf4j.LoggerFactory.getLogger(Main.class)
          .info(text.toString(java.nio.charset.StandardCharsets.UTF_8).strip());
      return;
    }
    announceRootToken(token, dataDir, terminal, System.out);
  }

  /**
   * Tells where the new root token is and how the CLI finds it: by itself only from the folder that
   * holds {@code keyturn-data}, else through the {@code KEYTURN_TOKEN_FILE} line printed. The token
   * itself is shown on a terminal only, never in a log.
   */
  static void announceRootToken(String token, Path dataDir, boolean terminal, PrintStream out) {
    Path file = dataDir.resolve(Bootstrap.ROOT_TOKEN_FILE);
    String exportLine = "export KEYTURN_TOKEN_FILE=" + file;
    if (terminal) {
      out.println();
      out.println("Root token (shown once; keep it safe):");
      out.println();
      out.println("    " + token);
      out.println();
      out.println("It is also in " + file + " (mode 600).");
    } else {
      out.println("Root token written to " + file + " (mode 600).");
    }
    if (dataDir.getFileName().toString().equals("keyturn-data") && dataDir.getParent() != null) {
      out.println("The CLI finds it when run from " + dataDir.getParent() + "; elsewhere, run:");
    } else {
      out.println("The CLI does not look in " + dataDir + " by itself; to use this token, run:");
    }
    out.println();
    out.println("    " + exportLine);
    out.println();
    if (terminal) {
      out.println("Store it elsewhere and delete that file when you go to production.");
      out.println();
    }
    out.flush();
  }

  /** True when standard output is an interactive terminal (never a pipe, file or log). */
  static boolean isTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // JDK 22+ returns a Console even when redirected; isTerminal() tells the difference.
      Method isTerminal = java.io.Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  /** Prints the version for {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"keyturn " + KeyturnVersion.get()};
    }
  }
}
