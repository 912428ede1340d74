package dev.keyturn.cli;

import dev.keyturn.api.KeyringResponse;
import dev.keyturn.client.internal.JwtKeyrings;
import dev.keyturn.client.internal.KeyringVersions;
import dev.keyturn.keyring.JwtKeyring;
import dev.keyturn.keyring.KeyVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code jwt sign NAME (--claims JSON | --claims-file F) [--ttl D] [--alg A]} and {@code jwt verify
 * NAME [--alg A]} without picocli, Jackson or {@code java.net.http}, as {@link FastKeyring} answers
 * the other keyring commands: the same {@link JwtCommand#sign} and {@link JwtCommand#verify}, with
 * the keyring fetched over {@link PlainHttp}. Forms it is not sure of (the {@code --name=value}
 * form, {@code @FILE}, {@code --}, repeated, unknown, missing or conflicting options) are declined
 * before anything is read or sent, and picocli answers them.
 */
final class FastJwt {
  private static final Map<String, Set<String>> VALUES =
      Map.of(
          "sign", Set.of("--alg", "--claims", "--claims-file", "--ttl"),
          "verify", Set.of("--alg"));
  private static final Set<String> RULE_KEYS = Set.of("name", "versions", "generator", "grace");

  private FastJwt() {}

  /** Runs {@code args} ({@code args[0]} is {@code jwt}) or returns DECLINED. */
  static int run(Io io, String[] args) {
    if (args.length < 2 || !VALUES.containsKey(args[1])) {
      return FastCli.DECLINED;
    }
    String action = args[1];
    FastKeyring.Options options = FastKeyring.Options.parse(args, 2, Set.of(), VALUES.get(action));
    if (options == null) {
      return FastCli.DECLINED;
    }
    FastCli.Line line = options.line;
    List<String> positionals = options.positionals;
    Map<String, String> values = options.values;
    boolean sign = action.equals("sign");
    if (positionals.size() != 1
        || sign && values.containsKey("--claims") == values.containsKey("--claims-file")) {
      return FastCli.DECLINED;
    }
    PlainHttp http = FastCli.connection(io, line);
    if (http == null) {
      return FastCli.DECLINED;
    }
    String name = positionals.get(0);
    Optional<String> alg = Optional.ofNullable(values.get("--alg"));
    try {
      if (sign) {
        String file = values.get("--claims-file");
        return JwtCommand.sign(
            io,
            name,
            () -> keyring(http, name, alg),
            values.get("--claims"),
            file == null ? null : Path.of(file),
            values.get("--ttl"));
      }
      return JwtCommand.verify(io, () -> keyring(http, name, alg));
    } catch (IOException | RuntimeException e) {
      io.err().println("keyturn: " + ExitCode.message(e));
      return ExitCode.of(e);
    }
  }

  /** The keyring as {@link JwtKeyrings#fetch} makes it, from the same answer. */
  private static JwtKeyring keyring(PlainHttp http, String name, Optional<String> alg) {
    return JwtCommand.keyring(
        name,
        () -> {
          byte[] body =
              Commands.ok(
                  http.send("GET", "/v1/keyrings/" + Commands.name(name) + "?rule=true", null));
          Map<String, Object> o = Commands.object(body, RULE_KEYS);
          List<KeyVersion> versions =
              o != null && stringOrAbsent(o, "generator") && stringOrAbsent(o, "grace")
                  ? FastKeyring.versions(body, RULE_KEYS)
                  : null;
          if (versions == null) {
            KeyringResponse r = Commands.jackson(body, KeyringResponse.class);
            return JwtKeyrings.of(
                name,
                r.generator(),
                r.grace(),
                alg,
                KeyringVersions.of(r),
                Clock.systemUTC(),
                JwtCommand.EC_MATH);
          }
          return JwtKeyrings.of(
              name,
              (String) o.get("generator"),
              (String) o.get("grace"),
              alg,
              versions,
              Clock.systemUTC(),
              JwtCommand.EC_MATH);
        });
  }

  private static boolean stringOrAbsent(Map<String, Object> o, String key) {
    return !o.containsKey(key) || o.get(key) instanceof String;
  }
}
