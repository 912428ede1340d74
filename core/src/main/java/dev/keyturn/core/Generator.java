package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.keyring.FernetKeyring;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * How a new value is made, parsed from a spec such as {@code hex:32}. Every generator draws from
 * the {@link SecureRandom} it is given and nothing else. Formats match the tools people use today:
 *
 * <ul>
 *   <li>{@code hex:N}: N random bytes as 2N lower-case hex digits ({@code openssl rand -hex N})
 *   <li>{@code base64:N}: N random bytes, standard base64 with padding on one line ({@code openssl
 *       rand -base64 N}, unwrapped)
 *   <li>{@code base64url:N}: N random bytes, URL-safe base64 without padding (Python {@code
 *       secrets.token_urlsafe(N)})
 *   <li>{@code django}: 50 characters from Django's {@code get_random_secret_key()} alphabet
 *   <li>{@code fernet}: 32 random bytes, URL-safe base64 with padding (Python {@code
 *       Fernet.generate_key()})
 *   <li>{@code password:N[:exclude=CHARS]}: N characters with at least one lower-case letter,
 *       upper-case letter, digit and symbol
 *   <li>{@code uuid}: a random (version 4) UUID
 *   <li>{@code rsa:2048|3072|4096}, {@code ec:p256|p384}, {@code ed25519}: a private key, PKCS#8
 *       PEM
 *   <li>{@code manual}: a person supplies the value; it cannot be generated
 * </ul>
 */
public record Generator(String spec, Kind kind, int size, String exclude) {
  public static final String VALID_SPECS =
      "hex:N, base64:N, base64url:N, django, fernet, password:N[:exclude=CHARS], uuid,"
          + " rsa:2048|3072|4096, ec:p256|p384, ed25519, manual";

  /** Byte and character counts allowed for the sized generators. */
  public static final int MIN_BYTES = 1;

  public static final int MAX_BYTES = 4096;

  static final String DJANGO_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
  static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
  static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  static final String DIGITS = "0123456789";
  static final String SYMBOLS = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

  /** The kinds of generator. */
  public enum Kind {
    HEX,
    BASE64,
    BASE64URL,
    DJANGO,
    FERNET,
    PASSWORD,
    UUID,
    RSA,
    EC,
    ED25519,
    MANUAL
  }

  public Generator {
    requireNonNull(spec, "spec");
    requireNonNull(kind, "kind");
    requireNonNull(exclude, "exclude");
  }

  /** Parses a spec; a bad one gets an error that lists the valid ones. */
  public static Generator parse(String spec) {
    requireNonNull(spec, "spec");
    String[] parts = spec.split(":", 3);
    String head = parts[0].toLowerCase(Locale.ROOT);
    return switch (head) {
      case "hex" -> sized(spec, Kind.HEX, parts);
      case "base64" -> sized(spec, Kind.BASE64, parts);
      case "base64url" -> sized(spec, Kind.BASE64URL, parts);
      case "password" -> password(spec, parts);
      case "django" -> plain(spec, Kind.DJANGO, parts);
      case "fernet" -> plain(spec, Kind.FERNET, parts);
      case "uuid" -> plain(spec, Kind.UUID, parts);
      case "ed25519" -> plain(spec, Kind.ED25519, parts);
      case "manual" -> plain(spec, Kind.MANUAL, parts);
      case "rsa" -> {
        int bits = parts.length == 2 ? parseInt(spec, parts[1]) : 0;
        if (parts.length != 2 || (bits != 2048 && bits != 3072 && bits != 4096)) {
          throw invalid("RSA keys are rsa:2048, rsa:3072 or rsa:4096");
        }
        yield new Generator(spec, Kind.RSA, bits, "");
      }
      case "ec" -> {
        String curve = parts.length == 2 ? parts[1].toLowerCase(Locale.ROOT) : "";
        if (!curve.equals("p256") && !curve.equals("p384")) {
          throw invalid("EC keys are ec:p256 or ec:p384");
        }
        yield new Generator(spec, Kind.EC, curve.equals("p256") ? 256 : 384, "");
      }
      default -> throw invalid(null);
    };
  }

  /** True for {@code manual}: the value must be supplied by a person. */
  public boolean isManual() {
    return kind == Kind.MANUAL;
  }

  /** True for {@code rsa}, {@code ec} and {@code ed25519}: the value is a private key. */
  public boolean makesKeyPair() {
    return kind == Kind.RSA || kind == Kind.EC || kind == Kind.ED25519;
  }

