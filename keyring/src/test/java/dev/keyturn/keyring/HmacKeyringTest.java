package dev.keyturn.keyring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HmacKeyringTest {
  private static final String NAME = "app/prod/REVALIDATE_SECRET";

  private static HmacKeyring ring(KeyVersion... versions) {
    return HmacKeyring.of(NAME, List.of(versions));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String hex(HmacKeyring ring, HmacAlgorithm a, byte[] body) {
    return HmacEncoding.HEX.encode(ring.sign(a, body));
  }

  @Test
  void sign_rfc4231Vectors_match() {
    // RFC 4231 test cases 1, 2, 4 and 5: the ones whose keys are UTF-8 text, as secret values are
    HmacKeyring one = ring(KeyVersion.text(1, KeyStage.CURRENT, "\u000b".repeat(20)));
    HmacKeyring two = ring(KeyVersion.text(1, KeyStage.CURRENT, "Jefe"));
    StringBuilder key4 = new StringBuilder();
    for (char c = 1; c <= 0x19; c++) {
      key4.append(c);
    }
    HmacKeyring four = ring(KeyVersion.text(1, KeyStage.CURRENT, key4.toString()));
    HmacKeyring five = ring(KeyVersion.text(1, KeyStage.CURRENT, "\f".repeat(20)));
    byte[] data4 = bytes("\u00cd".repeat(50));

    assertThat(hex(one, HmacAlgorithm.SHA256, bytes("Hi There")))
        .isEqualTo("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    assertThat(hex(one, HmacAlgorithm.SHA384, bytes("Hi There")))
        .isEqualTo(
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                + "faea9ea9076ede7f4af152e8b2fa9cb6");
    assertThat(hex(one, HmacAlgorithm.SHA512, bytes("Hi There")))
        .isEqualTo(
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                + "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    assertThat(hex(two, HmacAlgorithm.SHA256, bytes("what do ya want for nothing?")))
        .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assertThat(hex(two, HmacAlgorithm.SHA384, bytes("what do ya want for nothing?")))
        .isEqualTo(
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                + "8e2240ca5e69e2c78b3239ecfab21649");
    assertThat(hex(two, HmacAlgorithm.SHA512, bytes("what do ya want for nothing?")))
        .isEqualTo(
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                + "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    assertThat(hex(four, HmacAlgorithm.SHA256, data4))
        .isEqualTo("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    assertThat(hex(four, HmacAlgorithm.SHA384, data4))
        .isEqualTo(
            "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
                + "6801dd23c4a7d679ccf8a386c674cffb");
    assertThat(hex(four, HmacAlgorithm.SHA512, data4))
        .isEqualTo(
            "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
                + "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd");
    assertThat(hex(five, HmacAlgorithm.SHA256, bytes("Test With Truncation")))
        .startsWith("a3b6167473100ee06e0c796c2955552b");
    assertThat(hex(five, HmacAlgorithm.SHA512, bytes("Test With Truncation")))
        .startsWith("415fad6271580a531d4179bc891d87a6");
  }

  @Test
  void sign_usesCurrent_andStreamEqualsBytes() throws Exception {
    HmacKeyring ring =
        ring(
            KeyVersion.text(3, KeyStage.PENDING, "new"),
            KeyVersion.text(2, KeyStage.CURRENT, "now"),
            KeyVersion.text(1, KeyStage.PREVIOUS, "old"));
    HmacKeyring nowOnly = ring(KeyVersion.text(2, KeyStage.CURRENT, "now"));
    byte[] body = bytes("body\n\n");

    byte[] signed = ring.sign(HmacAlgorithm.SHA256, body);

    assertThat(signed).isEqualTo(nowOnly.sign(HmacAlgorithm.SHA256, body));
    assertThat(ring.sign(HmacAlgorithm.SHA256, new ByteArrayInputStream(body))).isEqualTo(signed);
  }

  @Test
  void verify_eachVersion_reportsItsVersionAndStage() throws Exception {
    HmacKeyring ring =
        ring(
            KeyVersion.text(3, KeyStage.PENDING, "new"),
            KeyVersion.text(2, KeyStage.CURRENT, "now"),
            KeyVersion.text(1, KeyStage.PREVIOUS, "old"));
    byte[] body = bytes("{\"path\":\"/\"}");
    byte[] byOld =
        ring(KeyVersion.text(1, KeyStage.CURRENT, "old")).sign(HmacAlgorithm.SHA384, body);
    byte[] byNew =
        ring(KeyVersion.text(3, KeyStage.CURRENT, "new")).sign(HmacAlgorithm.SHA384, body);

    Optional<VersionMatch> old = ring.verify(HmacAlgorithm.SHA384, body, byOld);
    Optional<VersionMatch> pending =
        ring.verify(HmacAlgorithm.SHA384, new ByteArrayInputStream(body), byNew);

    assertThat(old).contains(new VersionMatch(1, KeyStage.PREVIOUS));
    assertThat(pending).contains(new VersionMatch(3, KeyStage.PENDING));
  }

  @Test
  void verify_wrongBodyAlgorithmOrLength_isEmpty() {
    HmacKeyring ring = ring(KeyVersion.text(2, KeyStage.CURRENT, "now"));
    byte[] mac = ring.sign(HmacAlgorithm.SHA256, bytes("a"));

    assertThat(ring.verify(HmacAlgorithm.SHA256, bytes("a\n"), mac)).isEmpty();
    assertThat(ring.verify(HmacAlgorithm.SHA512, bytes("a"), mac)).isEmpty();
    assertThat(ring.verify(HmacAlgorithm.SHA256, bytes("a"), new byte[0])).isEmpty();
  }

  @Test
  void of_jsonValue_isRefusedNamingTheVersion() {
    assertThatThrownBy(() ->
            ring(
                KeyVersion.text(2, KeyStage.CURRENT, "now"),
                KeyVersion.json(1, KeyStage.PREVIOUS, "{\"k\":\"canary-json-1\"}")))
        .isInstanceOf(KeyringException.InvalidKey.class)
        .hasMessage(NAME + "#1 (previous) is a JSON value; an HMAC key is a string");
  }

  @Test
  void sign_noCurrentVersion_throws() {
    HmacKeyring ring = ring(KeyVersion.text(4, KeyStage.PENDING, "p"));

    assertThatThrownBy(() -> ring.sign(HmacAlgorithm.SHA256, new byte[0]))
        .isInstanceOf(KeyringException.NoCurrentVersion.class)
        .hasMessage(NAME + " has no current version to sign with");
  }

  @Test
  void toString_neverShowsKeys() {
    HmacKeyring ring = ring(KeyVersion.text(2, KeyStage.CURRENT, "canary-hmac-77"));

    assertThat(ring.toString()).isEqualTo("HmacKeyring[" + NAME + ", #2 current]");
    assertThat(KeyVersion.text(2, KeyStage.CURRENT, "canary-hmac-77").toString())
        .doesNotContain("canary");
  }

  @Test
  void decodeAny_readsEveryEncoding_andRefusesOthers() {
    byte[] mac =
        ring(KeyVersion.text(1, KeyStage.CURRENT, "k")).sign(HmacAlgorithm.SHA256, bytes("x"));
    String hex = HmacEncoding.HEX.encode(mac);

    assertThat(HmacEncoding.decodeAny(hex, HmacAlgorithm.SHA256)).isEqualTo(mac);
    assertThat(HmacEncoding.decodeAny(hex.toUpperCase(), HmacAlgorithm.SHA256)).isEqualTo(mac);
    assertThat(HmacEncoding.decodeAny(HmacEncoding.BASE64.encode(mac), HmacAlgorithm.SHA256))
        .isEqualTo(mac);
    assertThat(HmacEncoding.decodeAny(HmacEncoding.BASE64URL.encode(mac), HmacAlgorithm.SHA256))
        .isEqualTo(mac);
    for (String bad : List.of("", "zz" + hex.substring(2), hex + "00", "%%%", hex.substring(1))) {
      assertThatThrownBy(() -> HmacEncoding.decodeAny(bad, HmacAlgorithm.SHA256))
          .isInstanceOf(KeyringException.MalformedSignature.class)
          .hasMessage(
              "malformed signature: HMAC-SHA256 needs 64 hex digits or the base64 of 32 bytes");
    }
  }

  @Test
  void sign_fromManyThreadsAndRepeatedly_givesTheSameMac() throws Exception {
    HmacKeyring ring =
        ring(
            KeyVersion.text(2, KeyStage.CURRENT, "now"),
            KeyVersion.text(1, KeyStage.PREVIOUS, "old"));
    byte[] body = bytes("shared body");
    byte[] expected = ring.sign(HmacAlgorithm.SHA512, body);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();

    for (int i = 0; i < 400; i++) {
      results.add(
          pool.submit(() ->
              java.util.Arrays.equals(ring.sign(HmacAlgorithm.SHA512, body), expected)
                  && ring.verify(HmacAlgorithm.SHA512, body, expected)
                      .equals(Optional.of(new VersionMatch(2, KeyStage.CURRENT)))));
    }

    for (java.util.concurrent.Future<Boolean> r : results) {
      assertThat(r.get()).isTrue();
    }
    pool.shutdown();
    assertThat(ring.sign(HmacAlgorithm.SHA512, body)).isEqualTo(expected);
  }
}
