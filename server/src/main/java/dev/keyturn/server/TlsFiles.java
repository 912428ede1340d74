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
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;

/**
 * Reads a PEM certificate chain and a PKCS#8 PEM private key (RSA, EC or Ed25519) into an in-memory
 * key store for the HTTPS listener. Errors name the file, never key material.
 */
final class TlsFiles {
  private TlsFiles() {}

  /** The key store and its (random, in-memory) password. */
  record Loaded(KeyStore keyStore, String password) {}

  static Loaded load(ServerConfig.Tls tls, SecureRandom random) {
    Certificate[] chain = certificates(tls.certificate());
    PrivateKey key = privateKey(tls.privateKey());
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
