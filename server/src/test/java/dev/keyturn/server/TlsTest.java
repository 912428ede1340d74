package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnConnectionException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.testing.TestServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with a certificate made by openssl; the client trusts it only through its CA file. */
class TlsTest {
  @TempDir Path dir;

  @Test
  void https_servesClientsThatTrustTheCertificate() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString(),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1");
    ServerConfig base = RunningServer.config(dir.resolve("data"), Optional.empty());
    ServerConfig config = base.toBuilder().tls(new ServerConfig.Tls(cert, key)).build();

    try (KeyturnServer server =
        KeyturnServer.start(config, Clock.systemUTC(), new SecureRandom())) {
      String token = Files.readString(dir.resolve("data/root.token")).strip();
      String url = "https://127.0.0.1:" + server.port();
      WireClient trusting =
          WireClient.builder().address(url).token(token).caCertificate(cert).build();
      WireClient untrusting = WireClient.builder().address(url).token(token).build();
      WireClient plain =
          WireClient.builder().address("http://127.0.0.1:" + server.port()).token(token).build();

      assertThat(trusting.whoami().tokenId()).isEqualTo("root");
      assertThatThrownBy(untrusting::whoami)
          .isInstanceOf(KeyturnConnectionException.class)
          .hasMessageContaining("KEYTURN_CACERT");
      assertThatThrownBy(plain::whoami).isInstanceOf(KeyturnClientException.class);
    }
  }

  @Test
  void badKeyFiles_areRefusedAtStart() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Path rsaPkcs1 = dir.resolve("rsa.pem");
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString(),
        "-days",
        "1",
        "-subj",
        "/CN=localhost");
    openssl("genrsa", "-traditional", "-out", rsaPkcs1.toString(), "2048");

    assertThatThrownBy(
            () -> TlsFiles.load(new ServerConfig.Tls(cert, rsaPkcs1), new SecureRandom()))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("openssl pkcs8");
    assertThatThrownBy(() -> TlsFiles.load(new ServerConfig.Tls(key, key), new SecureRandom()))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(
            () -> TlsFiles.load(new ServerConfig.Tls(dir.resolve("none"), key), new SecureRandom()))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("cannot read");
    assertThat(TlsFiles.load(new ServerConfig.Tls(cert, key), new SecureRandom()).keyStore().size())
        .isEqualTo(1);
  }

  @Test
  void keyOfAnotherCertificate_isRefusedAtStartNamingBothFiles() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Path otherCert = dir.resolve("other-cert.pem");
    Path otherKey = dir.resolve("other-key.pem");
    Path rsaCert = dir.resolve("rsa-cert.pem");
    Path rsaKey = dir.resolve("rsa-key.pem");
    selfSigned("ec", cert, key);
    selfSigned("ec", otherCert, otherKey);
    selfSigned("rsa", rsaCert, rsaKey);
    ServerConfig base = RunningServer.config(dir.resolve("data"), Optional.empty());

    for (Path[] pair :
        new Path[][] {{cert, otherKey}, {otherCert, key}, {cert, rsaKey}, {rsaCert, key}}) {
      assertThatThrownBy(() ->
              KeyturnServer.start(
                  base.toBuilder().tls(new ServerConfig.Tls(pair[0], pair[1])).build(),
                  Clock.systemUTC(),
                  new SecureRandom()))
          .isInstanceOf(KeyturnException.InvalidInput.class)
          .hasMessageContaining("does not belong to the first certificate")
          .hasMessageContaining(pair[0].toString())
          .hasMessageContaining(pair[1].toString());
    }
    assertThat(Files.exists(dir.resolve("data/keyturn.db"))).as("nothing was started").isFalse();
    assertThat(
            TlsFiles.load(new ServerConfig.Tls(rsaCert, rsaKey), new SecureRandom())
                .keyStore()
                .size())
        .isEqualTo(1);
  }

  private static void selfSigned(String type, Path cert, Path key) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            type.equals("ec")
                ? List.of("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
                : List.of("req", "-x509", "-newkey", "rsa:2048"));
    args.addAll(
        List.of(
            "-nodes",
            "-keyout",
            key.toString(),
            "-out",
            cert.toString(),
            "-days",
            "1",
            "-subj",
            "/CN=localhost"));
    openssl(args.toArray(String[]::new));
  }

  private static void openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      TestServices.unavailable("openssl", e);
      return;
    }
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}