  /** Makes a new value. */
  public Plaintext generate(SecureRandom random) {
    requireNonNull(random, "random");
    return switch (kind) {
      case HEX -> ascii(text(() -> HexFormat.of().formatHex(bytes(random, size))));
      case BASE64 -> ascii(text(() -> Base64.getEncoder().encodeToString(bytes(random, size))));
      case BASE64URL ->
          ascii(
              text(() ->
                  Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(random, size))));
      case FERNET -> ascii(text(() -> FernetKeyring.generateKey(random)));
      case DJANGO -> ascii(text(() -> chooseFrom(random, DJANGO_ALPHABET, 50)));
      case PASSWORD -> ascii(password(random));
      case UUID -> ascii(randomUuid(random).toString());
      case RSA ->
          privateKey(random, "RSA", new RSAKeyGenParameterSpec(size, RSAKeyGenParameterSpec.F4));
      case EC ->
          privateKey(random, "EC", new ECGenParameterSpec(size == 256 ? "secp256r1" : "secp384r1"));
      case ED25519 -> privateKey(random, "Ed25519", null);
      case MANUAL ->
          throw new KeyturnException.InvalidInput(
              "generator 'manual' makes no value: a person supplies it");
    };
  }

  @Override
  public String toString() {
    return spec;
  }

  /**
   * Draws text values until one does not read as a placeholder. Random text very rarely does
   * (GeneratorHygieneTest once caught a base64url:32 value that did; 4,000,000 more drew none), but
   * the store refuses such a value when a person types it and {@code doctor --managed} reports it,
   * so a generated value never is one. Rejecting that tiny set leaves every other value equally
   * likely.
   */
  private static String text(Supplier<String> draw) {
    while (true) {
      String candidate = draw.get();
      if (ValueChecks.placeholder(candidate).isEmpty()) {
        return candidate;
      }
    }
  }

  private String password(SecureRandom random) {
    String[] classes = {without(LOWER), without(UPPER), without(DIGITS), without(SYMBOLS)};
    String all = String.join("", classes);
    // Rejection sampling: draw uniformly from all allowed characters until every class appears
    // and the value does not read as a placeholder (a short one can come out as "<Ab-cd1>", which
    // the store would then refuse as a template's placeholder: about one password:8 in a million),
    // which keeps every valid password equally likely.
    while (true) {
      String candidate = chooseFrom(random, all, size);
      boolean ok = true;
      for (String cls : classes) {
        ok &= candidate.chars().anyMatch(c -> cls.indexOf(c) >= 0);
      }
      if (ok && ValueChecks.placeholder(candidate).isEmpty()) {
        return candidate;
      }
    }
  }

  private String without(String chars) {
    StringBuilder kept = new StringBuilder();
    for (char c : chars.toCharArray()) {
      if (exclude.indexOf(c) < 0) {
        kept.append(c);
      }
    }
    return kept.toString();
  }

  private static Generator password(String spec, String[] parts) {
    if (parts.length < 2) {
      throw invalid("password needs a length, e.g. password:32");
    }
    int length = parseInt(spec, parts[1]);
    if (length < 8 || length > 1024) {
      throw invalid("password length must be between 8 and 1024");
    }
    String exclude = "";
    if (parts.length == 3) {
      if (!parts[2].startsWith("exclude=") || parts[2].length() == "exclude=".length()) {
        throw invalid("the option after the length is exclude=CHARS");
      }
      exclude = parts[2].substring("exclude=".length());
    }
    Generator generator = new Generator(spec, Kind.PASSWORD, length, exclude);
    for (String cls : new String[] {LOWER, UPPER, DIGITS, SYMBOLS}) {
      if (generator.without(cls).isEmpty()) {
        throw invalid("exclude= removes every character of a required class");
      }
    }
    return generator;
  }

  private static Generator sized(String spec, Kind kind, String[] parts) {
    if (parts.length != 2) {
      throw invalid(
          kind.name().toLowerCase(Locale.ROOT)
              + " needs a byte count, e.g. "
              + kind.name().toLowerCase(Locale.ROOT)
              + ":32");
    }
    int n = parseInt(spec, parts[1]);
    if (n < MIN_BYTES || n > MAX_BYTES) {
      throw invalid("the byte count must be between " + MIN_BYTES + " and " + MAX_BYTES);
    }
    return new Generator(spec, kind, n, "");
  }

  private static Generator plain(String spec, Kind kind, String[] parts) {
    if (parts.length != 1) {
      throw invalid(kind.name().toLowerCase(Locale.ROOT) + " takes no options");
    }
    return new Generator(spec, kind, 0, "");
  }

  private static int parseInt(String spec, String text) {
    if (!text.matches("[0-9]{1,9}")) {
      throw invalid("the size is not a whole number");
    }
    return Integer.parseInt(text);
  }

  private static KeyturnException.InvalidInput invalid(String why) {
    // The spec is not echoed: a value pasted where a spec belongs must not reach a log.
    return new KeyturnException.InvalidInput(
        "invalid generator spec"
            + (why == null ? "" : ": " + why)
            + "; valid specs: "
            + VALID_SPECS);
  }

  private static byte[] bytes(SecureRandom random, int n) {
    byte[] out = new byte[n];
    random.nextBytes(out);
    return out;
  }

  private static String chooseFrom(SecureRandom random, String alphabet, int n) {
    char[] out = new char[n];
    for (int i = 0; i < n; i++) {
      out[i] = alphabet.charAt(random.nextInt(alphabet.length()));
    }
    return new String(out);
  }

  private static UUID randomUuid(SecureRandom random) {
    byte[] b = bytes(random, 16);
    b[6] = (byte) ((b[6] & 0x0f) | 0x40);
    b[8] = (byte) ((b[8] & 0x3f) | 0x80);
    long msb = 0;
    long lsb = 0;
    for (int i = 0; i < 8; i++) {
      msb = (msb << 8) | (b[i] & 0xff);
      lsb = (lsb << 8) | (b[i + 8] & 0xff);
    }
    return new UUID(msb, lsb);
  }

  private static Plaintext privateKey(
      SecureRandom random, String algorithm, java.security.spec.AlgorithmParameterSpec params) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if (params != null) {
        generator.initialize(params, random);
      } else {
        generator.initialize(255, random);
      }
      byte[] der = generator.generateKeyPair().getPrivate().getEncoded();
      String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
      return ascii("-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----");
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure(algorithm + " key generation failed", e);
    }
  }

  private static Plaintext ascii(String text) {
    return Plaintext.wrap(text.getBytes(StandardCharsets.US_ASCII));
  }
}
