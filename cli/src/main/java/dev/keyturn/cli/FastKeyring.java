package dev.keyturn.cli;

import dev.keyturn.api.KeyringResponse;
import dev.keyturn.client.internal.KeyringVersions;
import dev.keyturn.core.Json;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.HmacAlgorithm;
import dev.keyturn.keyring.HmacEncoding;
import dev.keyturn.keyring.HmacKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code keyring NAME}, {@code hmac sign|verify} and {@code fernet encrypt|decrypt} (and, through
 * {@link FastJwt}, {@code jwt sign|verify}) without picocli, Jackson or {@code java.net.http}
 * (docs/performance.md): the same {@link KeyringActions} as the picocli commands, with the keyring
 * fetched over {@link PlainHttp} and read with core's JSON reader (with the client's Jackson mapper
 * and {@link KeyringVersions} when the answer holds anything unusual, so that both paths fail
 * alike). Options in the {@code --name=value} form, {@code --}, {@code @FILE}, {@code keyring
 * --json}, repeated or unknown options and missing or conflicting arguments are declined before
 * anything is read or sent, and picocli answers them.
 */
final class FastKeyring {
  static final Set<String> COMMANDS = Set.of("keyring", "hmac", "fernet", "jwt");

  private static final Map<String, Set<String>> FLAGS =
      Map.of(
          "keyring", Set.of(),
          "sign", Set.of("--stdin"),
          "verify", Set.of("--stdin", "--json"),
          "encrypt", Set.of("--stdin"),
          "decrypt", Set.of("--stdin"));
  private static final Map<String, Set<String>> VALUES =
      Map.of(
          "keyring", Set.of(),
          "sign", Set.of("--file", "--algorithm", "--encoding"),
          "verify", Set.of("--file", "--algorithm"),
          "encrypt", Set.of("--file"),
          "decrypt", Set.of("--file", "--ttl"));
  private static final Set<String> KEYRING_KEYS = Set.of("name", "versions");
  private static final Set<String> ENTRY_KEYS = Set.of("version", "stage", "value", "accept_until");

  private FastKeyring() {}

  /** Runs {@code args} ({@code args[0]} is one of {@link #COMMANDS}) or returns DECLINED. */
  static int run(Io io, String[] args) {
    if (args[0].equals("jwt")) {
      return FastJwt.run(io, args);
    }
    boolean sub = !args[0].equals("keyring");
    if (sub
        && (args.length < 2
            || !(args[0].equals("hmac") ? Set.of("sign", "verify") : Set.of("encrypt", "decrypt"))
                .contains(args[1]))) {
      return FastCli.DECLINED;
    }
    String action = sub ? args[1] : "keyring";
    Options options = Options.parse(args, sub ? 2 : 1, FLAGS.get(action), VALUES.get(action));
    if (options == null) {
      return FastCli.DECLINED;
    }
    FastCli.Line line = options.line;
    List<String> positionals = options.positionals;
    Set<String> flags = options.flags;
    Map<String, String> values = options.values;
    boolean input = !action.equals("keyring");
    if (positionals.size() != (action.equals("verify") ? 2 : 1)
        || input && flags.contains("--stdin") == values.containsKey("--file")) {
      return FastCli.DECLINED;
    }
    HmacAlgorithm algorithm;
    HmacEncoding encoding;
    try {
      algorithm = HmacAlgorithm.of(values.getOrDefault("--algorithm", "sha256"));
      encoding = HmacEncoding.of(values.getOrDefault("--encoding", "hex"));
    } catch (IllegalArgumentException e) {
      return FastCli.DECLINED; // picocli's usage error
    }
    PlainHttp http = FastCli.connection(io, line);
    if (http == null) {
      return FastCli.DECLINED;
    }
    String name = positionals.get(0);
    Path file = values.containsKey("--file") ? Path.of(values.get("--file")) : null;
    try {
      switch (action) {
        case "keyring":
          return keyring(io, fetch(http, name));
        case "sign":
          return KeyringActions.sign(
              io,
              () -> HmacKeyring.of(name, versions(fetch(http, name))),
              algorithm,
              encoding,
              file);
        case "verify":
          return KeyringActions.verify(
              io,
              name,
              positionals.get(1),
              () -> HmacKeyring.of(name, versions(fetch(http, name))),
              algorithm,
              file,
              flags.contains("--json"));
        case "encrypt":
          return KeyringActions.encrypt(
              io, () -> FernetKeyring.of(name, versions(fetch(http, name))), file);
        default:
          return KeyringActions.decrypt(
              io,
              () -> FernetKeyring.of(name, versions(fetch(http, name))),
              values.get("--ttl"),
              file);
      }
    } catch (IOException | RuntimeException e) {
      io.err().println("keyturn: " + ExitCode.message(e));
      return ExitCode.of(e);
    }
  }

