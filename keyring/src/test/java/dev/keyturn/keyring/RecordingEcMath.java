package dev.keyturn.keyring;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.impl.ECDSA;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link EcMath} over the JDK (its public keys as {@link PemKeys} derives them) that counts its
 * calls, or refuses every key when built with {@link #refusing()}.
 */
final class RecordingEcMath implements EcMath {
  final AtomicInteger publicKeys = new AtomicInteger();
  final AtomicInteger signatures = new AtomicInteger();
  final AtomicInteger verifications = new AtomicInteger();
  private final boolean refuse;

  private RecordingEcMath(boolean refuse) {
    this.refuse = refuse;
  }

  static RecordingEcMath jdk() {
    return new RecordingEcMath(false);
  }

  static RecordingEcMath refusing() {
    return new RecordingEcMath(true);
  }

  @Override
  public ECPublicKey publicKey(ECPrivateKey key) throws GeneralSecurityException {
    publicKeys.incrementAndGet();
    if (refuse) {
      throw new InvalidKeyException("refused by the test");
    }
    return PemKeys.ecPublic(key, "test key");
  }

  @Override
  public byte[] sign(ECPrivateKey key, byte[] signingInput) throws GeneralSecurityException {
    signatures.incrementAndGet();
    Signature signer = Signature.getInstance(jca(key.getParams().getOrder().bitLength()));
    signer.initSign(key);
    signer.update(signingInput);
    try {
      return ECDSA.transcodeSignatureToConcat(signer.sign(), size(key) * 2);
    } catch (JOSEException e) {
      throw new GeneralSecurityException(e);
    }
  }

  @Override
  public boolean verify(ECPublicKey key, byte[] signingInput, byte[] signature)
      throws GeneralSecurityException {
    verifications.incrementAndGet();
    Signature verifier = Signature.getInstance(jca(key.getParams().getOrder().bitLength()));
    verifier.initVerify(key);
    verifier.update(signingInput);
    try {
      return verifier.verify(ECDSA.transcodeSignatureToDER(signature));
    } catch (JOSEException e) {
      return false;
    }
  }

  private static String jca(int bits) {
    return bits <= 256 ? "SHA256withECDSA" : "SHA384withECDSA";
  }

  private static int size(ECPrivateKey key) {
    return (key.getParams().getOrder().bitLength() + 7) / 8;
  }
}
