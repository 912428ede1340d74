package dev.keyturn.keyring;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.Optional;

/**
 * One keyring version as a JWT key: its algorithm, its {@code kid} (the RFC 7638 thumbprint of its
 * public JWK, or of the secret's {@code oct} JWK for HMAC), a signer, a verifier, and for
 * asymmetric keys the public JWK that a JWK Set publishes. Holds key material: never printed.
 * Thread-safe.
 */
final class JwtKey {
  final int version;
  final KeyStage stage;
  final JWSAlgorithm algorithm;
  final String kid;
  final JWSSigner signer;
  final JWSVerifier verifier;
  private final Optional<JWK> publicJwk;

  private JwtKey(
      int version,
      KeyStage stage,
      JWSAlgorithm algorithm,
      String kid,
      JWSSigner signer,
      JWSVerifier verifier,
      Optional<JWK> publicJwk) {
    this.version = version;
    this.stage = stage;
    this.algorithm = algorithm;
    this.kid = kid;
    this.signer = signer;
    this.verifier = verifier;
    this.publicJwk = publicJwk;
  }

  /**
   * As {@link #of(JwtKeyType, JWSAlgorithm, int, KeyStage, String, Optional)} with the JDK's EC.
   */
  static JwtKey of(
      JwtKeyType type, JWSAlgorithm algorithm, int version, KeyStage stage, String value) {
    return of(type, algorithm, version, stage, value, Optional.empty());
  }

  /**
   * The JWT key in {@code value} (version {@code version}), which must be what {@code type}'s
   * generators make. An HMAC key is the value's UTF-8 bytes, as PyJWT and {@code openssl dgst
   * -hmac} take a string key. EC keys use {@code ecMath} if given, else the JDK.
   *
   * @throws JwtKeyringException naming the version, never quoting the value
   */
  static JwtKey of(
      JwtKeyType type,
      JWSAlgorithm algorithm,
      int version,
      KeyStage stage,
      String value,
      Optional<EcMath> ecMath) {
    String what = "version " + version;
    try {
      return switch (type) {
        case HMAC -> hmac(algorithm, version, stage, value, what);
        case RSA -> {
          PrivateKey key = PemKeys.privateKey(value, "RSA", what);
          RSAKey jwk = new RSAKey.Builder(PemKeys.rsaPublic(key, what)).build();
          yield new JwtKey(
              version,
              stage,
              algorithm,
              thumbprint(jwk),
              new RSASSASigner(key),
              new RSASSAVerifier(jwk),
              Optional.of(jwk));
        }
        case EC_P256, EC_P384 -> {
          Curve curve = type == JwtKeyType.EC_P256 ? Curve.P_256 : Curve.P_384;
          PrivateKey key = PemKeys.privateKey(value, "EC", what);
          if (!(key instanceof ECPrivateKey ec)
              || ec.getParams().getCurve().getField().getFieldSize()
                  != curve.toECParameterSpec().getCurve().getField().getFieldSize()) {
            throw new JwtKeyringException(what + " is not an " + type.description());
          }
          if (ecMath.isPresent()) {
            ECPublicKey pub = ecPublic(ecMath.get(), ec, what);
            ECKey jwk = new ECKey.Builder(curve, pub).build();
            EcMathJws jws = new EcMathJws(ecMath.get(), algorithm, Optional.of(ec), pub);
            yield new JwtKey(
                version, stage, algorithm, thumbprint(jwk), jws, jws, Optional.of(jwk));
          }
          ECPublicKey pub = PemKeys.ecPublic(ec, what);
          ECKey jwk = new ECKey.Builder(curve, pub).build();
          yield new JwtKey(
              version,
              stage,
              algorithm,
              thumbprint(jwk),
              new ECDSASigner(ec),
              new ECDSAVerifier(pub),
              Optional.of(jwk));
        }
        case ED25519 -> {
          PrivateKey key = PemKeys.privateKey(value, "Ed25519", what);
          PublicKey pub = PemKeys.ed25519Public(key, what);
          OctetKeyPair jwk =
              new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(PemKeys.ed25519Raw(pub)))
                  .build();
          Ed25519Jws jws = new Ed25519Jws(Optional.of(key), pub);
          yield new JwtKey(version, stage, algorithm, thumbprint(jwk), jws, jws, Optional.of(jwk));
        }
      };
    } catch (JOSEException e) {
      throw new JwtKeyringException(what + " cannot be a " + type.description(), e);
    }
  }

  private static JwtKey hmac(
      JWSAlgorithm algorithm, int version, KeyStage stage, String value, String what)
      throws JOSEException {
    // Nimbus keeps the array it is given, so it is not zeroed here.
    byte[] secret = value.getBytes(StandardCharsets.UTF_8);
    int minimum = MACSigner.getMinRequiredSecretLength(algorithm) / 8;
    if (secret.length < minimum) {
      throw new JwtKeyringException(
          what + " is too short for " + algorithm + ": at least " + minimum + " bytes");
    }
    OctetSequenceKey jwk = new OctetSequenceKey.Builder(secret).build();
    return new JwtKey(
        version,
        stage,
        algorithm,
        thumbprint(jwk),
        new MACSigner(secret),
        new MACVerifier(secret),
        Optional.empty());
  }

  /** The public JWK a JWK Set lists: {@code kid}, {@code alg}, {@code use: "sig"}. */
  Optional<JWK> published() {
    return publicJwk.map(jwk -> {
      java.util.Map<String, Object> json = new java.util.LinkedHashMap<>(jwk.toJSONObject());
      json.put("kid", kid);
      json.put("alg", algorithm.getName());
      json.put("use", KeyUse.SIGNATURE.identifier());
      try {
        return JWK.parse(json);
      } catch (java.text.ParseException e) {
        throw new JwtKeyringException("version " + version + ": JWK could not be built", e);
      }
    });
  }

  private static ECPublicKey ecPublic(EcMath math, ECPrivateKey key, String what) {
    try {
      return math.publicKey(key);
    } catch (java.security.GeneralSecurityException e) {
      throw new JwtKeyringException(what + ": EC public key derivation failed", e);
    }
  }

  private static String thumbprint(JWK jwk) throws JOSEException {
    return jwk.computeThumbprint().toString();
  }

  @Override
  public String toString() {
    return "JwtKey[#" + version + " " + stage.wireName() + " " + algorithm + " kid=" + kid + "]";
  }
}
