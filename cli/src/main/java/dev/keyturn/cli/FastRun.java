package dev.keyturn.cli;

import dev.keyturn.api.BundleEntry;
import dev.keyturn.api.BundleResponse;
import dev.keyturn.api.KeyringEntry;
import dev.keyturn.cli.delivery.Fetched;
import dev.keyturn.cli.delivery.Mapping;
import dev.keyturn.cli.delivery.MappingSpec;
import dev.keyturn.cli.delivery.SecretSource;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.core.KeyturnException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code keyturn run [--path P]... [--keyring] -- CMD [ARGS]} without picocli, Jackson or {@code
 * java.net.http} (docs/performance.md): the same {@link Mapping}, checks and {@link
 * RunCommand#start} as {@link RunCommand}, with the bundle fetched over {@link PlainHttp} and read
 * with core's JSON reader (with the client's Jackson mapper when an entry holds anything else than
 * string values, such as a database secret's object). Any other option, an {@code @FILE} argument,
 * or no CMD is declined before anything is sent, and {@link RunCommand} answers it.
 */
final class FastRun {
  private static final Set<String> ENTRY_KEYS =
      Set.of("name", "version", "stage", "type", "value", "created_at", "fallbacks");
  private static final Set<String> FALLBACK_KEYS =
      Set.of("version", "stage", "value", "accept_until");

  private FastRun() {}

  /** Runs {@code args} ({@code args[0]} is {@code run}) or returns {@link FastCli#DECLINED}. */
  static int run(Io io, String[] args) {
    List<String> paths = new ArrayList<>();
    boolean keyring = false;
    FastCli.Line line = new FastCli.Line();
    int i = 1;
    for (; i < args.length && !args[i].equals("--"); i++) {
      String arg = args[i];
      String option = arg;
      String value = null;
      if (arg.startsWith("--") && arg.indexOf('=') > 0) {
        option = arg.substring(0, arg.indexOf('='));
        value = arg.substring(arg.indexOf('=') + 1);
      }
      if (option.equals("--keyring") && value == null && !keyring) {
        keyring = true;
        continue;
      }
      if (option.equals("--insecure-http") && value == null && !line.insecureHttp) {
        line.insecureHttp = true;
        continue;
      }
      if (!option.equals("--path") && !(option.equals("--addr") && line.addr == null)) {
        return FastCli.DECLINED;
      }
      if (value == null) {
        if (i + 1 == args.length) {
          return FastCli.DECLINED;
        }
        value = args[++i];
      }
      if (value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
        return FastCli.DECLINED;
      }
      if (option.equals("--addr")) {
        line.addr = value;
      } else {
        paths.add(value);
      }
    }
    if (paths.isEmpty() || i + 1 >= args.length) {
      return FastCli.DECLINED; // no mapping or no CMD: RunCommand words the error
    }
    List<String> command = List.of(args).subList(i + 1, args.length);
    for (String arg : args) {
      if (arg.startsWith("@")) {
        return FastCli.DECLINED; // picocli reads @FILE as arguments
      }
    }
    PlainHttp http = FastCli.connection(io, line);
    if (http == null) {
      return FastCli.DECLINED;
    }
    try {
      Variables variables =
          new Mapping(new Source(http), w -> io.err().println("keyturn: " + w))
              .resolve(new MappingSpec(paths, List.of(), keyring));
      return RunCommand.start(io, variables, command, null, false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      io.err().println("keyturn: " + ExitCode.message(e));
      return ExitCode.of(e);
    } catch (RuntimeException e) {
      io.err().println("keyturn: " + ExitCode.message(e));
      return ExitCode.of(e);
    }
  }

  /** {@link ClientSource#below} over {@link PlainHttp}; single secrets are declined earlier. */
  private static final class Source implements SecretSource {
    private final PlainHttp http;

    Source(PlainHttp http) {
      this.http = http;
    }

    @Override
    public List<Fetched> below(String prefix, boolean keyrings) {
      Map<String, String> query = new LinkedHashMap<>();
      if (!prefix.isEmpty()) {
        query.put(
            "prefix",
            Commands.name(
                prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix));
      }
      if (keyrings) {
        query.put("keyring", "true");
      }
      byte[] body;
      try {
        body = Commands.ok(http.send("GET", "/v1/bundles" + FastCli.Line.query(query), null));
      } catch (KeyturnForbiddenException e) {
        throw new KeyturnException.Forbidden("--path " + prefix + ": " + e.getMessage());
      }
      List<Fetched> plain = plain(body);
      return plain != null ? plain : jackson(body);
    }

    @Override
    public Optional<Fetched> one(String name, boolean keyring) {
      throw new IllegalStateException("FastRun declines --secret and --optional");
    }

    /** The entries when every one holds only strings where values go, else null. */
    @SuppressWarnings("unchecked")
    private static List<Fetched> plain(byte[] body) {
      Map<String, Object> o = Commands.object(body, Set.of("prefix", "secrets"));
      if (o == null
          || !(o.get("prefix") instanceof String)
          || !(o.get("secrets") instanceof List)) {
        return null;
      }
      List<Fetched> out = new ArrayList<>();
      for (Object item : (List<Object>) o.get("secrets")) {
        Map<String, Object> e = Commands.fields(item, ENTRY_KEYS);
        if (e == null
            || !(e.get("name") instanceof String name)
            || !Commands.isInt(e.get("version"))
            || !Commands.stringOrNull(e.get("stage"))
            || !Commands.stringOrNull(e.get("type"))
            || !(e.get("value") instanceof String value)
            || !Commands.stringOrNull(e.get("created_at"))) {
          return null;
        }
        List<String> others = new ArrayList<>();
        Object fallbacks = e.get("fallbacks");
        if (fallbacks instanceof List<?> list) {
          for (Object f : list) {
            Map<String, Object> k = Commands.fields(f, FALLBACK_KEYS);
            if (k == null
                || !Commands.isInt(k.get("version"))
                || !Commands.stringOrNull(k.get("stage"))
                || !(k.get("value") instanceof String other)
                || !Commands.stringOrNull(k.get("accept_until"))) {
              return null;
            }
            others.add(other);
          }
        } else if (fallbacks != null && fallbacks != dev.keyturn.core.Json.NULL) {
          return null;
        }
        out.add(new Fetched(name, value, false, others));
      }
      return out;
    }

    /** As {@link ClientSource#below} reads them. */
    private static List<Fetched> jackson(byte[] body) {
      List<Fetched> out = new ArrayList<>();
      for (BundleEntry e : Commands.jackson(body, BundleResponse.class).secrets()) {
        List<String> others = new ArrayList<>();
        for (KeyringEntry k : e.fallbacks() == null ? List.<KeyringEntry>of() : e.fallbacks()) {
          others.add(ClientSource.text(k.value()));
        }
        out.add(new Fetched(e.name(), ClientSource.text(e.value()), !e.value().isString(), others));
      }
      return out;
    }
  }
}
