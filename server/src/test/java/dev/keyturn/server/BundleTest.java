package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.BundleEntry;
import dev.keyturn.api.BundleResponse;
import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/bundles}: one level below the prefix, rows filtered by {@code read}, JSON values
 * kept JSON, keyring fallbacks in order, and an audited read of each secret returned.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BundleTest {
  private static final String CANARY = "canary-bundle-7f3a9c";

  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    for (String name :
        List.of(
            "app/TOP",
            "app/dev/A",
            "app/dev/sub/DEEP",
            "app/dev-other/X",
            "app/prod/P",
            "keys/dev/SIGNING")) {
      put(name, CANARY + "-" + name, null, null);
    }
    server
        .client()
        .put(
            "app/dev/DATABASE",
            new PutSecretRequest(
                null,
                WireJson.mapper()
                    .readTree(
                        "{\"engine\":\"postgresql\",\"host\":\"db\",\"port\":5432,\"password\":\""
                            + CANARY
                            + "-db\"}"),
                null,
                null,
                null));
    put("app/dev/ONLY_PENDING", CANARY + "-pending-only", null, "pending");
    put("app/dev/GONE", CANARY + "-gone", null, null);
    server.client().delete("app/dev/GONE", false);
    put("keys/dev/SIGNING", CANARY + "-2", "24h", null);
    put("keys/dev/SIGNING", CANARY + "-3", "24h", null);
    put("keys/dev/SIGNING", CANARY + "-4", null, "pending");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private void put(String name, String value, String grace, String stage) {
    server.client().put(name, new PutSecretRequest(value, null, null, grace, stage));
  }

  private BundleResponse bundle(String token, String query) {
    RunningServer.Raw r = server.raw("GET", "/v1/bundles" + query, token, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return WireJson.mapper().readValue(r.body(), BundleResponse.class);
  }

  private static List<String> names(BundleResponse bundle) {
    return bundle.secrets().stream().map(BundleEntry::name).toList();
  }

  @Test
  void deployToken_getsItsFolderOneLevelDeepAndNothingElse() {
    String deploy = server.token("read:app/dev/*");

    BundleResponse dev = bundle(deploy, "?prefix=app/dev");
    BundleResponse devSlash = bundle(deploy, "?prefix=app/dev/");
    BundleResponse app = bundle(deploy, "?prefix=app/");
    BundleResponse prod = bundle(deploy, "?prefix=app/prod");
    BundleResponse top = bundle(deploy, "");

    assertThat(names(dev)).containsExactly("app/dev/A", "app/dev/DATABASE");
    assertThat(dev.prefix()).isEqualTo("app/dev");
    assertThat(names(devSlash)).isEqualTo(names(dev));
    assertThat(dev.secrets().get(0).value().stringValue()).isEqualTo(CANARY + "-app/dev/A");
    assertThat(dev.secrets().get(0).fallbacks()).isNull();
    assertThat(names(app)).as("app/TOP is not readable; app/dev/* lie two levels down").isEmpty();
    assertThat(names(prod)).isEmpty();
    assertThat(names(top)).isEmpty();
  }

  @Test
  void wideToken_getsOnlyTheLevelBelowThePrefix() {
    String reader = server.token("read:app/*");

    assertThat(names(bundle(reader, "?prefix=app"))).containsExactly("app/TOP");
  }

  @Test
  void listWithoutRead_getsNoValue() {
    String lister = server.token("list:*", "write:*", "rotate:*");

    RunningServer.Raw r = server.raw("GET", "/v1/bundles?prefix=app/dev", lister, null);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(CANARY).doesNotContain("app/dev/A");
  }

  @Test
  void jsonValue_staysAJsonObject() {
    BundleEntry db =
        server.client().bundle("app/dev", false).secrets().stream()
            .filter(e -> e.name().equals("app/dev/DATABASE"))
            .findFirst()
            .orElseThrow();

    assertThat(db.type()).isEqualTo("json");
    assertThat(db.value().isObject()).isTrue();
    assertThat(db.value().get("port").intValue()).isEqualTo(5432);
    assertThat(db.value().get("password").stringValue()).isEqualTo(CANARY + "-db");
  }

  @Test
  void keyring_givesPendingThenPreviousNewestFirst() {
    BundleEntry signing = server.client().bundle("keys/dev", true).secrets().get(0);

    assertThat(signing.name()).isEqualTo("keys/dev/SIGNING");
    assertThat(signing.version()).isEqualTo(3);
    assertThat(signing.value().stringValue()).isEqualTo(CANARY + "-3");
    assertThat(signing.fallbacks())
        .extracting(KeyringEntry::version, KeyringEntry::stage)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(4, "pending"),
            org.assertj.core.groups.Tuple.tuple(2, "previous"),
            org.assertj.core.groups.Tuple.tuple(1, "previous"));
    assertThat(signing.fallbacks().get(0).value().stringValue()).isEqualTo(CANARY + "-4");
    assertThat(signing.fallbacks().get(1).acceptUntil()).isNotNull();
  }

  @Test
  void eachSecretReturned_isAuditedAsARead() {
    String deploy = server.token("read:app/dev/*");
    WireClient client = server.client(deploy);

    client.bundle("app/dev", false);

    List<AuditRecordInfo> records =
        server
            .client()
            .audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty())
            .records();
    String requestId =
        records.stream()
            .filter(r -> r.tokenId().equals(whoAmI(client)) && r.action().equals("bundle.read"))
            .map(r -> r.detail().substring(r.detail().lastIndexOf("request=") + 8))
            .findFirst()
            .orElseThrow();
    List<AuditRecordInfo> reads =
        records.stream()
            .filter(r -> r.tokenId().equals(whoAmI(client)) && r.action().equals("secret.read"))
            .toList();
    assertThat(reads)
        .extracting(AuditRecordInfo::secret, AuditRecordInfo::version, AuditRecordInfo::detail)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("app/dev/A", 1, "bundle request=" + requestId),
            org.assertj.core.groups.Tuple.tuple(
                "app/dev/DATABASE", 1, "bundle request=" + requestId));
    assertThat(records)
        .filteredOn(r -> r.tokenId().equals(whoAmI(client)))
        .extracting(AuditRecordInfo::action)
        .contains("bundle.read");
    assertThat(records.toString()).doesNotContain(CANARY);
  }

  private static String whoAmI(WireClient client) {
    return client.whoami().tokenId();
  }

  @Test
  void hostilePrefix_is400() {
    for (String prefix :
        List.of("app/../x", "app//dev", "/app", "app/./dev", "app/dev/%0A", "a%20b", "x%27%3B")) {
      RunningServer.Raw r =
          server.raw("GET", "/v1/bundles?prefix=" + prefix, server.rootToken(), null);

      assertThat(r.status()).as(prefix + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("\"code\":\"invalid_request\"");
    }
  }
}
