package dev.keyturn.cli;

import dev.keyturn.client.internal.CaCertificates;
import dev.keyturn.client.internal.LoopbackHost;
import dev.keyturn.core.KeyturnVersion;
import dev.keyturn.core.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * The common commands without picocli, Jackson or {@code java.net.http}, which cost most of a
 * second to start (docs/performance.md): {@code get NAME [--raw] [--version N | --stage S]}, {@code
 * put NAME --stdin [--keep-newline] [--grace D] [--pending] [--type string]}, {@code ls [PREFIX]},
 * {@code status [PREFIX]}, {@code run --path P -- CMD} ({@link FastRun}), {@code scan} of files for
 * managed values ({@link FastScan}), each with {@code --addr URL} and {@code --insecure-http}, and
 * {@code keyturn}, {@code --help}, {@code -h}, {@code help}, {@code --version}, {@code -V}.
 *
 * <p>It answers only what it is sure to answer as {@link KeyturnCli} does, byte for byte, exit code
 * included; anything else is <em>declined</em> before any side effect (standard input unread,
 * nothing sent) and goes to {@link KeyturnCli}: other options and commands, {@code --json}, an
 * address it does not parse plainly, a {@code KEYTURN_CACERT} that cannot be read, no token, a
 * plain-HTTP address of another machine without {@code --insecure-http} (refused there). The
 * server's answers are read with core's JSON reader, and with the client's Jackson mapper whenever
 * they hold anything unusual, so that both paths fail alike.
 */
public final class FastCli {
  /** What {@link #run} returns for a command line it leaves to {@link KeyturnCli}. */
  public static final int DECLINED = -1;

  private static final Set<String> HELP = Set.of("--help", "-h", "help");
  private static final Set<String> VERSION = Set.of("--version", "-V");

  private FastCli() {}

  /** Runs {@code args} if this class answers them; else returns {@link #DECLINED}. */
  public static int run(String[] args) {
    if (args.length > 0
        && !Commands.NAMES.contains(args[0])
        && !args[0].equals("run")
        && !args[0].equals("scan")
        && !FastKeyring.COMMANDS.contains(args[0])
        && !args[0].startsWith("-")
        && !args[0].equals("help")) {
      return DECLINED; // e.g. generate, token, rotate: not worth reading the environment
    }
    // No terminal check: only login asks (System.console() loads the JDK's line editor).
    Io io =
        new Io(
            System.in,
            System.out,
            System.err,
            System.getenv(),
            Path.of(System.getProperty("user.home")),
            Path.of("").toAbsolutePath(),
            false);
    return run(io, args);
  }

  /** Runs {@code args} with {@code io} if this class answers them; else {@link #DECLINED}. */
  static int run(Io io, String... args) {
    if (args.length > 0 && args[0].equals("run")) {
      return FastRun.run(io, args);
    }
    if (args.length > 0 && args[0].equals("scan")) {
      return FastScan.run(io, args);
    }
    if (args.length > 0 && FastKeyring.COMMANDS.contains(args[0])) {
      return FastKeyring.run(io, args);
    }
    if (args.length == 0 || args.length == 1 && HELP.contains(args[0])) {
      io.out().print(usage());
      io.out().flush();
      return ExitCode.OK;
    }
    if (args.length == 1 && VERSION.contains(args[0])) {
      io.out().println("keyturn " + KeyturnVersion.get());
      io.out().flush();
      return ExitCode.OK;
    }
    Line line = Line.parse(args);
    if (line == null) {
      return DECLINED;
    }
    PlainHttp http = connection(io, line);
    if (http == null) {
      return DECLINED;
    }
    try {
      return new Commands(io, http).run(line);
    } catch (IOException | RuntimeException e) {
      io.err().println("keyturn: " + ExitCode.message(e));
      return ExitCode.of(e);
    }
  }

  /** {@link #run}, else {@link KeyturnCli}: what {@code keyturn} does with {@code args}. */
  static int dispatch(Io io, String... args) {
    int code = run(io, args);
    return code == DECLINED ? KeyturnCli.run(io, args) : code;
  }

