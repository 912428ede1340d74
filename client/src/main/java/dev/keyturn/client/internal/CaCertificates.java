package dev.keyturn.client.internal;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A TLS context that trusts the CA certificates of a PEM file, and nothing else. */
public final class CaCertificates {
  private CaCertificates() {}

  /**
   * A context trusting exactly the certificates in {@code file} (PEM). Host names are checked by
   * whoever uses it, as {@link WireClient} and the CLI do.
   *
   * @throws IllegalArgumentException if the file cannot be read or holds no PEM certificate
   */
  public static SSLContext trusting(Path file) {
    requireNonNull(file, "file");
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, cert);
      }
      if (i == 0) {
        throw new IllegalArgumentException(file + " holds no PEM certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read CA certificate " + file + ": " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(file + " is not a PEM CA certificate");
    }
  }
}
