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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JwtKeyringEcMathTest {
  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static JwtKeyring ring(String generator, List<KeyVersion> versions, EcMath math) {
    return JwtKeyring.of(
        "app/JWT",
        generator,
        Duration.ofDays(1),
        Optional.empty(),
        versions,
        CLOCK,
        Optional.of(math));
  }

  @ParameterizedTest
  @CsvSource({"ec:p256", "ec:p384"})
  void of_withEcMath_derivesEachVersionOnceAndSignsAndVerifiesThroughIt(String generator)
      throws Exception {
    List<KeyVersion> versions =
        List.of(
            KeyVersion.text(3, KeyStage.PENDING, JwtKeyringTest.pem(generator)),
            KeyVersion.text(2, KeyStage.CURRENT, JwtKeyringTest.pem(generator)),
            KeyVersion.text(1, KeyStage.PREVIOUS, JwtKeyringTest.pem(generator)));
    RecordingEcMath math = RecordingEcMath.jdk();
    JwtKeyring jdk =
        JwtKeyring.of("app/JWT", generator, Duration.ofDays(1), Optional.empty(), versions, CLOCK);

    JwtKeyring ring = ring(generator, versions, math);
    String token = ring.sign("{\"sub\":\"alice\"}", Optional.empty());
    JwtKeyring.Verified verified = ring.verify(token);

    assertThat(math.publicKeys).hasValue(3);
    assertThat(math.signatures).hasValue(1);
    assertThat(math.verifications).hasValue(1);
    assertThat(ring.kids()).isEqualTo(jdk.kids());
    assertThat(ring.jwks()).isEqualTo(jdk.jwks());
    assertThat(verified.version()).isEqualTo(2);
    assertThat(jdk.verify(token).claimsJson()).contains("\"sub\":\"alice\"");
  }

  @Test
  void of_ecMathRefusesAKey_throwsNamingTheVersionNotTheKey() throws Exception {
    String pem = JwtKeyringTest.pem("ec:p256");
    List<KeyVersion> versions = List.of(KeyVersion.text(3, KeyStage.CURRENT, pem));

    assertThatThrownBy(() -> ring("ec:p256", versions, RecordingEcMath.refusing()))
        .isInstanceOf(JwtKeyringException.class)
        .hasMessage("version 3: EC public key derivation failed");
  }

  @Test
  void of_withEcMath_otherKeyTypesDoNotUseIt() throws Exception {
    RecordingEcMath math = RecordingEcMath.refusing();

    JwtKeyring ring =
        ring(
            "ed25519",
            List.of(KeyVersion.text(1, KeyStage.CURRENT, JwtKeyringTest.pem("ed25519"))),
            math);
    ring.verify(ring.sign("{}", Optional.empty()));

    assertThat(math.publicKeys).hasValue(0);
    assertThat(math.signatures).hasValue(0);
    assertThat(math.verifications).hasValue(0);
  }

  @Test
  void verify_withEcMath_unknownCriticalHeaderOrForeignKid_refused() throws Exception {
    List<KeyVersion> versions =
        List.of(KeyVersion.text(1, KeyStage.CURRENT, JwtKeyringTest.pem("ec:p256")));
    RecordingEcMath math = RecordingEcMath.jdk();
    JwtKeyring ring = ring("ec:p256", versions, math);
    JwtKey key =
        JwtKey.of(
            JwtKeyType.EC_P256,
            com.nimbusds.jose.JWSAlgorithm.ES256,
            1,
            KeyStage.CURRENT,
            versions.get(0).reveal(),
            Optional.of(math));
    JWSObject critical =
        new JWSObject(
            new JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.ES256)
                .keyID(key.kid)
                .criticalParams(Set.of("urn:example:must-check"))
                .customParam("urn:example:must-check", "x")
                .build(),
            new Payload("{\"exp\":" + (NOW.getEpochSecond() + 60) + "}"));
    critical.sign(key.signer);
    String otherKey =
        ring(
                "ec:p256",
                List.of(KeyVersion.text(1, KeyStage.CURRENT, JwtKeyringTest.pem("ec:p256"))),
                math)
            .sign("{}", Optional.empty());

    assertThatThrownBy(() -> ring.verify(critical.serialize()))
        .isInstanceOf(JwtRejected.class)
        .hasMessage("bad signature (kid of version 1)");
    assertThatThrownBy(() -> ring.verify(otherKey))
        .isInstanceOf(JwtRejected.class)
        .hasMessageStartingWith("unknown or retired kid ");
  }
}
