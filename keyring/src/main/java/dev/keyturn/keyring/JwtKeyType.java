package dev.keyturn.keyring;

import com.nimbusds.jose.JWSAlgorithm;
import java.util.List;
import java.util.Locale;

/**
 * The kind of JWT key a secret's generator makes, and the algorithms each kind may sign with: the
 * key sets the algorithm, so a verifier never lets a token choose one (no algorithm confusion).
 */
enum JwtKeyType {
  HMAC(List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512), "HMAC secret"),
  RSA(List.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256), "RSA private key"),
  EC_P256(List.of(JWSAlgorithm.ES256), "EC P-256 private key"),
  EC_P384(List.of(JWSAlgorithm.ES384), "EC P-384 private key"),
  ED25519(List.of(JWSAlgorithm.EdDSA), "Ed25519 private key");

  private final List<JWSAlgorithm> algorithms;
  private final String description;

  JwtKeyType(List<JWSAlgorithm> algorithms, String description) {
    this.algorithms = algorithms;
    this.description = description;
  }

  /**
   * The key type a generator spec makes: {@code hex:N}, {@code base64:N} and {@code base64url:N}
   * make HMAC secrets; {@code rsa:N}, {@code ec:p256}, {@code ec:p384} and {@code ed25519} make
   * private keys. Every other generator (passwords, Django keys, Fernet keys, UUIDs, manual values)
   * makes no JWT key.
   *
   * @throws JwtKeyringException naming the generator
   */
  static JwtKeyType of(String generator) {
    String spec = generator.toLowerCase(Locale.ROOT);
    String head = spec.contains(":") ? spec.substring(0, spec.indexOf(':')) : spec;
    return switch (head) {
      case "hex", "base64", "base64url" -> HMAC;
      case "rsa" -> RSA;
      case "ec" ->
          switch (spec) {
            case "ec:p256" -> EC_P256;
            case "ec:p384" -> EC_P384;
            default -> throw noJwtKey(generator);
          };
      case "ed25519" -> ED25519;
      default -> throw noJwtKey(generator);
    };
  }

  /** The algorithm used when none is asked for. */
  JWSAlgorithm defaultAlgorithm() {
    return algorithms.get(0);
  }

  /**
   * {@code name} (case-insensitive) if this key type may sign with it.
   *
   * @throws JwtKeyringException listing the algorithms this key type allows
   */
  JWSAlgorithm algorithm(String name) {
    for (JWSAlgorithm a : algorithms) {
      if (a.getName().equalsIgnoreCase(name)) {
        return a;
      }
    }
    throw new JwtKeyringException(
        "an "
            + description
            + " signs with "
            + String.join(" or ", algorithms.stream().map(JWSAlgorithm::getName).toList())
            + ", not "
            + Jwts.printable(name));
  }

  boolean symmetric() {
    return this == HMAC;
  }

  String description() {
    return description;
  }

  private static JwtKeyringException noJwtKey(String generator) {
    return new JwtKeyringException(
        "generator "
            + Jwts.printable(generator)
            + " makes no JWT key: use hex:N, base64:N or base64url:N (HMAC), rsa:N, ec:p256,"
            + " ec:p384 or ed25519");
  }
}
