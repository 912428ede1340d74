package dev.keyturn.keyring;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.KeyAgreement;

/**
 * Private keys as Keyturn's generators store them (PKCS#8, PEM {@code BEGIN PRIVATE KEY}, as {@code
 * openssl genpkey} writes them too) and the public keys that go with them. The JDK writes PKCS#8
 * without the public key, so it is derived here with JDK operations only: RSA from the CRT key's
 * modulus and exponent; EC as ECDH with the curve's generator (which gives x) and the curve
 * equation (which gives y up to sign); Ed25519 by regenerating the key pair from its seed. Every
 * derived key is checked by signing and verifying before it is used.
 */
final class PemKeys {
  private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String END = "-----END PRIVATE KEY-----";
  private static final byte[] PROBE = "keyturn public key check".getBytes(StandardCharsets.UTF_8);

  private PemKeys() {}

  /**
   * The private key in {@code pem}, of JCA algorithm {@code algorithm} ({@code RSA}, {@code EC},
   * {@code Ed25519}).
   *
   * @throws JwtKeyringException naming {@code what} (a version), never quoting the value
   */
  static PrivateKey privateKey(String pem, String algorithm, String what) {
    String text = pem.strip();
    if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
      throw new JwtKeyringException(what + " is not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
    }
    byte[] der;
    try {
      der =
          Base64.getMimeDecoder()
              .decode(text.substring(BEGIN.length(), text.length() - END.length()));
    } catch (IllegalArgumentException e) {
      throw new JwtKeyringException(what + " is not a PKCS#8 PEM private key (bad base64)");
    }
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new JwtKeyringException(what + " is not an " + algorithm + " private key");
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** The public half of an RSA private key (which must carry its CRT parameters). */
  static RSAPublicKey rsaPublic(PrivateKey key, String what) {
    if (!(key instanceof RSAPrivateCrtKey crt)) {
      throw new JwtKeyringException(what + " is an RSA key without its public exponent");
    }
    try {
      return (RSAPublicKey)
          KeyFactory.getInstance("RSA")
              .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
    } catch (GeneralSecurityException e) {
      throw new JwtKeyringException(what + ": RSA public key derivation failed", e);
    }
  }

  /** The public point of an EC private key on a prime curve with p = 3 mod 4 (P-256, P-384). */
  static ECPublicKey ecPublic(ECPrivateKey key, String what) {
    ECParameterSpec params = key.getParams();
    try {
      KeyFactory factory = KeyFactory.getInstance("EC");
      PublicKey generator =
          factory.generatePublic(new ECPublicKeySpec(params.getGenerator(), params));
      KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
      ecdh.init(key);
      ecdh.doPhase(generator, true);
      BigInteger x = new BigInteger(1, ecdh.generateSecret());
      BigInteger p = ((ECFieldFp) params.getCurve().getField()).getP();
      BigInteger rhs =
          x.pow(3).add(params.getCurve().getA().multiply(x)).add(params.getCurve().getB()).mod(p);
      BigInteger y = rhs.modPow(p.add(BigInteger.ONE).shiftRight(2), p);
      for (BigInteger candidate : new BigInteger[] {y, p.subtract(y).mod(p)}) {
        ECPublicKey pub =
            (ECPublicKey)
                factory.generatePublic(new ECPublicKeySpec(new ECPoint(x, candidate), params));
        if (pairs(key, pub, "SHA256withECDSA")) {
          return pub;
        }
      }
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new JwtKeyringException(what + ": EC public key derivation failed", e);
    }
    throw new JwtKeyringException(what + ": EC public key derivation failed");
  }

  /** The public key of an Ed25519 private key: the key pair regenerated from the seed. */
  static PublicKey ed25519Public(PrivateKey key, String what) {
    if (!(key instanceof EdECPrivateKey ed) || ed.getBytes().isEmpty()) {
      throw new JwtKeyringException(what + " is not an Ed25519 private key");
    }
    byte[] seed = ed.getBytes().get();
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
      generator.initialize(NamedParameterSpec.ED25519, new Seed(seed));
      PublicKey pub = generator.generateKeyPair().getPublic();
      if (pairs(key, pub, "Ed25519")) {
        return pub;
      }
    } catch (GeneralSecurityException e) {
      throw new JwtKeyringException(what + ": Ed25519 public key derivation failed", e);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
    throw new JwtKeyringException(what + ": Ed25519 public key derivation failed");
  }

  /** The raw 32-byte Ed25519 public key (RFC 8032), the tail of its X.509 encoding. */
  static byte[] ed25519Raw(PublicKey key) {
    byte[] spki = key.getEncoded();
    return Arrays.copyOfRange(spki, spki.length - 32, spki.length);
  }

  private static boolean pairs(PrivateKey key, PublicKey pub, String algorithm)
      throws GeneralSecurityException {
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(PROBE);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(pub);
    verifier.update(PROBE);
    return verifier.verify(signature);
  }

  /** A "random" source that yields one fixed seed, once: key pair regeneration only. */
  private static final class Seed extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private transient byte[] seed;

    Seed(byte[] seed) {
      this.seed = seed.clone();
    }

    @Override
    public void nextBytes(byte[] bytes) {
      if (seed == null || bytes.length != seed.length) {
        throw new IllegalStateException("the seed is used once, whole");
      }
      System.arraycopy(seed, 0, bytes, 0, bytes.length);
      Arrays.fill(seed, (byte) 0);
      seed = null;
    }
  }
}
