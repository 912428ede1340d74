package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.FingerprintPattern;
import dev.keyturn.api.FingerprintRequest;
import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.FingerprintVersion;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.LeakDigests;
import dev.keyturn.core.LeakEncoding;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/fingerprints}: keyed digests of every pending, current and previous version at or
 * below a prefix that the caller may read, for {@code keyturn scan} (docs/api.md "Fingerprints").
 * The key is made for each request and returned with the digests; no value leaves the server.
 * Secrets the caller may not read but holds another grant on are counted, not named (the route's
 * rows are filtered by {@code read} in {@link Authorizer}); those it holds no grant on are not
 * counted, so the answer does not tell whether names exist where the token has no say. Each version
 * digested is audited as a read of it ({@link Exchange#reads}), since its short windows can be
 * guessed offline.
 */
final class FingerprintsApi {
  /** The most versions one answer holds; a bigger prefix is refused rather than cut. */
  static final int MAX_VERSIONS = 30_000;

  /**
   * The most versions one answer without patterns holds (each some 200 bytes of JSON): a drill of a
   * large backup asks for value digests alone.
   */
  static final int MAX_DIGEST_ONLY_VERSIONS = 250_000;

  /**
   * The most digest bytes one answer holds. A string sends a digest and eight window digests per
   * encoding whatever its length, but a JSON value of 512 KiB may hold thousands of password
   * fields, each with its own patterns (some 10 MiB of digests in one value), so a bigger answer is
   * refused rather than built: a token that may write and read a few names must not make the server
   * hold gigabytes.
   */
  static final long MAX_DIGEST_BYTES = 64L * 1024 * 1024;

  private static final int SCAN_BATCH = 1000;
  private static final List<String> FIELD_WORDS =
      List.of("password", "passwd", "pass", "pwd", "secret", "token", "key");

  private final SecretService service;
  private final SecureRandom random;
  private final JsonMapper json = WireJson.mapper();

  FingerprintsApi(SecretService service, SecureRandom random) {
    this.service = requireNonNull(service, "service");
    this.random = requireNonNull(random, "random");
  }

  FingerprintResponse fingerprints(Exchange ex) {
    FingerprintRequest request = ex.body(FingerprintRequest.class);
    String prefix = BundlesApi.folder(request.prefix() == null ? "" : request.prefix());
    Set<LeakEncoding> encodings = encodings(request.encodings());
    boolean withPatterns = request.withPatterns();
    int maxVersions = withPatterns ? MAX_VERSIONS : MAX_DIGEST_ONLY_VERSIONS;
    byte[] key = new byte[LeakDigests.KEY_BYTES];
    random.nextBytes(key);
    LeakDigests digests = new LeakDigests(key);
    String under = prefix.isEmpty() ? "" : prefix + "/";
    List<FingerprintVersion> out = new ArrayList<>();
    int unreadable = 0;
    int secrets = 0;
    long held = 0;
    Optional<String> after = Optional.empty();
    while (true) {
      List<StoredSecret> batch = service.list(under, after, SCAN_BATCH);
      for (StoredSecret s : batch) {
        if (s.versions().allRetired()) {
          continue; // deleted: nothing valid to find, and not counted
        }
        if (!ex.visible(s.name())) {
          // Counted only where the token holds some grant: a token with none on a folder gets
          // the same answer whether or not names exist there.
          unreadable += ex.granted.test(s.name().value()) ? 1 : 0;
          continue;
        }
        List<SecretValue> values;
        try {
          values = service.keyring(s.name());
        } catch (KeyturnException.NotFound e) {
          continue; // deleted: nothing valid to find
        }
        try {
          if (out.size() + values.size() > maxVersions) {
            throw HttpError.badRequest(
                "more than " + maxVersions + " versions lie below '" + prefix + "'; narrow it");
          }
          secrets++;
          for (SecretValue value : values) {
            Version v = value.version();
            FingerprintVersion made =
                version(s.name().value(), value, digests, withPatterns ? encodings : Set.of());
            held += size(made);
            if (held > MAX_DIGEST_BYTES) {
              throw HttpError.badRequest(
                  "the digests of the values below '"
                      + prefix
                      + "' exceed "
                      + MAX_DIGEST_BYTES / (1024 * 1024)
                      + " MiB; narrow it");
            }
            out.add(made);
            ex.reads.add(new Exchange.Read(s.name(), v.number(), "fingerprints"));
          }
        } finally {
          values.forEach(value -> value.plaintext().destroy());
        }
      }
      if (batch.size() < SCAN_BATCH) {
        break;
      }
      after = Optional.of(batch.get(batch.size() - 1).name().value());
    }
    ex.detail =
        "prefix="
            + prefix
            + " secrets="
            + secrets
            + " versions="
            + out.size()
            + " unreadable="
            + unreadable;
    String wireKey = Base64.getEncoder().encodeToString(key);
    Arrays.fill(key, (byte) 0);
    return new FingerprintResponse(prefix, wireKey, out, unreadable);
  }

  /** About the bytes one version's digests take in the answer (before base64). */
  private static long size(FingerprintVersion v) {
    long bytes = 64 + v.digest().length();
    for (FingerprintPattern p : v.patterns()) {
      bytes += 64 + p.digest().length() + p.windows().length();
    }
    return bytes;
  }

  private static Set<LeakEncoding> encodings(List<String> families) {
    if (families == null) {
      return EnumSet.allOf(LeakEncoding.class);
    }
    if (families.isEmpty()) {
      throw HttpError.badRequest("encodings must name at least one of raw, base64, url");
    }
    Set<LeakEncoding> out = EnumSet.noneOf(LeakEncoding.class);
    for (String family : families) {
      int before = out.size();
      for (LeakEncoding e : LeakEncoding.values()) {
        if (e.family().equals(family)) {
          out.add(e);
        }
      }
      if (out.size() == before
          && Arrays.stream(LeakEncoding.values()).noneMatch(e -> e.family().equals(family))) {
        throw HttpError.badRequest("encodings: unknown encoding (known: raw, base64, url)");
      }
    }
    return out;
  }

  private FingerprintVersion version(
      String name, SecretValue value, LeakDigests digests, Set<LeakEncoding> encodings) {
    Version v = value.version();
    byte[] bytes = value.plaintext().reveal();
    try {
      List<FingerprintPattern> patterns = new ArrayList<>();
      if (encodings.isEmpty()) {
        // Value digests alone (a drill): no patterns.
      } else if (v.type() == ValueType.JSON) {
        for (Map.Entry<String, byte[]> field : passwordFields(bytes)) {
          try {
            patterns(field.getKey(), field.getValue(), digests, encodings, patterns);
          } finally {
            Arrays.fill(field.getValue(), (byte) 0);
          }
        }
      } else {
        patterns(null, bytes, digests, encodings, patterns);
      }
      return new FingerprintVersion(
          name,
          v.number(),
          v.stage().wireName(),
          v.type().wireName(),
          bytes.length,
          base64(digests.digest(bytes, 0, bytes.length)),
          patterns,
          v.acceptUntil().map(Object::toString).orElse(null));
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static void patterns(
      String field,
      byte[] value,
      LeakDigests digests,
      Set<LeakEncoding> encodings,
      List<FingerprintPattern> out) {
    if (value.length < LeakDigests.MIN_LENGTH) {
      return;
    }
    for (LeakEncoding encoding : encodings) {
      Optional<byte[]> encoded = encoding.encode(value);
      if (encoded.isEmpty()) {
        continue;
      }
      byte[] s = encoded.get();
      try {
        if (s.length < LeakDigests.MIN_LENGTH) {
          continue;
        }
        out.add(
            new FingerprintPattern(
                field,
                encoding.wireName(),
                s.length,
                base64(digests.digest(s, 0, s.length)),
                LeakDigests.windowWidth(s.length),
                base64(digests.windows(s))));
      } finally {
        Arrays.fill(s, (byte) 0);
      }
    }
  }

  /** The top-level string fields of a JSON value whose names say they hold a secret. */
  private List<Map.Entry<String, byte[]>> passwordFields(byte[] jsonValue) {
    JsonNode tree = json.readTree(jsonValue);
    List<Map.Entry<String, byte[]>> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> member : tree.properties()) {
      String lower = member.getKey().toLowerCase(Locale.ROOT);
      if (member.getValue().isString() && FIELD_WORDS.stream().anyMatch(lower::contains)) {
        out.add(
            Map.entry(
                member.getKey(), member.getValue().stringValue().getBytes(StandardCharsets.UTF_8)));
      }
    }
    return out;
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
