package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.impl.ECDSA;
import dev.keyturn.keyring.JwtKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.EllipticCurve;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BouncyCastleEcMathTest {
  private static final BouncyCastleEcMath MATH = BouncyCastleEcMath.INSTANCE;
  private static final byte[] INPUT = "header.payload".getBytes(StandardCharsets.US_ASCII);
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);

  private static KeyPair pair(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private static String pem(KeyPair pair) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(pair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  @ParameterizedTest
  @CsvSource({"secp256r1,SHA256withECDSA,32", "secp384r1,SHA384withECDSA,48"})
  void signAndPublicKey_eachCurve_matchTheJdk(String curve, String jca, int size) throws Exception {
    KeyPair pair = pair(curve);
    ECPrivateKey key = (ECPrivateKey) pair.getPrivate();
    ECPublicKey jdkPublic = (ECPublicKey) pair.getPublic();
    Signature jdkSigner = Signature.getInstance(jca);
    jdkSigner.initSign(key);
    jdkSigner.update(INPUT);
    byte[] jdkSignature = ECDSA.transcodeSignatureToConcat(jdkSigner.sign(), 2 * size);

    ECPublicKey derived = MATH.publicKey(key);
    byte[] signature = MATH.sign(key, INPUT);
    Signature jdkVerifier = Signature.getInstance(jca);
    jdkVerifier.initVerify(jdkPublic);
    jdkVerifier.update(INPUT);

    assertThat(derived.getW()).isEqualTo(jdkPublic.getW());
    assertThat(signature).hasSize(2 * size);
    assertThat(jdkVerifier.verify(ECDSA.transcodeSignatureToDER(signature))).isTrue();
    assertThat(MATH.verify(jdkPublic, INPUT, jdkSignature)).isTrue();
    assertThat(MATH.verify(derived, INPUT, signature)).isTrue();
  }

  @Test
  void verify_tamperedTruncatedOrOutOfRange_false() throws Exception {
    KeyPair pair = pair("secp256r1");
    ECPublicKey pub = (ECPublicKey) pair.getPublic();
    byte[] good = MATH.sign((ECPrivateKey) pair.getPrivate(), INPUT);
    byte[] flipped = good.clone();
    flipped[40] ^= 1;
    byte[] zeroR = good.clone();
    java.util.Arrays.fill(zeroR, 0, 32, (byte) 0);
    byte[] otherInput = "header.payloaD".getBytes(StandardCharsets.US_ASCII);

    assertThat(MATH.verify(pub, INPUT, good)).isTrue();
    assertThat(MATH.verify(pub, INPUT, flipped)).isFalse();
    assertThat(MATH.verify(pub, INPUT, java.util.Arrays.copyOf(good, 63))).isFalse();
    assertThat(MATH.verify(pub, INPUT, java.util.Arrays.copyOf(good, 65))).isFalse();
    assertThat(MATH.verify(pub, INPUT, zeroR)).isFalse();
    assertThat(MATH.verify(pub, INPUT, new byte[64])).isFalse();
    assertThat(MATH.verify(pub, otherInput, good)).isFalse();
  }

  @Test
  void adversary_otherCurveOrScalarOutOfRange_refusedWithoutQuotingTheKey() throws Exception {
    ECPrivateKey real = (ECPrivateKey) pair("secp256r1").getPrivate();
    ECParameterSpec p = real.getParams();
    // P-256's field and generator with another b: a curve that only looks like P-256
    ECParameterSpec twisted =
        new ECParameterSpec(
            new EllipticCurve(p.getCurve().getField(), p.getCurve().getA(), BigInteger.TEN),
            p.getGenerator(),
            p.getOrder(),
            p.getCofactor());
    ECPrivateKey onTwisted = key(real.getS(), twisted);
    ECPrivateKey zero = key(BigInteger.ZERO, p);
    ECPrivateKey order = key(p.getOrder(), p);

    assertThatThrownBy(() -> MATH.publicKey(onTwisted))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessage("not a P-256 or P-384 key");
    assertThatThrownBy(() -> MATH.sign(onTwisted, INPUT)).isInstanceOf(InvalidKeyException.class);
    assertThatThrownBy(() -> MATH.publicKey(zero))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessage("the private scalar is out of range for P-256");
    assertThatThrownBy(() -> MATH.sign(order, INPUT))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageNotContaining(real.getS().toString(16));
  }

  @ParameterizedTest
  @CsvSource({"secp256r1,ec:p256", "secp384r1,ec:p384"})
  void keyring_withThisMath_sameKidsAndTokensTheJdkKeyringAccepts(String curve, String generator)
      throws Exception {
    List<KeyVersion> versions =
        List.of(
            KeyVersion.text(2, KeyStage.CURRENT, pem(pair(curve))),
            KeyVersion.text(1, KeyStage.PREVIOUS, pem(pair(curve))));
    JwtKeyring jdk =
        JwtKeyring.of("app/JWT", generator, Duration.ofDays(1), Optional.empty(), versions, CLOCK);
    JwtKeyring bc =
        JwtKeyring.of(
            "app/JWT",
            generator,
            Duration.ofDays(1),
            Optional.empty(),
            versions,
            CLOCK,
            JwtCommand.EC_MATH);

    String fromBc = bc.sign("{\"sub\":\"alice\"}", Optional.empty());
    String fromJdk = jdk.sign("{\"sub\":\"bob\"}", Optional.empty());

    assertThat(bc.kids()).isEqualTo(jdk.kids());
    assertThat(bc.jwks()).isEqualTo(jdk.jwks());
    assertThat(JWSObject.parse(fromBc).getHeader().getKeyID()).isEqualTo(jdk.kids().get(2));
    assertThat(jdk.verify(fromBc).claimsJson()).contains("\"sub\":\"alice\"");
    assertThat(bc.verify(fromJdk).claimsJson()).contains("\"sub\":\"bob\"");
    assertThat(bc.verify(fromBc).version()).isEqualTo(2);
  }

  /** A private key with any scalar and parameters, as a hostile or broken value could give. */
  private static ECPrivateKey key(BigInteger s, ECParameterSpec params) {
    return new ECPrivateKey() {
      @Override
      public BigInteger getS() {
        return s;
      }

      @Override
      public ECParameterSpec getParams() {
        return params;
      }

      @Override
      public String getAlgorithm() {
        return "EC";
      }

      @Override
      public String getFormat() {
        return null;
      }

      @Override
      public byte[] getEncoded() {
        return null;
      }
    };
  }
}