  private static byte[] fetch(PlainHttp http, String name) {
    return Commands.ok(http.send("GET", "/v1/keyrings/" + Commands.name(name), null));
  }

  /**
   * A keyring command's options after its name: flags in {@code flagNames}, options with a value in
   * {@code valueNames}, {@code --addr URL}, {@code --insecure-http} and positionals. Shared with
   * {@link FastJwt}.
   */
  static final class Options {
    final FastCli.Line line = new FastCli.Line();
    final List<String> positionals = new ArrayList<>();
    final Set<String> flags = new java.util.HashSet<>();
    final Map<String, String> values = new HashMap<>();

    /** The options of {@code args} from {@code from}, or null when they are to be declined. */
    static Options parse(String[] args, int from, Set<String> flagNames, Set<String> valueNames) {
      Options o = new Options();
      for (int i = from; i < args.length; i++) {
        String arg = args[i];
        if (arg.isEmpty() || arg.startsWith("@") || arg.startsWith("--") && arg.contains("=")) {
          return null;
        }
        if (arg.equals("--insecure-http") && !o.line.insecureHttp) {
          o.line.insecureHttp = true;
        } else if (flagNames.contains(arg)) {
          if (!o.flags.add(arg)) {
            return null;
          }
        } else if (arg.equals("--addr") || valueNames.contains(arg)) {
          if (i + 1 == args.length) {
            return null;
          }
          String value = args[++i];
          if (value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
            return null;
          }
          if (arg.equals("--addr") ? o.line.addr != null : o.values.put(arg, value) != null) {
            return null;
          }
          if (arg.equals("--addr")) {
            o.line.addr = value;
          }
        } else if (arg.startsWith("-")) {
          return null;
        } else {
          o.positionals.add(arg);
        }
      }
      return o;
    }
  }

  private static int keyring(Io io, byte[] body) {
    List<Map<String, Object>> entries = entries(body, KEYRING_KEYS);
    List<String[]> rows = new ArrayList<>();
    for (Map<String, Object> e : entries == null ? List.<Map<String, Object>>of() : entries) {
      if (!(e.get("value") instanceof String text) || !KeyringActions.plain(text)) {
        rows = null;
        break;
      }
      Object until = e.getOrDefault("accept_until", Json.NULL);
      rows.add(
          new String[] {
            Integer.toString(intOf(e.get("version"))),
            (String) e.get("stage"),
            until == Json.NULL ? null : (String) until,
            text
          });
    }
    if (entries == null || rows == null) {
      rows = KeyringActions.rows(Commands.jackson(body, KeyringResponse.class));
    }
    KeyringActions.table(io, rows);
    return ExitCode.OK;
  }

  /** The versions as {@link KeyringVersions} reads them from the same answer. */
  private static List<KeyVersion> versions(byte[] body) {
    return versions(body, KEYRING_KEYS);
  }

  /**
   * The versions as {@link KeyringVersions} reads them from an answer whose object has no keys but
   * {@code keys}.
   */
  static List<KeyVersion> versions(byte[] body, Set<String> keys) {
    List<Map<String, Object>> entries = entries(body, keys);
    if (entries == null || entries.isEmpty()) {
      return KeyringVersions.of(Commands.jackson(body, KeyringResponse.class));
    }
    List<KeyVersion> out = new ArrayList<>();
    for (Map<String, Object> e : entries) {
      int version = intOf(e.get("version"));
      KeyStage stage = KeyStage.of((String) e.get("stage"));
      // a JSON value is refused by every keyring whatever its text
      out.add(
          e.get("value") instanceof String text
              ? KeyVersion.text(version, stage, text)
              : KeyVersion.json(version, stage, Json.write(e.get("value"))));
    }
    return out;
  }

  /** The entries of an answer of the usual shape, else null. */
  private static List<Map<String, Object>> entries(byte[] body, Set<String> keys) {
    Map<String, Object> o = Commands.object(body, keys);
    if (o == null || !(o.get("name") instanceof String) || !(o.get("versions") instanceof List)) {
      return null;
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object item : (List<?>) o.get("versions")) {
      Map<String, Object> e = Commands.fields(item, ENTRY_KEYS);
      if (e == null
          || !Commands.isInt(e.get("version"))
          || intOf(e.get("version")) < 1
          || !(e.get("stage") instanceof String stage)
          || !Set.of("pending", "current", "previous").contains(stage)
          || !(e.get("value") instanceof String || e.get("value") instanceof Map)
          || !Commands.stringOrNull(e.getOrDefault("accept_until", Json.NULL))) {
        return null;
      }
      out.add(e);
    }
    return out;
  }

  private static int intOf(Object value) {
    return ((Json.Number) value).intValue().getAsInt();
  }
}
