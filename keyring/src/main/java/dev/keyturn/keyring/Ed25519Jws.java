package dev.keyturn.keyring;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Optional;
import java.util.Set;

/**
 * EdDSA (Ed25519, RFC 8037) JWS signing and verification with the JDK's Ed25519, for Nimbus: its
 * own Ed25519 classes need Tink, which this module does not take. Thread-safe.
 */
final class Ed25519Jws implements JWSSigner, JWSVerifier {
  private final Optional<PrivateKey> privateKey;
  private final PublicKey publicKey;
  private final JCAContext jca = new JCAContext();

  Ed25519Jws(Optional<PrivateKey> privateKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  @Override
  public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
    check(header);
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(privateKey.orElseThrow(() -> new JOSEException("no Ed25519 private key")));
      signer.update(signingInput);
      return Base64URL.encode(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new JOSEException("Ed25519 signing failed", e);
    }
  }

  @Override
  public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature)
      throws JOSEException {
    check(header);
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      // RFC 7515 4.1.11: a critical parameter this verifier does not understand fails the token,
      // as Nimbus's own verifiers (RSA, EC, HMAC) do with their default policy.
      return false;
    }
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(publicKey);
      verifier.update(signingInput);
      return verifier.verify(signature.decode());
    } catch (java.security.SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new JOSEException("Ed25519 verification failed", e);
    }
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    return Set.of(JWSAlgorithm.EdDSA);
  }

  @Override
  public JCAContext getJCAContext() {
    return jca;
  }

  private static void check(JWSHeader header) throws JOSEException {
    if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm())) {
      throw new JOSEException("Ed25519 keys sign EdDSA only");
    }
  }
}
