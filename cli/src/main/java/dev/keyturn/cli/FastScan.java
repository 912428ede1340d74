package dev.keyturn.cli;

import dev.keyturn.api.FingerprintPattern;
import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.FingerprintVersion;
import dev.keyturn.core.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code keyturn scan} of files for managed values, without picocli, Jackson's reading or {@code
 * java.net.http}, whose start cost half a second of CPU time before the first byte was read
 * (docs/performance.md): {@code scan [PATH...] [--no-patterns] [--threads N] [--encodings E,...]
 * [--prefix P] [--format F] [--max-size SIZE] [--addr URL] [--insecure-http]}. Anything else
 * ({@code --patterns-only}, {@code --git}, {@code --rotate}, {@code --out}, {@code --help}, a
 * repeated option, {@code --opt=value}, a value {@link ScanCommand} would refuse) is declined
 * before anything is sent, and {@link ScanCommand} answers it. The scan, the report and the exit
 * code are {@link ScanRun}'s, as there; the fingerprint answer is read with core's JSON reader when
 * it has exactly the expected fields and types, else with the client's Jackson mapper, so that odd
 * answers fail alike.
 */
final class FastScan {
  private static final Set<String> VALUED =
      Set.of("--threads", "--encodings", "--prefix", "--format", "--max-size", "--addr");
  private static final Set<String> ANSWER = Set.of("prefix", "key", "versions", "unreadable");
  private static final Set<String> VERSION =
      Set.of("name", "version", "stage", "type", "length", "digest", "patterns", "accept_until");
  private static final Set<String> PATTERN =
      Set.of("field", "encoding", "length", "digest", "window", "windows");

  /**
   * The largest fingerprint answer read: {@link PlainHttp#MAX_BODY} is too small for one the server
   * gives (up to 30,000 versions and 64 MiB of digests, plus names and field names), which the JDK
   * client that {@link ScanCommand} uses reads whole.
   */
  static final int MAX_ANSWER = 256 << 20;

  private FastScan() {}

