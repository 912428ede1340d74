package dev.keyturn.keyring;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * JSON Web Tokens over one secret's keyring (pending, current and previous versions in their grace
 * window). The secret's generator sets the algorithm ({@code hex}/{@code base64}/{@code base64url}:
 * HS256, or HS384/HS512 if asked; {@code rsa:N}: RS256, or PS256; {@code ec:p256}: ES256; {@code
 * ec:p384}: ES384; {@code ed25519}: EdDSA); every other generator is refused. Tokens are signed
 * with the current version and carry {@code kid}, the RFC 7638 thumbprint of the version's JWK,
 * {@code iat} and {@code exp}; a lifetime longer than the rule's grace is refused, since the token
 * would outlive the key that verifies it.
 *
 * <p>{@link #verify} accepts a token only if its algorithm is the keyring's (so {@code alg: none}
 * and algorithm confusion, such as HS256 keyed with an RSA public key, are refused before any key
 * is used), its {@code kid} names a version in the keyring, its signature verifies under that
 * version, and its {@code exp} (required) and {@code nbf} hold within {@link #LEEWAY}.
 *
 * <p>Immutable and thread-safe; build a new one from the new keyring after a rotation. Holds key
 * material: {@link #toString} shows versions and {@code kid}s only.
 */
public final class JwtKeyring {
  /** Clock skew allowed on {@code exp} and {@code nbf}. */
  public static final Duration LEEWAY = Duration.ofSeconds(60);

  /** Lifetime of a token when none is asked for, if the grace allows it. */
  public static final Duration DEFAULT_TTL = Duration.ofHours(1);

  /** Latest epoch second accepted in a time claim (9999-12-31T23:59:59Z). */
  private static final long LAST_EPOCH_SECOND = 253_402_300_799L;

  private final String name;
  private final JwtKeyType type;
  private final JWSAlgorithm algorithm;
  private final Duration grace;
  private final List<JwtKey> keys;
  private final Clock clock;

  private JwtKeyring(
      String name,
      JwtKeyType type,
      JWSAlgorithm algorithm,
      Duration grace,
      List<JwtKey> keys,
      Clock clock) {
    this.name = name;
    this.type = type;
    this.algorithm = algorithm;
    this.grace = grace;
    this.keys = keys;
    this.clock = clock;
  }

  /**
   * The keyring of secret {@code name}, made by {@code generator} (the rule's spec, e.g. {@code
   * rsa:2048}) and kept {@code grace} after each rotation, signing with {@code algorithm} if given
   * (else the key type's default).
   *
   * @throws JwtKeyringException if the generator makes no JWT key, the algorithm does not fit it,
   *     or a version is not the key its generator makes (naming the version)
   */
  public static JwtKeyring of(
      String name,
      String generator,
      Duration grace,
      Optional<String> algorithm,
      List<KeyVersion> versions,
      Clock clock) {
    return of(name, generator, grace, algorithm, versions, clock, Optional.empty());
  }

  /**
   * As {@link #of(String, String, Duration, Optional, List, Clock)}, with the EC keys' arithmetic
   * done by {@code ecMath} if given (else the JDK's): the same keys, {@code kid}s and tokens.
   *
   * @throws JwtKeyringException as the other {@code of} does, and if {@code ecMath} refuses a key
   */
  public static JwtKeyring of(
      String name,
      String generator,
      Duration grace,
      Optional<String> algorithm,
      List<KeyVersion> versions,
      Clock clock,
      Optional<EcMath> ecMath) {
    requireNonNull(name, "name");
    requireNonNull(generator, "generator");
    requireNonNull(grace, "grace");
    requireNonNull(algorithm, "algorithm");
    requireNonNull(clock, "clock");
    requireNonNull(ecMath, "ecMath");
    JwtKeyType type = JwtKeyType.of(generator);
    JWSAlgorithm alg = algorithm.map(type::algorithm).orElse(type.defaultAlgorithm());
    List<JwtKey> keys = new ArrayList<>();
    for (KeyVersion v : versions) {
      if (v.isJson()) {
        throw new KeyringException.InvalidKey(
            v.label(name) + " is a JSON value, not a " + type.description());
      }
      keys.add(JwtKey.of(type, alg, v.version(), v.stage(), v.reveal(), ecMath));
    }
    return new JwtKeyring(name, type, alg, grace, List.copyOf(keys), clock);
  }

  /** The algorithm this keyring signs and accepts. */
  public String algorithm() {
    return algorithm.getName();
  }

  /** Whether the keys are HMAC secrets (no JWK Set can be published for them). */
  public boolean symmetric() {
    return type.symmetric();
  }

  /** The {@code kid} of every version, keyed by version number, newest first as given. */
  public Map<Integer, String> kids() {
    Map<Integer, String> out = new LinkedHashMap<>();
    keys.forEach(k -> out.put(k.version, k.kid));
    return out;
  }

  /**
   * A compact JWS of {@code claimsJson} (a JSON object) plus {@code iat} and {@code exp} (now +
   * {@code ttl}, or {@link #DEFAULT_TTL} capped at the grace), signed with the current version,
   * {@code kid} and {@code typ: JWT} in its header.
   *
   * @throws JwtKeyringException if the claims are not a JSON object or set {@code iat} or {@code
   *     exp}, the lifetime is not positive or exceeds the grace, or there is no current version
   */
  public String sign(String claimsJson, Optional<Duration> ttl) {
    requireNonNull(claimsJson, "claimsJson");
    Duration lifetime = ttl.orElse(grace.compareTo(DEFAULT_TTL) < 0 ? grace : DEFAULT_TTL);
    if (lifetime.isNegative() || lifetime.isZero() || lifetime.toSeconds() == 0) {
      throw new JwtKeyringException(
          grace.isZero() && ttl.isEmpty()
              ? name
                  + "'s rule has no grace, so a token would stop verifying at the next rotation:"
                  + " give the rule a --grace"
              : "the token lifetime must be at least one second");
    }
    if (lifetime.compareTo(grace) > 0) {
      throw new JwtKeyringException(
          "a lifetime of "
              + lifetime.toSeconds()
              + "s is beyond "
              + name
              + "'s grace of "
              + grace.toSeconds()
              + "s: the token would outlive the key that verifies it");
    }
    Map<String, Object> claims;
    try {
      claims = new LinkedHashMap<>(JSONObjectUtils.parse(claimsJson));
    } catch (ParseException e) {
      throw new JwtKeyringException("the claims are not a JSON object");
    }
    if (claims.containsKey("iat") || claims.containsKey("exp")) {
      throw new JwtKeyringException("iat and exp are set by the signer (the lifetime sets exp)");
    }
    JwtKey key =
        keys.stream()
            .filter(k -> k.stage == KeyStage.CURRENT)
            .findFirst()
            .orElseThrow(
                () -> new KeyringException.NoCurrentVersion(name + " has no current version"));
    long now = clock.instant().getEpochSecond();
    claims.put("iat", now);
    claims.put("exp", now + lifetime.toSeconds());
    JWSHeader header =
        new JWSHeader.Builder(algorithm).keyID(key.kid).type(JOSEObjectType.JWT).build();
    JWSObject jws = new JWSObject(header, new Payload(JSONObjectUtils.toJSONString(claims)));
    try {
      jws.sign(key.signer);
    } catch (JOSEException e) {
      throw new JwtKeyringException("version " + key.version + ": signing failed", e);
    }
    return jws.serialize();
  }

  /**
   * The claims of {@code token} (compact JWS) as a JSON object, if this keyring accepts it.
   *
   * @throws JwtRejected naming why the token is refused
   */
  public Verified verify(String token) {
    requireNonNull(token, "token");
    String[] parts = token.strip().split("\\.", -1);
    if (parts.length != 3) {
      throw new JwtRejected("not a signed JWT (header.payload.signature)");
    }
    JWSObject jws;
    String alg;
    try {
      Map<String, Object> header =
          JSONObjectUtils.parse(new com.nimbusds.jose.util.Base64URL(parts[0]).decodeToString());
      alg = header.get("alg") instanceof String a ? a : "";
      if (alg.equalsIgnoreCase("none")) {
        throw new JwtRejected("alg: none (an unsigned token)");
      }
      if (!alg.equals(algorithm.getName())) {
        throw new JwtRejected(
            "foreign algorithm "
                + Jwts.printable(alg)
                + ": "
                + name
                + " signs with "
                + algorithm.getName());
      }
      if (parts[2].isEmpty()) {
        throw new JwtRejected("no signature");
      }
      jws = JWSObject.parse(token.strip());
    } catch (ParseException e) {
      throw new JwtRejected("not a signed JWT (its header is not a JSON object)");
    }
    String kid = jws.getHeader().getKeyID();
    if (kid == null) {
      throw new JwtRejected("no kid in the header");
    }
    JwtKey key =
        keys.stream()
            .filter(k -> k.kid.equals(kid))
            .findFirst()
            .orElseThrow(() ->
                new JwtRejected(
                    "unknown or retired kid " + Jwts.printable(kid) + ": not in " + name));
    boolean valid;
    try {
      valid = jws.verify(key.verifier);
    } catch (JOSEException e) {
      valid = false;
    }
    if (!valid) {
      throw new JwtRejected("bad signature (kid of version " + key.version + ")");
    }
    Map<String, Object> claims = jws.getPayload().toJSONObject();
    if (claims == null) {
      throw new JwtRejected("the payload is not a JSON object");
    }
    Instant now = clock.instant();
    Instant exp =
        epoch("exp", claims.get("exp"))
            .orElseThrow(() -> new JwtRejected("no exp claim: a token must expire"));
    if (now.isAfter(exp.plus(LEEWAY))) {
      throw new JwtRejected("expired at " + exp + " (leeway " + LEEWAY.toSeconds() + "s)");
    }
    if (claims.containsKey("nbf")) {
      Instant nbf =
          epoch("nbf", claims.get("nbf")).orElseThrow(() -> new JwtRejected("nbf is not a number"));
      if (now.isBefore(nbf.minus(LEEWAY))) {
        throw new JwtRejected("not valid before " + nbf + " (leeway " + LEEWAY.toSeconds() + "s)");
      }
    }
    return new Verified(JSONObjectUtils.toJSONString(claims), key.version, key.stage, key.kid);
  }

  /** A token {@link #verify} accepted: its claims (JSON) and the version that verified it. */
  public record Verified(String claimsJson, int version, KeyStage stage, String kid) {}

  /**
   * The public keys (pending, current and previous) as a JWK Set document: {@code kid}, {@code
   * alg}, {@code use: "sig"} and the public parameters only.
   *
   * @throws JwtKeyringException for HMAC keys, which have no public half
   */
  public String jwks() {
    if (type.symmetric()) {
      throw new JwtKeyringException(
          name + " holds HMAC secrets: there is no public key to publish");
    }
    List<JWK> published = new ArrayList<>();
    for (JwtKey key : keys) {
      key.published().ifPresent(published::add);
    }
    return JSONObjectUtils.toJSONString(new JWKSet(published).toJSONObject(true));
  }

  private static Optional<Instant> epoch(String claim, Object value) {
    if (value instanceof Number n) {
      // Bounded so that Instant and the leeway arithmetic cannot overflow: a signed token with a
      // huge exp or nbf is refused as a token, not thrown as a DateTimeException.
      double seconds = n.doubleValue();
      if (!(seconds >= -LAST_EPOCH_SECOND && seconds <= LAST_EPOCH_SECOND)) {
        throw new JwtRejected(claim + " is out of range");
      }
      return Optional.of(Instant.ofEpochSecond(n.longValue()));
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "JwtKeyring[" + name + " " + algorithm + " " + keys + "]";
  }
}