  /** The top-level help, as picocli renders it (checked by a test against picocli). */
  static String usage() {
    try (InputStream in = FastCli.class.getResourceAsStream("usage.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("usage.txt is missing from the jar", e);
    }
  }

  /**
   * The connection {@link KeyturnCli} would make, or null when it would do something this class
   * leaves to it (refuse, report a setting it cannot read, an unusual address, or no token).
   */
  static PlainHttp connection(Io io, Line line) {
    try {
      String address = ClientSettings.address(io, Optional.ofNullable(line.addr));
      URI uri = plainAddress(address);
      boolean refused =
          uri != null
              && uri.getScheme().equals("http")
              && !line.insecureHttp
              && !LoopbackHost.is(uri.getHost());
      if (uri == null || refused) {
        return null;
      }
      String token = ClientSettings.token(io).orElse(null);
      if (token == null || token.isEmpty()) {
        return null;
      }
      for (int i = 0; i < token.length(); i++) {
        char c = token.charAt(i);
        if (c < 0x21 || c > 0x7e) {
          return null;
        }
      }
      // read even for http://, as KeyturnCli does, so that a bad one fails there alike
      Optional<String> caCert = new Settings(io.env()).get("KEYTURN_CACERT");
      SSLContext tls =
          caCert.isPresent()
              ? CaCertificates.trusting(io.workingDir().resolve(caCert.get()))
              : null;
      return new PlainHttp(uri, token, tls);
    } catch (RuntimeException e) {
      return null; // a setting that cannot be read: KeyturnCli says so
    }
  }

  /** {@code http[s]://HOST[:PORT][/]} with a plain host name or address, else null. */
  static URI plainAddress(String address) {
    String scheme =
        address.startsWith("http://") ? "http" : address.startsWith("https://") ? "https" : null;
    if (scheme == null) {
      return null;
    }
    String authority = address.substring(scheme.length() + "://".length());
    if (authority.endsWith("/")) {
      authority = authority.substring(0, authority.length() - 1);
    }
    String host = authority;
    int colon = authority.lastIndexOf(':');
    if (colon >= 0 && authority.indexOf(']') < colon) {
      host = authority.substring(0, colon);
      String port = authority.substring(colon + 1);
      if (port.isEmpty() || port.length() > 5 || !chars(port, "0123456789", false)) {
        return null;
      }
      if (Integer.parseInt(port) > 65535) {
        return null;
      }
    }
    boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.length() > 2;
    boolean plain =
        bracketed
            ? chars(host.substring(1, host.length() - 1), "0123456789abcdefABCDEF:.", false)
            : !host.isEmpty() && chars(host, ".-", true) && !host.startsWith("-");
    return plain ? URI.create(scheme + "://" + authority) : null;
  }

  private static boolean chars(String text, String allowed, boolean alphanumeric) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean letterOrDigit = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
      if (!(alphanumeric && letterOrDigit) && allowed.indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  /** A parsed command line: command, positionals, options; null for anything unusual. */
  static final class Line {
    private static final Map<String, Set<String>> FLAGS =
        Map.of(
            "get", Set.of("--raw"),
            "put", Set.of("--stdin", "--keep-newline", "--pending"),
            "ls", Set.of(),
            "status", Set.of());
    private static final Map<String, Set<String>> VALUES =
        Map.of(
            "get", Set.of("--version", "--stage"),
            "put", Set.of("--grace", "--type"),
            "ls", Set.of(),
            "status", Set.of());

    String command;
    String addr;
    boolean insecureHttp;
    final List<String> positionals = new ArrayList<>();
    final Set<String> flags = new java.util.HashSet<>();
    final Map<String, String> values = new HashMap<>();

    static Line parse(String[] args) {
      Line line = new Line();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.isEmpty() || arg.startsWith("@")) {
          return null; // picocli reads @FILE as arguments
        }
        String value = null;
        String option = arg;
        if (arg.startsWith("--") && arg.indexOf('=') > 0) {
          option = arg.substring(0, arg.indexOf('='));
          value = arg.substring(arg.indexOf('=') + 1);
        }
        if (option.equals("--insecure-http") && value == null) {
          if (line.insecureHttp) {
            return null;
          }
          line.insecureHttp = true;
          continue;
        }
        boolean valued =
            option.equals("--addr")
                || line.command != null && VALUES.get(line.command).contains(option);
        if (valued) {
          if (value == null) {
            if (i + 1 == args.length) {
              return null;
            }
            value = args[++i];
          }
          if (value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
            return null;
          }
          if (option.equals("--addr")) {
            if (line.addr != null) {
              return null;
            }
            line.addr = value;
          } else if (line.values.put(option, value) != null) {
            return null;
          }
          continue;
        }
        if (line.command == null) {
          if (!FLAGS.containsKey(arg)) {
            return null;
          }
          line.command = arg;
        } else if (value == null && FLAGS.get(line.command).contains(arg)) {
          if (!line.flags.add(arg)) {
            return null;
          }
        } else if (arg.startsWith("-")) {
          return null;
        } else {
          line.positionals.add(arg);
        }
      }
      return line.command != null && line.valid() ? line : null;
    }

    private boolean valid() {
      return switch (command) {
        case "get" -> positionals.size() == 1 && validRead();
        case "put" ->
            positionals.size() == 1
                && flags.contains("--stdin")
                && values.getOrDefault("--type", "string").equals("string");
        default -> positionals.size() <= 1;
      };
    }

    private boolean validRead() {
      String version = values.get("--version");
      String stage = values.get("--stage");
      if (version != null && stage != null) {
        return false;
      }
      if (version != null && (version.length() > 9 || !chars(version, "0123456789", false))) {
        return false;
      }
      return stage == null || Set.of("pending", "current", "previous").contains(stage);
    }

    String positional() {
      return positionals.isEmpty() ? "" : positionals.get(0);
    }

    static String query(Map<String, String> params) {
      StringBuilder out = new StringBuilder();
      for (Map.Entry<String, String> e : params.entrySet()) {
        out.append(out.isEmpty() ? '?' : '&')
            .append(e.getKey())
            .append('=')
            .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
      }
      return out.toString();
    }
  }
}
