package dev.keyturn.keyring;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.Optional;
import java.util.Set;

/**
 * ES256 or ES384 JWS signing and verification through an {@link EcMath}, for Nimbus, in place of
 * its JCA-backed {@code ECDSASigner} and {@code ECDSAVerifier}. Thread-safe if the math is.
 */
final class EcMathJws implements JWSSigner, JWSVerifier {
  private final EcMath math;
  private final JWSAlgorithm algorithm;
  private final Optional<ECPrivateKey> privateKey;
  private final ECPublicKey publicKey;
  private final JCAContext jca = new JCAContext();

  EcMathJws(
      EcMath math,
      JWSAlgorithm algorithm,
      Optional<ECPrivateKey> privateKey,
      ECPublicKey publicKey) {
    this.math = math;
    this.algorithm = algorithm;
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  @Override
  public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
    check(header);
    ECPrivateKey key = privateKey.orElseThrow(() -> new JOSEException("no EC private key"));
    try {
      return Base64URL.encode(math.sign(key, signingInput));
    } catch (GeneralSecurityException e) {
      throw new JOSEException(algorithm + " signing failed", e);
    }
  }

  @Override
  public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature)
      throws JOSEException {
    check(header);
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      // RFC 7515 4.1.11: a critical parameter this verifier does not understand fails the token,
      // as Nimbus's own verifiers do with their default policy.
      return false;
    }
    try {
      return math.verify(publicKey, signingInput, signature.decode());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    return Set.of(algorithm);
  }

  @Override
  public JCAContext getJCAContext() {
    return jca;
  }

  private void check(JWSHeader header) throws JOSEException {
    if (!algorithm.equals(header.getAlgorithm())) {
      throw new JOSEException("this key signs " + algorithm + " only");
    }
  }
}
