package dev.keyturn.client.internal;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.SecretValueResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Run by {@link JavaSeventeenTest} on a Java 17 runtime: reads a value and a keyring through the
 * SDK from a responder in this JVM and prints what it read, so that the SDK side (api, client and
 * what they use) is shown to load and work on the Java the services that embed it still run.
 */
public final class OnJava17 {
  private OnJava17() {}

  public static void main(String[] args) throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          String body =
              path.startsWith("/v1/keyrings/")
                  ? "{\"name\":\"app/x\",\"versions\":[{\"version\":2,\"stage\":\"current\","
                      + "\"value\":\"new\",\"accept_until\":null},{\"version\":1,"
                      + "\"stage\":\"previous\",\"value\":\"old\","
                      + "\"accept_until\":\"2026-01-02T00:00:00Z\"}]}"
                  : "{\"name\":\"app/x\",\"version\":2,\"stage\":\"current\",\"value\":\"new\","
                      + "\"created_at\":\"2026-01-01T00:00:00Z\"}";
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    server.start();
    try (WireClient client =
        WireClient.builder()
            .address("http://127.0.0.1:" + server.getAddress().getPort())
            .token("kt_java17_check")
            .build()) {
      SecretValueResponse value = client.get("app/x");
      KeyringResponse keyring = client.keyring("app/x");
      System.out.println(
          "java "
              + Runtime.version().feature()
              + ": "
              + value.name()
              + "#"
              + value.version()
              + " "
              + value.stage()
              + ", keyring of "
              + keyring.versions().size());
      System.out.println("jwt: " + jwtRoundTrips());
    } finally {
      server.stop(0);
    }
  }

  /**
   * Signs and verifies a token and builds the JWK Set with keys of every asymmetric kind made on
   * this runtime, as core's generators make them (PKCS#8 PEM without the public key).
   */
  private static String jwtRoundTrips() throws Exception {
    StringBuilder out = new StringBuilder();
    String[][] kinds = {
      {"rsa:2048", "RSA", ""},
      {"ec:p256", "EC", "secp256r1"},
      {"ec:p384", "EC", "secp384r1"},
      {"ed25519", "Ed25519", ""}
    };
    for (String[] kind : kinds) {
      java.security.KeyPairGenerator generator =
          java.security.KeyPairGenerator.getInstance(kind[1]);
      if (!kind[2].isEmpty()) {
        generator.initialize(new java.security.spec.ECGenParameterSpec(kind[2]));
      }
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + java.util.Base64.getMimeEncoder()
                  .encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
              + "\n-----END PRIVATE KEY-----";
      dev.keyturn.keyring.JwtKeyring ring =
          dev.keyturn.keyring.JwtKeyring.of(
              "app/jwt",
              kind[0],
              java.time.Duration.ofHours(1),
              java.util.Optional.empty(),
              java.util.List.of(
                  dev.keyturn.keyring.KeyVersion.text(
                      1, dev.keyturn.keyring.KeyStage.CURRENT, pem)),
              java.time.Clock.systemUTC());
      String token = ring.sign("{}", java.util.Optional.empty());
      boolean ok = ring.verify(token).version() == 1 && ring.jwks().contains(ring.kids().get(1));
      out.append(ok ? ring.algorithm() : "FAILED-" + kind[0]).append(' ');
    }
    return out.toString().strip();
  }
}
