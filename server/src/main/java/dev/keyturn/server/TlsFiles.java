package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;

/**
 * Reads a PEM certificate chain and a PKCS#8 PEM private key (RSA, EC or Ed25519) into an in-memory
 * key store for the HTTPS listener, after checking that the key belongs to the chain's first
 * certificate (a signature made with the key verifies with the certificate's public key), so a
 * mismatched pair stops the server at start instead of failing every handshake. Errors name the
 * files, never key material.
 */
final class TlsFiles {
  private TlsFiles() {}

  /** The key store and its (random, in-memory) password. */
  record Loaded(KeyStore keyStore, String password) {}

  static Loaded load(ServerConfig.Tls tls, SecureRandom random) {
    Certificate[] chain = certificates(tls.certificate());
    PrivateKey key = privateKey(tls.privateKey());
    requireMatch(chain[0], key, tls);
    byte[] pw = new byte[16];
    random.nextBytes(pw);
    String password = HexFormat.of().formatHex(pw);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("keyturn", key, password.toCharArray(), chain);
      return new Loaded(store, password);
    } catch (GeneralSecurityException | IOException e) {
      throw new KeyturnException.InvalidInput(
          "the TLS key does not fit the certificate in "
              + tls.certificate()
              + ": "
              + e.getMessage());
    }
  }

  /** Refuses a key that is not the private half of {@code leaf}'s public key. */
  private static void requireMatch(Certificate leaf, PrivateKey key, ServerConfig.Tls tls) {
    String mismatch =
        "the TLS key "
            + tls.privateKey()
            + " does not belong to the first certificate in "
            + tls.certificate()
            + " (the server's own certificate must come first, and the key must be its key)";
    PublicKey expected = leaf.getPublicKey();
    if (!expected.getAlgorithm().equals(key.getAlgorithm())
        && !(expected.getAlgorithm().startsWith("Ed") && key.getAlgorithm().startsWith("Ed"))) {
      throw new KeyturnException.InvalidInput(
          mismatch
              + ": a "
              + key.getAlgorithm()
              + " key for a "
              + expected.getAlgorithm()
              + " one");
    }
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          default -> "Ed25519";
        };
    byte[] challenge = "keyturn tls key check".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(expected);
      verifier.update(challenge);
      if (!verifier.verify(signature)) {
        throw new KeyturnException.InvalidInput(mismatch);
      }
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.InvalidInput(mismatch);
    }
  }

  private static Certificate[] certificates(Path file) {
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)));
      if (certs.isEmpty()) {
        throw new KeyturnException.InvalidInput(file + " holds no PEM certificate");
      }
      return certs.toArray(new Certificate[0]);
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot read TLS certificate " + file + ": " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.InvalidInput(file + " is not a PEM certificate chain");
    }
  }

  private static PrivateKey privateKey(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot read TLS key " + file + ": " + e.getMessage());
    }
    if (pem.contains("BEGIN RSA PRIVATE KEY")
        || pem.contains("BEGIN EC PRIVATE KEY")
        || pem.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
      throw new KeyturnException.InvalidInput(
          file
              + " is not an unencrypted PKCS#8 key; convert it with"
              + " 'openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem'");
    }
    int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new KeyturnException.InvalidInput(file + " holds no PEM private key");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput(file + " is not valid PEM");
    }
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new KeyturnException.InvalidInput(file + " is not an RSA, EC or Ed25519 PKCS#8 key");
  }
}
