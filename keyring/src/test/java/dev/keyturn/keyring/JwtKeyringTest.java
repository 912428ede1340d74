package dev.keyturn.keyring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JwtKeyringTest {
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String HEX =
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  /** A PKCS#8 PEM private key as core's generators write it. */
  static String pem(String generator) throws Exception {
    KeyPairGenerator g;
    switch (generator) {
      case "rsa:2048" -> {
        g = KeyPairGenerator.getInstance("RSA");
        g.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
      }
      case "ec:p256", "ec:p384" -> {
        g = KeyPairGenerator.getInstance("EC");
        g.initialize(
            new ECGenParameterSpec(generator.equals("ec:p256") ? "secp256r1" : "secp384r1"));
      }
      default -> g = KeyPairGenerator.getInstance("Ed25519");
    }
    String body =
        Base64.getMimeEncoder(64, new byte[] {'\n'})
            .encodeToString(g.generateKeyPair().getPrivate().getEncoded());
    return "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----";
  }

  private static JwtKeyring keyring(String generator, Optional<String> alg, KeyVersion... m) {
    return JwtKeyring.of("app/JWT", generator, Duration.ofHours(24), alg, List.of(m), CLOCK);
  }

  @ParameterizedTest
  @CsvSource({
    "hex:32,,HS256",
    "hex:32,HS384,HS384",
    "base64url:64,HS512,HS512",
    "rsa:2048,,RS256",
    "rsa:2048,PS256,PS256",
    "ec:p256,,ES256",
    "ec:p384,,ES384",
    "ed25519,,EdDSA"
  })
  void sign_eachKeyType_verifiesWithKidIatAndExp(String generator, String alg, String expected)
      throws Exception {
    String value =
        generator.startsWith("hex") || generator.startsWith("base64") ? HEX : pem(generator);
    JwtKeyring ring =
        keyring(generator, Optional.ofNullable(alg), KeyVersion.text(3, KeyStage.CURRENT, value));

    String token = ring.sign("{\"sub\":\"alice\"}", Optional.of(Duration.ofMinutes(5)));
    JwtKeyring.Verified verified = ring.verify(token);

    JWSObject jws = JWSObject.parse(token);
    assertThat(jws.getHeader().getAlgorithm().getName()).isEqualTo(expected);
    assertThat(jws.getHeader().getKeyID()).isEqualTo(ring.kids().get(3)).hasSize(43);
    assertThat(verified.version()).isEqualTo(3);
    assertThat(jws.getPayload().toJSONObject())
        .containsEntry("sub", "alice")
        .containsEntry("iat", NOW.getEpochSecond())
        .containsEntry("exp", NOW.getEpochSecond() + 300);
  }

  @ParameterizedTest
  @CsvSource({"rsa:2048", "ec:p256", "ec:p384", "ed25519"})
  void jwks_asymmetricKeys_listsPublicParametersOnly(String generator) throws Exception {
    JwtKeyring ring =
        keyring(
            generator,
            Optional.empty(),
            KeyVersion.text(2, KeyStage.PENDING, pem(generator)),
            KeyVersion.text(1, KeyStage.CURRENT, pem(generator)));

    JWKSet set = JWKSet.parse(ring.jwks());

    assertThat(set.getKeys()).hasSize(2);
    for (var jwk : set.getKeys()) {
      Map<String, Object> json = jwk.toJSONObject();
      assertThat(json).doesNotContainKeys("d", "p", "q", "dp", "dq", "qi", "k");
      assertThat(json).containsEntry("use", "sig").containsEntry("alg", ring.algorithm());
      assertThat(jwk.computeThumbprint().toString()).isEqualTo(jwk.getKeyID());
      assertThat(jwk.isPrivate()).isFalse();
    }
    assertThat(set.getKeys().get(0).getKeyID()).isEqualTo(ring.kids().get(2));
  }

  @Test
  void jwks_hmacKeys_refused() {
    JwtKeyring ring =
        keyring("hex:32", Optional.empty(), KeyVersion.text(1, KeyStage.CURRENT, HEX));

    assertThatThrownBy(ring::jwks)
        .isInstanceOf(JwtKeyringException.class)
        .hasMessageContaining("HMAC");
  }

  @Test
  void verify_algNone_refused() {
    JwtKeyring ring =
        keyring("hex:32", Optional.empty(), KeyVersion.text(1, KeyStage.CURRENT, HEX));
    String header = b64("{\"alg\":\"none\",\"kid\":\"" + ring.kids().get(1) + "\"}");
    String payload = b64("{\"sub\":\"x\",\"exp\":" + (NOW.getEpochSecond() + 60) + "}");

    assertThatThrownBy(() -> ring.verify(header + "." + payload + "."))
        .isInstanceOf(JwtRejected.class);
    assertThatThrownBy(() -> ring.verify(header + "." + payload + ".c2ln"))
        .isInstanceOf(JwtRejected.class)
        .hasMessageContaining("alg: none");
  }

  @Test
  void verify_hs256KeyedWithRsaPublicKey_refusedAsForeign() throws Exception {
    JwtKeyring ring =
        keyring(
            "rsa:2048", Optional.empty(), KeyVersion.text(1, KeyStage.CURRENT, pem("rsa:2048")));
    String publicJwk = ring.jwks();
    JWSObject forged =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(ring.kids().get(1)).build(),
            new Payload("{\"exp\":" + (NOW.getEpochSecond() + 60) + "}"));
    forged.sign(new MACSigner(publicJwk.getBytes(java.nio.charset.StandardCharsets.UTF_8)));

    assertThatThrownBy(() -> ring.verify(forged.serialize()))
        .isInstanceOf(JwtRejected.class)
        .hasMessageContaining("foreign algorithm 'HS256'");
  }

  @Test
  void verify_retiredKid_refused() throws Exception {
    String old = pem("ec:p256");
    JwtKeyring before =
        keyring("ec:p256", Optional.empty(), KeyVersion.text(1, KeyStage.CURRENT, old));
    String token = before.sign("{}", Optional.empty());
    JwtKeyring after =
        keyring("ec:p256", Optional.empty(), KeyVersion.text(2, KeyStage.CURRENT, pem("ec:p256")));

    assertThatThrownBy(() -> after.verify(token))
        .isInstanceOf(JwtRejected.class)
        .hasMessageContaining("unknown or retired kid");
  }

  @Test
  void verify_otherKeyUnderSameKid_badSignature() throws Exception {
    JwtKeyring ring =
        keyring("hex:32", Optional.empty(), KeyVersion.text(1, KeyStage.CURRENT, HEX));
    String token = ring.sign("{}", Optional.empty());
    String[] parts = token.split("\\.");
    String tampered =
        parts[0]
            + "."
            + b64("{\"admin\":true,\"exp\":" + (NOW.getEpochSecond() + 60) + "}")
            + "."
            + parts[2];

    assertThatThrownBy(() -> ring.verify(tampered))
        .isInstanceOf(JwtRejected.class)
        .hasMessageContaining("bad signature");
  }

  @Test
  void verify_expiredBeyondLeeway_refusedWithinLeewayAccepted() {
    KeyVersion member = KeyVersion.text(1, KeyStage.CURRENT, HEX);
    String token =
        JwtKeyring.of("a", "hex:32", Duration.ofHours(1), Optional.empty(), List.of(member), CLOCK)
            .sign("{}", Optional.of(Duration.ofMinutes(1)));
    Clock within = Clock.fixed(NOW.plusSeconds(120), ZoneOffset.UTC);
    Clock beyond = Clock.fixed(NOW.plusSeconds(121), ZoneOffset.UTC);

    JwtKeyring late =
        JwtKeyring.of(
            "a", "hex:32", Duration.ofHours(1), Optional.empty(), List.of(member), beyond);

    assertThat(
            JwtKeyring.of(
                    "a", "hex:32", Duration.ofHours(1), Optional.empty(), List.of(member), within)
                .verify(token)
                .version())
        .isEqualTo(1);
    assertThatThrownBy(() -> late.verify(token))
        .isInstanceOf(JwtRejected.class)
        .hasMessageContaining("expired");
  }

  @Test
  void sign_ttlBeyondGrace_refused() {
    JwtKeyring ring =
        keyring("hex:32", Optional.empty(), KeyVersion.text(1, KeyStage.CURRENT, HEX));

    assertThatThrownBy(() -> ring.sign("{}", Optional.of(Duration.ofHours(25))))
        .isInstanceOf(JwtKeyringException.class)
        .hasMessageContaining("beyond app/JWT's grace");
  }

  @Test
  void of_generatorOrAlgorithmThatDoesNotFit_refused() throws Exception {
    assertThatThrownBy(() -> keyring("password:32", Optional.empty()))
        .isInstanceOf(JwtKeyringException.class)
        .hasMessageContaining("makes no JWT key");
    assertThatThrownBy(() -> keyring("ec:p256", Optional.of("RS256")))
        .isInstanceOf(JwtKeyringException.class)
        .hasMessageContaining("signs with ES256");
    assertThatThrownBy(() ->
            keyring(
                "ec:p384", Optional.empty(), KeyVersion.text(4, KeyStage.CURRENT, pem("ec:p256"))))
        .isInstanceOf(JwtKeyringException.class)
        .hasMessage("version 4 is not an EC P-384 private key");
    assertThatThrownBy(() ->
            keyring(
                "rsa:2048",
                Optional.empty(),
                KeyVersion.text(5, KeyStage.CURRENT, "CANARY-not-a-key")))
        .isInstanceOf(JwtKeyringException.class)
        .hasMessageNotContaining("CANARY");
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