  /** Runs {@code args} (starting with {@code scan}) if this class answers them; else declines. */
  static int run(Io io, String[] args) {
    Map<String, String> values = new LinkedHashMap<>();
    List<Path> paths = new ArrayList<>();
    boolean noPatterns = false;
    boolean insecureHttp = false;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (arg.isEmpty() || arg.startsWith("@")) {
        return FastCli.DECLINED; // picocli reads @FILE as arguments
      }
      if (VALUED.contains(arg)) {
        if (i + 1 == args.length || values.containsKey(arg)) {
          return FastCli.DECLINED;
        }
        String value = args[++i];
        if (value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
          return FastCli.DECLINED;
        }
        values.put(arg, value);
      } else if (arg.equals("--no-patterns") && !noPatterns) {
        noPatterns = true;
      } else if (arg.equals("--insecure-http") && !insecureHttp) {
        insecureHttp = true;
      } else if (arg.startsWith("-")) {
        return FastCli.DECLINED;
      } else {
        paths.add(Path.of(arg));
      }
    }
    String format = values.getOrDefault("--format", "text");
    List<String> encodings =
        values.containsKey("--encodings")
            ? List.of(values.get("--encodings").split(",", -1))
            : List.of();
    Integer threads = threads(values.get("--threads"));
    Long maxSize = maxSize(values.getOrDefault("--max-size", "100M"));
    if (!Set.of("text", "json", "sarif").contains(format)
        || !Set.of("raw", "base64", "url").containsAll(encodings)
        || values.containsKey("--threads") && threads == null
        || maxSize == null) {
      return FastCli.DECLINED; // ScanCommand says what is wrong
    }
    FastCli.Line line = new FastCli.Line();
    line.addr = values.get("--addr");
    line.insecureHttp = insecureHttp;
    PlainHttp http = FastCli.connection(io, line);
    if (http == null) {
      return FastCli.DECLINED;
    }
    String prefix = values.getOrDefault("--prefix", "");
    ScanRun.Options options =
        new ScanRun.Options(
            paths,
            null,
            noPatterns,
            false,
            threads == null ? Runtime.getRuntime().availableProcessors() : threads,
            maxSize,
            format,
            null);
    try {
      ScanReport.Result result =
          ScanRun.run(io, options, () -> fingerprints(http, prefix, encodings));
      return result.findings().isEmpty() ? ExitCode.OK : ExitCode.FOUND;
    } catch (Exception e) {
      io.err().println("keyturn: " + ExitCode.message(e));
      return ExitCode.of(e);
    }
  }

  /** {@code --threads}: 1 to 256 in plain digits, else null. */
  private static Integer threads(String text) {
    if (text == null || text.length() > 3 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    int n = Integer.parseInt(text);
    return n >= 1 && n <= 256 ? n : null;
  }

  private static Long maxSize(String text) {
    try {
      return ScanCommand.size(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** {@code POST /v1/fingerprints}, as {@code WireClient.fingerprints} sends and reads it. */
  static FingerprintResponse fingerprints(PlainHttp http, String prefix, List<String> encodings) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("prefix", prefix);
    request.put("encodings", encodings.isEmpty() ? Json.NULL : encodings);
    byte[] body =
        Commands.ok(
            http.send(
                "POST",
                "/v1/fingerprints",
                Json.write(request).getBytes(StandardCharsets.UTF_8),
                MAX_ANSWER));
    FingerprintResponse answer = read(body);
    return answer != null ? answer : Commands.jackson(body, FingerprintResponse.class);
  }

  /** The answer when it has exactly the fields and types expected, else null. */
  static FingerprintResponse read(byte[] body) {
    Map<String, Object> o = Commands.object(body, ANSWER);
    if (o == null
        || o.size() != ANSWER.size()
        || !(o.get("prefix") instanceof String prefix)
        || !(o.get("key") instanceof String key)
        || !(o.get("versions") instanceof List<?> list)
        || !Commands.isInt(o.get("unreadable"))) {
      return null;
    }
    List<FingerprintVersion> versions = new ArrayList<>(list.size());
    for (Object item : list) {
      Map<String, Object> v = Commands.fields(item, VERSION);
      if (v == null
          || v.size() != VERSION.size()
          || !(v.get("name") instanceof String name)
          || !Commands.isInt(v.get("version"))
          || !(v.get("stage") instanceof String stage)
          || !(v.get("type") instanceof String type)
          || !Commands.isInt(v.get("length"))
          || !(v.get("digest") instanceof String digest)
          || !(v.get("patterns") instanceof List<?> patternList)
          || !Commands.stringOrNull(v.get("accept_until"))) {
        return null;
      }
      List<FingerprintPattern> patterns = new ArrayList<>(patternList.size());
      for (Object p : patternList) {
        Map<String, Object> f = Commands.fields(p, PATTERN);
        if (f == null
            || f.size() != PATTERN.size()
            || !Commands.stringOrNull(f.get("field"))
            || !(f.get("encoding") instanceof String encoding)
            || !Commands.isInt(f.get("length"))
            || !(f.get("digest") instanceof String patternDigest)
            || !Commands.isInt(f.get("window"))
            || !(f.get("windows") instanceof String windows)) {
          return null;
        }
        patterns.add(
            new FingerprintPattern(
                orNull(f.get("field")),
                encoding,
                intOf(f.get("length")),
                patternDigest,
                intOf(f.get("window")),
                windows));
      }
      versions.add(
          new FingerprintVersion(
              name,
              intOf(v.get("version")),
              stage,
              type,
              intOf(v.get("length")),
              digest,
              patterns,
              orNull(v.get("accept_until"))));
    }
    return new FingerprintResponse(prefix, key, versions, intOf(o.get("unreadable")));
  }

  private static int intOf(Object value) {
    return ((Json.Number) value).intValue().getAsInt();
  }

  private static String orNull(Object value) {
    return value == Json.NULL ? null : (String) value;
  }
}
