package dev.keyturn.keyring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.util.JSONArrayUtils;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FernetKeyringTest {
  private static final String NAME = "app/prod/FERNET_KEY";
  private static final String K1 = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
  private static final String K2 = FernetKeyring.generateKey(new SecureRandom());
  private static final String K3 = FernetKeyring.generateKey(new SecureRandom());
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

  private static FernetKeyring ring(Instant now, KeyVersion... versions) {
    return FernetKeyring.of(
        NAME, List.of(versions), Clock.fixed(now, ZoneOffset.UTC), new SecureRandom());
  }

  private static FernetKeyring only(String key, Instant now) {
    return ring(now, KeyVersion.text(1, KeyStage.CURRENT, key));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> vectors(String file) throws Exception {
    try (InputStream in = FernetKeyringTest.class.getResourceAsStream("fernet/" + file)) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return (List<Map<String, Object>>) (List<?>) JSONArrayUtils.parse(text);
    }
  }

  private static Instant time(Map<String, Object> vector) {
    return OffsetDateTime.parse((String) vector.get("now")).toInstant();
  }

  private static Duration ttl(Map<String, Object> vector) {
    return Duration.ofSeconds(((Number) vector.get("ttl_sec")).longValue());
  }

  @Test
  void specVectors_generate_makesTheSameToken() throws Exception {
    for (Map<String, Object> v : vectors("generate.json")) {
      List<?> ivList = (List<?>) v.get("iv");
      byte[] iv = new byte[16];
      for (int i = 0; i < 16; i++) {
        iv[i] = ((Number) ivList.get(i)).byteValue();
      }
      FernetKey key = FernetKey.parse((String) v.get("secret"), "vector");

      String token =
          key.encrypt(
              ((String) v.get("src")).getBytes(StandardCharsets.UTF_8),
              time(v).getEpochSecond(),
              iv);

      assertThat(token).isEqualTo(v.get("token"));
    }
  }

  @Test
  void specVectors_verify_opensWithinTtl() throws Exception {
    for (Map<String, Object> v : vectors("verify.json")) {
      FernetKeyring ring = only((String) v.get("secret"), time(v));

      byte[] plaintext = ring.decrypt((String) v.get("token"), ttl(v));

      assertThat(new String(plaintext, StandardCharsets.UTF_8)).isEqualTo(v.get("src"));
    }
  }

  @Test
  void specVectors_invalid_areInvalidTokenOnly() throws Exception {
    List<Map<String, Object>> invalid = vectors("invalid.json");
    assertThat(invalid).hasSizeGreaterThanOrEqualTo(8);
    for (Map<String, Object> v : invalid) {
      FernetKeyring ring = only((String) v.get("secret"), time(v));

      assertThatThrownBy(() -> ring.decrypt((String) v.get("token"), ttl(v)))
          .as((String) v.get("desc"))
          .isInstanceOf(KeyringException.InvalidToken.class)
          .hasMessage("invalid token");
    }
  }

  @Test
  void versionOf_whateverOpenedTheTokenBefore_namesTheVersionWhoseKeyOpensIt() {
    FernetKeyring ring =
        ring(
            NOW,
            KeyVersion.text(2, KeyStage.CURRENT, K2),
            KeyVersion.text(1, KeyStage.PREVIOUS, K1));
    String byPrevious = only(K1, NOW).encrypt(new byte[] {1});
    String byCurrent = only(K2, NOW).encrypt(new byte[] {2});

    // A run of previous-key tokens (a sweep's first pages), then current ones, then mixed.
    for (String token : List.of(byPrevious, byPrevious, byCurrent, byPrevious, byCurrent)) {
      int expected = token.equals(byCurrent) ? 2 : 1;
      assertThat(ring.versionOf(token).version()).isEqualTo(expected);
    }
    assertThat(ring.rotateUnlessCurrent(byCurrent)).isEmpty();
    assertThat(ring.versionOf(ring.rotateUnlessCurrent(byPrevious).orElseThrow()))
        .isEqualTo(new VersionMatch(2, KeyStage.CURRENT));
  }

  @Test
  void versionOf_twoVersionsHoldingOneKey_alwaysTheFirstInOrder() {
    FernetKeyring ring =
        ring(
            NOW,
            KeyVersion.text(3, KeyStage.CURRENT, K1),
            KeyVersion.text(2, KeyStage.PREVIOUS, K2),
            KeyVersion.text(1, KeyStage.PREVIOUS, K1));
    String byK2 = only(K2, NOW).encrypt(new byte[] {1});
    String byK1 = only(K1, NOW).encrypt(new byte[] {2});

    for (int i = 0; i < 3; i++) {
      assertThat(ring.versionOf(byK2)).isEqualTo(new VersionMatch(2, KeyStage.PREVIOUS));
      assertThat(ring.versionOf(byK1)).isEqualTo(new VersionMatch(3, KeyStage.CURRENT));
    }
  }

  @Test
  void encrypt_eachTokenItsOwnIv_acrossThreadsAndDraws() throws Exception {
    FernetKeyring ring = only(K1, NOW);
    java.util.Set<String> ivs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger made =
        new java.util.concurrent.atomic.AtomicInteger();
    List<Thread> threads = new java.util.ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread =
          new Thread(() -> {
            for (int i = 0; i < 1000; i++) {
              byte[] token = java.util.Base64.getUrlDecoder().decode(ring.encrypt(new byte[] {7}));
              ivs.add(java.util.HexFormat.of().formatHex(token, 9, 25));
              made.incrementAndGet();
            }
          });
      thread.start();
      threads.add(thread);
    }
    for (Thread t : threads) {
      t.join();
    }

    assertThat(made.get()).isEqualTo(4000);
    assertThat(ivs).as("no IV used twice").hasSize(4000);
    assertThat(ivs).doesNotContain("00".repeat(16));
  }

  @Test
  void decrypt_triesCurrentPendingThenPrevious() {
    FernetKeyring ring =
        ring(
            NOW,
            KeyVersion.text(3, KeyStage.PENDING, K3),
            KeyVersion.text(2, KeyStage.CURRENT, K2),
            KeyVersion.text(1, KeyStage.PREVIOUS, K1));
    String byPending = only(K3, NOW).encrypt(new byte[] {1});
    String byPrevious = only(K1, NOW).encrypt(new byte[] {2});

    String mine = ring.encrypt(new byte[] {3});

    assertThat(ring.versionOf(mine)).isEqualTo(new VersionMatch(2, KeyStage.CURRENT));
    assertThat(ring.versionOf(byPending)).isEqualTo(new VersionMatch(3, KeyStage.PENDING));
    assertThat(ring.versionOf(byPrevious)).isEqualTo(new VersionMatch(1, KeyStage.PREVIOUS));
    assertThat(ring.decrypt(byPrevious)).containsExactly(2);
    assertThatThrownBy(() -> only(K3, NOW).decrypt(mine))
        .isInstanceOf(KeyringException.InvalidToken.class)
        .hasMessage("invalid token");
  }

  @Test
  void decrypt_ttlAndClockSkew_actAsPythonCryptography() {
    String token = only(K1, NOW).encrypt(new byte[] {7});

    assertThat(only(K1, NOW.plusSeconds(100)).decrypt(token, Duration.ofSeconds(100))).hasSize(1);
    assertThat(only(K1, NOW.plusSeconds(101)).decrypt(token)).hasSize(1);
    assertThat(only(K1, NOW.minusSeconds(60)).decrypt(token, Duration.ofSeconds(1))).hasSize(1);
    assertThatThrownBy(() -> only(K1, NOW.plusSeconds(101)).decrypt(token, Duration.ofSeconds(100)))
        .isInstanceOf(KeyringException.InvalidToken.class);
    assertThatThrownBy(() -> only(K1, NOW.minusSeconds(61)).decrypt(token, Duration.ofHours(1)))
        .isInstanceOf(KeyringException.InvalidToken.class);
  }

  @Test
  void rotate_reencryptsUnderCurrent_keepingTheTimestamp() {
    Instant made = NOW.minus(Duration.ofDays(400));
    String old = only(K1, made).encrypt("canary-fernet-plain".getBytes(StandardCharsets.UTF_8));
    FernetKeyring ring =
        ring(
            NOW,
            KeyVersion.text(2, KeyStage.CURRENT, K2),
            KeyVersion.text(1, KeyStage.PREVIOUS, K1));

    String rotated = ring.rotate(old);

    assertThat(ring.versionOf(rotated)).isEqualTo(new VersionMatch(2, KeyStage.CURRENT));
    // version byte and timestamp: the first nine bytes
    assertThat(Arrays.copyOf(Base64.getUrlDecoder().decode(rotated), 9))
        .isEqualTo(Arrays.copyOf(Base64.getUrlDecoder().decode(old), 9));
    assertThat(rotated).isNotEqualTo(old);
    assertThat(new String(only(K2, NOW).decrypt(rotated), StandardCharsets.UTF_8))
        .isEqualTo("canary-fernet-plain");
  }

  @Test
  void of_valueThatIsNotAFernetKey_isRefusedNamingTheVersion() {
    for (String bad :
        List.of("", "hex-not-fernet", K1.substring(0, 43), K1 + "A", "%".repeat(44))) {
      assertThatThrownBy(() ->
              ring(
                  NOW,
                  KeyVersion.text(2, KeyStage.CURRENT, K2),
                  KeyVersion.text(1, KeyStage.PREVIOUS, bad)))
          .isInstanceOf(KeyringException.InvalidKey.class)
          .hasMessage(
              NAME
                  + "#1 (previous) is not a Fernet key (32 bytes in URL-safe base64, 44"
                  + " characters)");
    }
  }

  @Test
  void encrypt_noCurrent_throws_andToStringHidesKeys() {
    FernetKeyring ring = ring(NOW, KeyVersion.text(5, KeyStage.PENDING, K2));

    assertThatThrownBy(() -> ring.encrypt(new byte[0]))
        .isInstanceOf(KeyringException.NoCurrentVersion.class)
        .hasMessage(NAME + " has no current version to encrypt with");
    assertThat(ring.toString()).isEqualTo("FernetKeyring[" + NAME + ", #5 pending]");
  }

  @Test
  void rotateUnlessCurrent_underCurrent_empty_underOther_reencryptedKeepingItsTime() {
    FernetKeyring old = only(K1, NOW);
    FernetKeyring both =
        ring(
            NOW,
            KeyVersion.text(2, KeyStage.CURRENT, K2),
            KeyVersion.text(1, KeyStage.PREVIOUS, K1));
    String underOld = old.encrypt("row".getBytes(StandardCharsets.UTF_8));
    String underNew = both.encrypt("row".getBytes(StandardCharsets.UTF_8));

    String rotated = both.rotateUnlessCurrent(underOld).orElseThrow();

    assertThat(both.rotateUnlessCurrent(underNew)).isEmpty();
    assertThat(both.versionOf(rotated).version()).isEqualTo(2);
    assertThat(both.decrypt(rotated)).isEqualTo("row".getBytes(StandardCharsets.UTF_8));
    assertThat(Arrays.copyOfRange(Base64.getUrlDecoder().decode(rotated), 1, 9))
        .isEqualTo(Arrays.copyOfRange(Base64.getUrlDecoder().decode(underOld), 1, 9));
    assertThatThrownBy(() -> only(K3, NOW).rotateUnlessCurrent(underOld))
        .isInstanceOf(KeyringException.InvalidToken.class)
        .hasMessage("invalid token");
  }

  @Test
  void encryptAndDecrypt_manyThreads_everyTokenOpens() throws Exception {
    FernetKeyring both =
        ring(
            NOW,
            KeyVersion.text(2, KeyStage.CURRENT, K2),
            KeyVersion.text(1, KeyStage.PREVIOUS, K1));
    List<Integer> counts =
        java.util.stream.IntStream.range(0, 2000)
            .parallel()
            .mapToObj(i -> {
              byte[] p = ("row-" + i).getBytes(StandardCharsets.UTF_8);
              return Arrays.equals(both.decrypt(both.encrypt(p)), p) ? 1 : 0;
            })
            .toList();

    assertThat(counts).hasSize(2000).containsOnly(1);
  }
}
