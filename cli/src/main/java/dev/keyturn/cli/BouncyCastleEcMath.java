package dev.keyturn.cli;

import dev.keyturn.keyring.EcMath;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.custom.sec.SecP256R1Curve;
import org.bouncycastle.math.ec.custom.sec.SecP384R1Curve;
import org.bouncycastle.util.BigIntegers;

/**
 * {@link EcMath} with Bouncy Castle's P-256 and P-384 arithmetic, for the CLI's {@code jwt sign}
 * and {@code jwt verify}: the JDK computes a table of 60 scalar multiplications before its first
 * P-256 operation in a JVM (about 70 ms of a fresh CLI's start on a 2-core Xeon), where Bouncy
 * Castle's first fixed-base multiplication costs about two. The public key is the generator times
 * the private scalar (one multiplication, no guessing); signatures are deterministic ECDSA (RFC
 * 6979) over SHA-256 (P-256) or SHA-384 (P-384), R and S each as long as the order. A key on any
 * other curve, or with a scalar or point out of range, is refused. Stateless and thread-safe.
 */
final class BouncyCastleEcMath implements EcMath {
  /** One instance serves every command. */
  static final BouncyCastleEcMath INSTANCE = new BouncyCastleEcMath();

  private BouncyCastleEcMath() {}

  @Override
  public ECPublicKey publicKey(ECPrivateKey key) throws GeneralSecurityException {
    Curve curve = Curve.of(key);
    BigInteger d = key.getS();
    curve.checkScalar(d);
    ECPoint q = new FixedPointCombMultiplier().multiply(curve.domain.getG(), d).normalize();
    java.security.spec.ECPoint w =
        new java.security.spec.ECPoint(
            q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
    return (ECPublicKey)
        KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, key.getParams()));
  }

  @Override
  public byte[] sign(ECPrivateKey key, byte[] signingInput) throws GeneralSecurityException {
    Curve curve = Curve.of(key);
    curve.checkScalar(key.getS());
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(curve.digest()));
    signer.init(true, new ECPrivateKeyParameters(key.getS(), curve.domain));
    BigInteger[] rs = signer.generateSignature(curve.hash(signingInput));
    byte[] out = new byte[2 * curve.size];
    System.arraycopy(BigIntegers.asUnsignedByteArray(curve.size, rs[0]), 0, out, 0, curve.size);
    System.arraycopy(
        BigIntegers.asUnsignedByteArray(curve.size, rs[1]), 0, out, curve.size, curve.size);
    return out;
  }

  @Override
  public boolean verify(ECPublicKey key, byte[] signingInput, byte[] signature)
      throws GeneralSecurityException {
    Curve curve = Curve.of(key);
    if (signature.length != 2 * curve.size) {
      return false;
    }
    ECPoint q;
    try {
      q = curve.domain.getCurve().validatePoint(key.getW().getAffineX(), key.getW().getAffineY());
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyException("the public key is not a point of " + curve.name);
    }
    ECDSASigner verifier = new ECDSASigner();
    verifier.init(false, new ECPublicKeyParameters(q, curve.domain));
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, curve.size));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, curve.size, signature.length));
    return verifier.verifySignature(curve.hash(signingInput), r, s);
  }

  /**
   * P-256 or P-384: the parameters (Nimbus's table, which the keyring's JWKs use too), Bouncy
   * Castle's curve arithmetic for them, the JWS digest and the size of R and S in bytes. The curve
   * classes are made directly, not through Bouncy Castle's named-curve table, which would load and
   * link every curve it knows (and the AOT cache would preload them for every command).
   */
  private enum Curve {
    P256("P-256", com.nimbusds.jose.jwk.Curve.P_256, new SecP256R1Curve(), "SHA-256", 32),
    P384("P-384", com.nimbusds.jose.jwk.Curve.P_384, new SecP384R1Curve(), "SHA-384", 48);

    private final String name;
    private final ECParameterSpec spec;
    private final ECDomainParameters domain;
    private final String digestName;
    private final int size;

    Curve(
        String name, com.nimbusds.jose.jwk.Curve jwk, ECCurve curve, String digestName, int size) {
      this.name = name;
      this.spec = jwk.toECParameterSpec();
      this.digestName = digestName;
      this.size = size;
      if (!(spec.getCurve().getField() instanceof ECFieldFp field)
          || !field.getP().equals(curve.getField().getCharacteristic())
          || !spec.getCurve().getA().equals(curve.getA().toBigInteger())
          || !spec.getCurve().getB().equals(curve.getB().toBigInteger())) {
        throw new IllegalStateException(name + ": Bouncy Castle's curve is not Nimbus's");
      }
      ECPoint g =
          curve.validatePoint(spec.getGenerator().getAffineX(), spec.getGenerator().getAffineY());
      this.domain =
          new ECDomainParameters(curve, g, spec.getOrder(), BigInteger.valueOf(spec.getCofactor()));
    }

    /** The curve {@code key}'s parameters name, compared whole (field, a, b, G, n, h). */
    static Curve of(ECKey key) throws InvalidKeyException {
      ECParameterSpec p = key.getParams();
      if (p != null) {
        for (Curve c : values()) {
          if (c.sameAs(p)) {
            return c;
          }
        }
      }
      throw new InvalidKeyException("not a P-256 or P-384 key");
    }

    private boolean sameAs(ECParameterSpec p) {
      return p.getCurve().getField().equals(spec.getCurve().getField())
          && p.getCurve().getA().equals(spec.getCurve().getA())
          && p.getCurve().getB().equals(spec.getCurve().getB())
          && p.getGenerator().equals(spec.getGenerator())
          && p.getOrder().equals(spec.getOrder())
          && p.getCofactor() == spec.getCofactor();
    }

    void checkScalar(BigInteger d) throws InvalidKeyException {
      if (d.signum() <= 0 || d.compareTo(spec.getOrder()) >= 0) {
        throw new InvalidKeyException("the private scalar is out of range for " + name);
      }
    }

    Digest digest() {
      return this == P256 ? new SHA256Digest() : new SHA384Digest();
    }

    byte[] hash(byte[] input) throws GeneralSecurityException {
      return MessageDigest.getInstance(digestName).digest(input);
    }
  }
}
