package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --watch} renews its own short-lived token at two thirds of its lifetime, says so on
 * stderr without the token, and keeps working past the token's first expiry.
 */
class WatchRenewTest {
  @TempDir static Path work;
  static DeliveryFixture fx;
  Process run;

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @AfterEach
  void end() {
    if (run != null && run.isAlive()) {
      run.descendants().forEach(ProcessHandle::destroyForcibly);
      run.destroyForcibly();
    }
  }

  @Test
  void watch_shortLivedToken_isRenewedTwiceAndStillValidPastItsFirstExpiry() throws Exception {
    fx.put("app/renew/KEY", "v1");
    TokenCreated token =
        fx.admin.createToken(new TokenCreateRequest("watch", List.of("read:app/renew/*"), "45s"));
    Instant firstExpiry = Instant.parse(token.expiresAt());
    Path err = work.resolve("renew.err");

    run =
        fx.start(
            Map.of("KEYTURN_TOKEN", token.token()),
            work.resolve("renew.out"),
            err,
            "run",
            "--watch",
            "--path",
            "app/renew",
            "--",
            "sleep",
            "60");
    await("two renewals")
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() ->
            assertThat(Files.readString(err).split("renewed the token", -1).length - 1)
                .as(Files.readString(err))
                .isGreaterThanOrEqualTo(2));

    assertThat(Instant.now()).isAfter(firstExpiry);
    try (WireClient client = WireClient.builder().address(fx.addr).token(token.token()).build()) {
      assertThat(client.whoami().tokenId()).isEqualTo(token.id());
      assertThat(Instant.parse(client.whoami().expiresAt())).isAfter(Instant.now());
    }
    assertThat(run.isAlive()).isTrue();
    String stderr = Files.readString(err);
    assertThat(stderr).contains("keyturn: renewed the token; it now expires at ");
    assertThat(stderr).doesNotContain(token.token());
  }
}
