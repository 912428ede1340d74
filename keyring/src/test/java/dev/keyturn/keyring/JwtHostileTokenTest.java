package dev.keyturn.keyring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tokens signed with a keyring's own key but carrying what the verifier must still refuse. */
class JwtHostileTokenTest {
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String HEX =
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  private static String value(String generator) throws Exception {
    return generator.startsWith("hex") ? HEX : JwtKeyringTest.pem(generator);
  }

  /** A token signed by version 1 of {@code value} with {@code header}'s extras. */
  private static String signed(
      String generator, String value, JWSHeader.Builder header, String payload) throws Exception {
    JwtKeyType type = JwtKeyType.of(generator);
    JwtKey key = JwtKey.of(type, type.defaultAlgorithm(), 1, KeyStage.CURRENT, value);
    JWSObject jws = new JWSObject(header.keyID(key.kid).build(), new Payload(payload));
    jws.sign(key.signer);
    return jws.serialize();
  }

  private static JwtKeyring ring(String generator, String value) {
    return JwtKeyring.of(
        "app/JWT",
        generator,
        Duration.ofHours(24),
        Optional.empty(),
        List.of(KeyVersion.text(1, KeyStage.CURRENT, value)),
        CLOCK);
  }

  @ParameterizedTest
  @CsvSource({"hex:32", "rsa:2048", "ec:p256", "ed25519"})
  void verify_unknownCriticalHeader_refused(String generator) throws Exception {
    String value = value(generator);
    JwtKeyring ring = ring(generator, value);
    JWSHeader.Builder header =
        new JWSHeader.Builder(JwtKeyType.of(generator).defaultAlgorithm())
            .criticalParams(Set.of("urn:example:must-check"))
            .customParam("urn:example:must-check", "audience-binding");
    String token =
        signed(generator, value, header, "{\"exp\":" + (NOW.getEpochSecond() + 60) + "}");

    assertThatThrownBy(() -> ring.verify(token)).isInstanceOf(JwtRejected.class);
  }

  @ParameterizedTest
  @CsvSource({
    "exp,1e300",
    "exp,-1e300",
    "exp,9223372036854775807",
    "nbf,-9223372036854775808",
    "nbf,1e300"
  })
  void verify_timeClaimOutOfRange_refusedAsRejected(String claim, String number) throws Exception {
    String value = value("ed25519");
    JwtKeyring ring = ring("ed25519", value);
    String payload =
        claim.equals("exp")
            ? "{\"exp\":" + number + "}"
            : "{\"exp\":" + (NOW.getEpochSecond() + 60) + ",\"nbf\":" + number + "}";
    String token =
        signed(
            "ed25519",
            value,
            new JWSHeader.Builder(JwtKeyType.of("ed25519").defaultAlgorithm()),
            payload);

    assertThatThrownBy(() -> ring.verify(token))
        .isInstanceOf(JwtRejected.class)
        .hasMessageContaining(claim);
  }

  @ParameterizedTest
  @CsvSource({"ed25519", "rsa:2048"})
  void verify_jwkAndJkuHeaders_ignoredKeyFromKeyringOnly(String generator) throws Exception {
    String value = value(generator);
    String attacker = JwtKeyringTest.pem(generator);
    JwtKeyring ring = ring(generator, value);
    JwtKey legit =
        JwtKey.of(
            JwtKeyType.of(generator),
            JwtKeyType.of(generator).defaultAlgorithm(),
            1,
            KeyStage.CURRENT,
            value);
    JwtKey own =
        JwtKey.of(
            JwtKeyType.of(generator),
            JwtKeyType.of(generator).defaultAlgorithm(),
            1,
            KeyStage.CURRENT,
            attacker);
    JWSObject jws =
        new JWSObject(
            new JWSHeader.Builder(JwtKeyType.of(generator).defaultAlgorithm())
                .keyID(legit.kid)
                .jwkURL(java.net.URI.create("http://127.0.0.1:9/jwks"))
                .x509CertURL(java.net.URI.create("http://127.0.0.1:9/x5u"))
                .jwk(own.published().orElseThrow())
                .build(),
            new Payload("{\"exp\":" + (NOW.getEpochSecond() + 60) + "}"));
    jws.sign(own.signer);

    assertThatThrownBy(() -> ring.verify(jws.serialize()))
        .isInstanceOf(JwtRejected.class)
        .hasMessageContaining("bad signature");
    assertThat(ring.kids()).containsValue(legit.kid);
  }
}
