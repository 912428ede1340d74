package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.HygieneResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/hygiene} (doctor --managed): weak and placeholder values and values shared across
 * environments, compared on the server; only what the token may read; each value audited as a read;
 * never a value or a fingerprint in the answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HygieneRouteTest {
  private static final String SHARED = "sh4red-CANARY-9f!Kq2#Lw8@Zt5^Xr1&Pn7*Hs3-7Yb2%Qe6+Dm0";
  private static final String OTHER = "0ther-CANARY-3g!Mq6#Nw2@Yt8^Vr4&Bn1*Js9";

  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    put("app/production/SECRET_KEY", SHARED, false);
    put("app/development/SECRET_KEY", SHARED, false);
    put("app/production/API_TOKEN", "abc", false);
    put("app/production/PLACE", "CHANGE_ME_LATER", true);
    put("app/production/GOOD", OTHER, false);
    put("other/x/SECRET_KEY", SHARED, false);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private void put(String name, String value, boolean allow) {
    server
        .client()
        .put(name, new PutSecretRequest(value, null, null, null, null, allow ? true : null));
  }

  @Test
  void hygiene_findsWeakPlaceholderAndSharedValues_withinWhatTheTokenReads() {
    String reader = server.token("read:app/*");

    HygieneResponse answer = server.client(reader).hygiene("app");

    assertThat(answer.checked()).isEqualTo(5);
    assertThat(answer.secrets())
        .extracting(HygieneResponse.HygieneRow::name)
        .containsExactlyInAnyOrder(
            "app/development/SECRET_KEY",
            "app/production/SECRET_KEY",
            "app/production/API_TOKEN",
            "app/production/PLACE",
            "app/production/GOOD");
    assertThat(row(answer, "app/production/GOOD").checks()).isEmpty();
    assertThat(row(answer, "app/production/GOOD").sameAs()).isEmpty();
    HygieneResponse.HygieneRow prod = row(answer, "app/production/SECRET_KEY");
    assertThat(prod.sameAs()).containsExactly("app/development/SECRET_KEY");
    assertThat(prod.checks()).isEmpty();
    assertThat(row(answer, "app/production/API_TOKEN").checks())
        .containsExactly("value.weak-bits", "value.few-characters");
    assertThat(row(answer, "app/production/PLACE").checks()).contains("value.placeholder");
    String body = WireJson.mapper().writeValueAsString(answer);
    assertThat(body).doesNotContain("CANARY").doesNotContain("CHANGE_ME").doesNotContain("other/x");
    List<AuditRecordInfo> reads =
        server
            .client()
            .audit(
                Optional.empty(),
                Optional.of("app/production/GOOD"),
                Optional.of("secret.read"),
                Optional.of(10))
            .records();
    assertThat(reads).anySatisfy(r -> assertThat(r.detail()).contains("hygiene"));
  }

  @Test
  void hygiene_wrongCapability_seesNothing() {
    String lister = server.token("list:*", "write:*");

    RunningServer.Raw raw = server.raw("GET", "/v1/hygiene?prefix=app", lister, null);

    assertThat(raw.status()).isIn(200, 403);
    assertThat(raw.body()).doesNotContain("app/").doesNotContain("CANARY");
  }

  @Test
  void hygiene_readOnAnotherPrefix_learnsNothingOfThisOne() {
    String otherReader = server.token("read:other/*");

    HygieneResponse app = server.client(otherReader).hygiene("app");
    HygieneResponse own = server.client(otherReader).hygiene("other");

    assertThat(app.checked()).isZero();
    assertThat(app.secrets()).isEmpty();
    // other/x/SECRET_KEY equals two app secrets, which this token may not read: not said.
    assertThat(own.checked()).isEqualTo(1);
    assertThat(own.secrets()).singleElement().satisfies(r -> assertThat(r.sameAs()).isEmpty());
  }

  @Test
  void hygiene_hostilePrefix_isBadRequest() {
    RunningServer.Raw raw =
        server.raw("GET", "/v1/hygiene?prefix=app%0d%0a%22;", server.rootToken(), null);

    assertThat(raw.status()).isEqualTo(400);
  }

  private static HygieneResponse.HygieneRow row(HygieneResponse answer, String name) {
    return answer.secrets().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }
}
