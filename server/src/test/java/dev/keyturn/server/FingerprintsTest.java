package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.FingerprintPattern;
import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.FingerprintVersion;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.LeakDigests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/fingerprints}: digests of every pending, current and previous version the token
 * may read at or below the prefix, recomputed here from the known values under the returned key;
 * unreadable secrets counted, never named; a read audited per version; no value anywhere.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FingerprintsTest {
  private static final String CANARY = "canary-fp-5d1e07";

  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    put("app/dev/SIGNING", CANARY + "-1", null, null);
    put("app/dev/SIGNING", CANARY + "-2", null, null);
    put("app/dev/SIGNING", CANARY + "-3", "24h", null);
    put("app/dev/SIGNING", CANARY + "-4", null, "pending");
    put("app/dev/SHORT", "abc", null, null);
    put("app/dev/deep/NESTED", CANARY + "-nested", null, null);
    put("app/prod/OTHER", CANARY + "-prod", null, null);
    put("app/dev/GONE", CANARY + "-gone", null, null);
    server.client().delete("app/dev/GONE", false);
    server
        .client()
        .put(
            "app/dev/DATABASE",
            new PutSecretRequest(
                null,
                WireJson.mapper()
                    .readTree(
                        "{\"host\":\"db.example\",\"user\":\"app\",\"password\":\""
                            + CANARY
                            + "/pw+\"}"),
                null,
                null,
                null));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private void put(String name, String value, String grace, String stage) {
    server.client().put(name, new PutSecretRequest(value, null, null, grace, stage));
  }

  private RunningServer.Raw post(String token, String body) {
    return server.raw("POST", "/v1/fingerprints", token, body.getBytes(StandardCharsets.UTF_8));
  }

  private FingerprintResponse fingerprints(String token, String body) {
    RunningServer.Raw r = post(token, body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(CANARY);
    return WireJson.mapper().readValue(r.body(), FingerprintResponse.class);
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  @Test
  void withoutPatterns_givesEachValueDigestWithItsStageAndAcceptUntilOnly() {
    String reader = server.token("read:app/dev/*");

    FingerprintResponse answer =
        fingerprints(reader, "{\"prefix\":\"app/dev\",\"patterns\":false}");

    assertThat(answer.versions()).hasSize(6).allSatisfy(v -> assertThat(v.patterns()).isEmpty());
    FingerprintVersion previous = answer.versions().get(4);
    assertThat(previous.stage()).isEqualTo("previous");
    assertThat(previous.acceptUntil()).isNotNull();
    assertThat(
            java.time.Duration.between(
                java.time.Instant.now(), java.time.Instant.parse(previous.acceptUntil())))
        .isBetween(java.time.Duration.ofHours(23), java.time.Duration.ofHours(25));
    assertThat(answer.versions())
        .filteredOn(v -> !v.stage().equals("previous"))
        .allSatisfy(v -> assertThat(v.acceptUntil()).isNull());
    LeakDigests digests = new LeakDigests(Base64.getDecoder().decode(answer.key()));
    byte[] value = (CANARY + "-2").getBytes(StandardCharsets.UTF_8);
    assertThat(previous.digest()).isEqualTo(b64(digests.digest(value, 0, value.length)));
  }

  @Test
  void reader_getsDigestsOfPendingCurrentAndPreviousThatMatchTheValues() {
    String reader = server.token("read:app/dev/*", "list:app/prod/*");
    String readerOnly = server.token("read:app/dev/*");

    FingerprintResponse answer = fingerprints(reader, "{\"prefix\":\"app\"}");
    FingerprintResponse noGrant = fingerprints(readerOnly, "{\"prefix\":\"app\"}");

    assertThat(answer.prefix()).isEqualTo("app");
    assertThat(answer.unreadable()).as("app/prod/OTHER, listed but not read").isEqualTo(1);
    assertThat(noGrant.unreadable()).as("app/prod/OTHER, no grant on it: not counted").isZero();
    assertThat(answer.versions())
        .extracting(
            FingerprintVersion::name, FingerprintVersion::version, FingerprintVersion::stage)
        .containsExactly(
            tuple("app/dev/DATABASE", 1, "current"),
            tuple("app/dev/SHORT", 1, "current"),
            tuple("app/dev/SIGNING", 4, "pending"),
            tuple("app/dev/SIGNING", 3, "current"),
            tuple("app/dev/SIGNING", 2, "previous"),
            tuple("app/dev/deep/NESTED", 1, "current"));
    LeakDigests digests = new LeakDigests(Base64.getDecoder().decode(answer.key()));
    FingerprintVersion current = answer.versions().get(3);
    byte[] value = (CANARY + "-3").getBytes(StandardCharsets.UTF_8);
    assertThat(current.length()).isEqualTo(value.length);
    assertThat(current.digest()).isEqualTo(b64(digests.digest(value, 0, value.length)));
    FingerprintPattern raw = current.patterns().get(0);
    assertThat(raw.encoding()).isEqualTo("raw");
    assertThat(raw.field()).isNull();
    assertThat(raw.window()).isEqualTo(8);
    assertThat(raw.windows()).isEqualTo(b64(digests.windows(value)));
    assertThat(Base64.getDecoder().decode(raw.windows())).hasSize(4 * 8);
    assertThat(current.patterns())
        .extracting(FingerprintPattern::encoding)
        .as("the value has no byte a URL must escape")
        .containsExactly("raw", "base64", "base64+1", "base64+2");
    byte[] blob =
        Base64.getEncoder().encode(("x" + CANARY + "-3yz").getBytes(StandardCharsets.UTF_8));
    FingerprintPattern shifted = current.patterns().get(2);
    assertThat(shifted.encoding()).isEqualTo("base64+1");
    boolean found = false;
    for (int at = 0; at + shifted.length() <= blob.length; at++) {
      found |= b64(digests.digest(blob, at, shifted.length())).equals(shifted.digest());
    }
    assertThat(found)
        .as("the base64+1 string occurs in a blob holding the value at offset 1")
        .isTrue();
  }

  @Test
  void shortValue_hasADigestButNoPatterns() {
    FingerprintResponse answer =
        fingerprints(
            server.token("read:app/dev/SHORT", "write:app/dev/*"), "{\"prefix\":\"app/dev\"}");

    assertThat(answer.versions())
        .singleElement()
        .satisfies(v -> {
          assertThat(v.name()).isEqualTo("app/dev/SHORT");
          assertThat(v.length()).isEqualTo(3);
          assertThat(v.patterns()).isEmpty();
        });
    assertThat(answer.unreadable()).isEqualTo(3);
  }

  @Test
  void jsonValue_isSearchedByItsPasswordField() {
    FingerprintResponse answer =
        fingerprints(
            server.token("read:app/dev/DATABASE"),
            "{\"prefix\":\"app/dev\",\"encodings\":[\"raw\",\"url\"]}");

    FingerprintVersion db = answer.versions().get(0);
    LeakDigests digests = new LeakDigests(Base64.getDecoder().decode(answer.key()));
    byte[] password = (CANARY + "/pw+").getBytes(StandardCharsets.UTF_8);
    byte[] encoded = (CANARY + "%2Fpw%2B").getBytes(StandardCharsets.UTF_8);
    assertThat(db.type()).isEqualTo("json");
    assertThat(db.patterns())
        .extracting(
            FingerprintPattern::field, FingerprintPattern::encoding, FingerprintPattern::digest)
        .containsExactly(
            tuple("password", "raw", b64(digests.digest(password, 0, password.length))),
            tuple("password", "url", b64(digests.digest(encoded, 0, encoded.length))));
  }

  @Test
  void eachRequest_hasItsOwnKey() {
    String body = "{\"prefix\":\"app/dev/deep\"}";

    FingerprintResponse one = fingerprints(server.rootToken(), body);
    FingerprintResponse two = fingerprints(server.rootToken(), body);

    assertThat(one.key()).isNotEqualTo(two.key());
    assertThat(one.versions().get(0).digest()).isNotEqualTo(two.versions().get(0).digest());
  }

  @Test
  void tokenWithoutRead_getsCountsOnly() {
    String lister = server.token("list:*", "write:*", "rotate:*");

    RunningServer.Raw r = post(lister, "{\"prefix\":\"\"}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(CANARY).doesNotContain("app/dev");
    FingerprintResponse answer = WireJson.mapper().readValue(r.body(), FingerprintResponse.class);
    assertThat(answer.versions()).isEmpty();
    assertThat(answer.unreadable()).isEqualTo(5);
  }

  @Test
  void readOnAnotherPrefix_getsNothingOfThisOne_notEvenWhetherItExists() {
    String elsewhere = server.token("read:app/prod/*", "admin:other/*");

    RunningServer.Raw full = post(elsewhere, "{\"prefix\":\"app/dev\"}");
    RunningServer.Raw empty = post(elsewhere, "{\"prefix\":\"app/none\"}");

    FingerprintResponse answer =
        WireJson.mapper().readValue(full.body(), FingerprintResponse.class);
    FingerprintResponse none = WireJson.mapper().readValue(empty.body(), FingerprintResponse.class);
    assertThat(full.status()).isEqualTo(empty.status()).isEqualTo(200);
    assertThat(answer.versions()).isEmpty();
    assertThat(answer.unreadable()).isZero().isEqualTo(none.unreadable());
    assertThat(full.body()).doesNotContain(CANARY).doesNotContain("app/dev/");
  }

  @Test
  void hostileOrBadBody_is400() {
    for (String body :
        List.of(
            "{\"prefix\":\"app/../x\"}",
            "{\"prefix\":\"app//dev\"}",
            "{\"prefix\":\"/app\"}",
            "{\"prefix\":\"app/%0A\"}",
            "{\"prefix\":\"x'; DROP TABLE secrets;--\"}",
            "{\"prefix\":\"app\\r\\nX-Injected: 1\"}",
            "{\"prefix\":\"app\",\"encodings\":[\"rot13\"]}",
            "{\"prefix\":\"app\",\"encodings\":[]}",
            "{\"prefix\":\"app\",\"value\":\"x\"}",
            "[]")) {
      RunningServer.Raw r = post(server.rootToken(), body);

      assertThat(r.status()).as(body + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("\"error\"").doesNotContain("DROP").doesNotContain("Injected");
    }
  }

  @Test
  void largeValues_sendTheirFirstWindowsOnly() {
    // Windows past the first few would find nothing more and would help an offline guess: a
    // value of 512 KiB sends 8 window digests per encoded string, not four bytes per byte.
    String writer = server.token("write:large/*", "read:large/*");
    java.util.Random random = new java.util.Random(11);
    String alphabet = "/+=&?:@ abcdefXYZ0123";
    StringBuilder value = new StringBuilder(dev.keyturn.core.SecretService.MAX_VALUE_BYTES);
    for (int j = 0; j < dev.keyturn.core.SecretService.MAX_VALUE_BYTES; j++) {
      value.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    server
        .client(writer)
        .put("large/V", new PutSecretRequest(value.toString(), null, null, null, null));
    try {
      RunningServer.Raw r = post(writer, "{\"prefix\":\"large\"}");

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body().length()).isLessThan(4096);
      FingerprintVersion v = fingerprints(writer, "{\"prefix\":\"large\"}").versions().get(0);
      assertThat(v.patterns()).hasSizeGreaterThanOrEqualTo(4);
      for (FingerprintPattern p : v.patterns()) {
        assertThat(p.window()).isEqualTo(8);
        assertThat(Base64.getDecoder().decode(p.windows())).hasSize(4 * 8);
      }
    } finally {
      server.client().delete("large/V", false);
    }
  }

  @Test
  void digestsBeyondTheBudget_are400_notHeldInMemory() {
    // A token that may write and read its own folder stores JSON values of 512 KiB, each with
    // thousands of password fields (each field's every encoding a pattern, about 600 bytes of
    // digests): one request for them must not make the server build them all.
    String writer = server.token("write:big/*", "read:big/*");
    java.util.Random random = new java.util.Random(7);
    String alphabet = "/+=&?:@ abcdefXYZ0123";
    int fields = dev.keyturn.core.SecretService.MAX_VALUE_BYTES / 40;
    // At least four patterns (raw and three base64 offsets) of 152 bytes each per field.
    int count = (int) (FingerprintsApi.MAX_DIGEST_BYTES / (fields * 4L * 152)) + 1;
    try {
      for (int i = 0; i < count; i++) {
        tools.jackson.databind.node.ObjectNode value = WireJson.mapper().createObjectNode();
        for (int f = 0; f < fields; f++) {
          StringBuilder field = new StringBuilder(16);
          for (int j = 0; j < 16; j++) {
            field.append(alphabet.charAt(random.nextInt(alphabet.length())));
          }
          value.put("password" + f, field.toString());
        }
        server.client(writer).put("big/V" + i, new PutSecretRequest(null, value, null, null, null));
      }
      String body = "{\"prefix\":\"big\"}";

      RunningServer.Raw r = post(writer, body);

      assertThat(r.status()).as("%d bytes answered", r.body().length()).isEqualTo(400);
      assertThat(r.body()).contains("narrow").hasSizeLessThan(1000);
      assertThat(fingerprints(server.token("read:big/V0"), body).versions()).hasSize(1);
    } finally {
      for (int i = 0; i < count; i++) {
        server.client().delete("big/V" + i, false);
      }
    }
  }

  @Test
  void eachVersion_isAuditedAsARead() {
    String reader = server.token("read:app/dev/SIGNING");

    fingerprints(reader, "{\"prefix\":\"app/dev\"}");

    String tokenId = server.client(reader).whoami().tokenId();
    List<AuditRecordInfo> records =
        server
            .client()
            .audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty())
            .records()
            .stream()
            .filter(r -> r.tokenId().equals(tokenId))
            .toList();
    assertThat(records)
        .filteredOn(r -> r.action().equals("secret.read"))
        .extracting(AuditRecordInfo::secret, AuditRecordInfo::version)
        .containsExactly(
            tuple("app/dev/SIGNING", 4), tuple("app/dev/SIGNING", 3), tuple("app/dev/SIGNING", 2));
    assertThat(records)
        .filteredOn(r -> r.action().equals("secret.read"))
        .allSatisfy(r -> assertThat(r.detail()).startsWith("fingerprints request="));
    assertThat(records)
        .filteredOn(r -> r.action().equals("fingerprints.read"))
        .singleElement()
        .satisfies(r -> assertThat(r.detail()).startsWith("prefix=app/dev secrets=1 versions=3"));
    assertThat(records.toString()).doesNotContain(CANARY);
  }
}
