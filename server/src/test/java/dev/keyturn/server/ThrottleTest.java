package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.testing.FixedClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 401s from one address are throttled with 429; nothing else counts; proxies only when trusted. */
class ThrottleTest {
  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-22T00:00:00Z"));
  private static final String BAD = "kt_AAAAAAAAAAAAAAAAAAAAAA";

  private RunningServer start(boolean trustProxy) {
    ServerConfig base = RunningServer.config(dir.resolve("data"), Optional.empty());
    ServerConfig config = trustProxy ? base.toBuilder().trustProxy("127.0.0.0/8").build() : base;
    return RunningServer.start(config, clock);
  }

  @Test
  void eleventhFailureInAMinute_gets429ForSixtySeconds_evenWithAValidToken() {
    try (RunningServer server = start(false)) {
      server.client().put("t/KEY", new PutSecretRequest("v", null, null, null, null));
      String good = server.rootToken();

      for (int i = 0; i < 10; i++) {
        assertThat(server.raw("GET", "/v1/secrets/t/KEY", BAD, null).status())
            .as("attempt " + (i + 1))
            .isEqualTo(401);
      }
      RunningServer.Raw eleventh = server.raw("GET", "/v1/secrets/t/KEY", BAD, null);
      RunningServer.Raw valid = server.raw("GET", "/v1/secrets/t/KEY", good, null);

      assertThat(eleventh.status()).isEqualTo(429);
      assertThat(eleventh.body()).contains("\"code\":\"too_many_requests\"");
      assertThat(eleventh.headers()).containsIgnoringCase("retry-after: ");
      assertThat(valid.status()).isEqualTo(429);
      assertThat(valid.body()).doesNotContain("\"value\"");
      assertThat(server.raw("GET", "/v1/health", null, null).status()).isEqualTo(200);

      clock.advance(Duration.ofSeconds(59));
      assertThat(server.raw("GET", "/v1/secrets/t/KEY", good, null).status()).isEqualTo(429);
      clock.advance(Duration.ofSeconds(2));
      assertThat(server.raw("GET", "/v1/secrets/t/KEY", good, null).status()).isEqualTo(200);
    }
    try (RunningServer server = start(false)) {
      var throttled =
          server
              .client()
              .audit(Optional.empty(), Optional.of("t/KEY"), Optional.empty(), Optional.empty())
              .records()
              .stream()
              .filter(r -> r.result().equals("too_many_requests"))
              .toList();

      assertThat(throttled)
          .as("the first is written at once, the repeats as one count")
          .extracting(r -> r.detail().replaceFirst("^request=[0-9a-f]{24}$", "request=ID"))
          .containsExactly(
              "request=ID",
              "repeated 2 more times from 2026-11-22T00:00:00Z to 2026-11-22T00:00:59Z");
      assertThat(throttled)
          .allSatisfy(r -> assertThat(r.tokenId()).as("no token was looked up").isEqualTo("-"));
    }
  }

  @Test
  void failuresSpreadOverMoreThanAMinute_areNotThrottled() {
    try (RunningServer server = start(false)) {
      for (int i = 0; i < 30; i++) {
        assertThat(server.raw("GET", "/v1/whoami", BAD, null).status()).isEqualTo(401);
        clock.advance(Duration.ofSeconds(7));
      }
    }
  }

  @Test
  void badRequestsForbiddenAndTooLarge_doNotCount() {
    try (RunningServer server = start(false)) {
      String reader = server.token("read:t/*");
      byte[] big = new byte[1024 * 1024 + 1];
      for (int i = 0; i < 15; i++) {
        assertThat(server.raw("GET", "/v1/secrets/t/%2e", reader, null).status()).isEqualTo(400);
        assertThat(server.raw("GET", "/v1/secrets/other/KEY", reader, null).status())
            .isEqualTo(403);
        assertThat(server.raw("PUT", "/v1/secrets/t/KEY", reader, big).status()).isIn(403, 413);
      }
      assertThat(server.raw("GET", "/v1/whoami", reader, null).status()).isEqualTo(200);
    }
  }

  @Test
  void unknownPaths_areThrottledLikeFailedAuthentications() {
    try (RunningServer server = start(false)) {
      for (int i = 0; i < 10; i++) {
        assertThat(server.raw("GET", "/v1/nothing-" + i, null, null).status()).isEqualTo(404);
      }

      RunningServer.Raw eleventh = server.raw("GET", "/v1/nothing", null, null);
      RunningServer.Raw valid = server.raw("GET", "/v1/whoami", server.rootToken(), null);
      RunningServer.Raw otherAddress =
          server.rawFrom("127.0.0.2", "GET", "/v1/whoami", server.rootToken(), null, "");

      assertThat(eleventh.status()).isEqualTo(429);
      assertThat(eleventh.headers()).containsIgnoringCase("retry-after: ");
      assertThat(valid.status()).isEqualTo(429);
      assertThat(otherAddress.status()).isEqualTo(200);
      clock.advance(Duration.ofSeconds(61));
      assertThat(server.raw("GET", "/v1/whoami", server.rootToken(), null).status()).isEqualTo(200);
    }
  }

  @Test
  void repeatedRefusals_areCountedNotEachWritten_andTheCountsAddUpAfterARestart() {
    try (RunningServer server = start(false)) {
      server.raw("DELETE", "/v1/whoami", null, null);
      for (int i = 0; i < 200; i++) {
        server.raw(i % 3 == 0 ? "PUT" : "GET", "/v1/nothing/" + i, null, null);
      }
      clock.advance(Duration.ofSeconds(61));
      for (int i = 0; i < 100; i++) {
        server.raw("GET", "/v1/nothing/" + i, null, null);
      }
      server.rawFrom("127.0.0.2", "GET", "/v1/nothing", null, null, "");
    }

    try (RunningServer server = start(false)) {
      var records =
          server
              .client()
              .audit(
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of("request.unknown"),
                  Optional.empty())
              .records();

      var mine = records.stream().filter(r -> r.client().equals("127.0.0.1")).toList();
      long total =
          mine.stream()
              .mapToLong(r ->
                  r.detail().startsWith("repeated ") ? Long.parseLong(r.detail().split(" ")[1]) : 1)
              .sum();
      assertThat(total).as("every refused request is accounted for").isEqualTo(301);
      assertThat(mine.size()).as("at most two per kind per minute, not 301").isLessThanOrEqualTo(9);
      assertThat(records).filteredOn(r -> r.client().equals("127.0.0.2")).hasSize(1);
      assertThat(mine)
          .extracting(r -> r.result())
          .containsOnly("not_found", "method_not_allowed", "too_many_requests");
    }
  }

  @Test
  void forwardedFor_isIgnoredUnlessProxiesAreTrusted() {
    try (RunningServer server = start(false)) {
      for (int i = 0; i < 10; i++) {
        server.raw("GET", "/v1/whoami", BAD, null, "X-Forwarded-For: 10.0.0." + i + "\r\n");
      }
      assertThat(
              server
                  .raw(
                      "GET",
                      "/v1/whoami",
                      server.rootToken(),
                      null,
                      "X-Forwarded-For: 10.9.9.9\r\n")
                  .status())
          .as("all from 127.0.0.1")
          .isEqualTo(429);
    }
  }

  @Test
  void forwardedFor_clientsOwnLineBeforeTheProxysLine_recordsTheProxysEntry() {
    try (RunningServer server = start(true)) {
      server.raw(
          "GET",
          "/v1/whoami",
          server.rootToken(),
          null,
          "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.9\r\n");

      var records =
          server
              .client()
              .audit(
                  Optional.empty(), Optional.empty(), Optional.of("token.self"), Optional.empty());

      assertThat(records.records()).extracting(r -> r.client()).containsExactly("203.0.113.9");
    }
  }

  @Test
  void forwardedFor_fromAPeerOutsideTheTrustedRanges_isIgnored() {
    ServerConfig config =
        RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
            .trustProxy("10.0.0.0/8")
            .build();
    try (RunningServer server = RunningServer.start(config, clock)) {
      server.raw("GET", "/v1/whoami", server.rootToken(), null, "X-Forwarded-For: 203.0.113.9\r\n");

      var records =
          server
              .client()
              .audit(
                  Optional.empty(), Optional.empty(), Optional.of("token.self"), Optional.empty());

      assertThat(records.records()).extracting(r -> r.client()).containsExactly("127.0.0.1");
    }
  }

  @Test
  void forwardedFor_whenTrusted_throttlesEachClientApart() {
    try (RunningServer server = start(true)) {
      for (int i = 0; i < 11; i++) {
        server.raw("GET", "/v1/whoami", BAD, null, "X-Forwarded-For: 203.0.113.7\r\n");
      }

      RunningServer.Raw attacker =
          server.raw(
              "GET", "/v1/whoami", server.rootToken(), null, "X-Forwarded-For: 203.0.113.7\r\n");
      RunningServer.Raw other =
          server.raw(
              "GET",
              "/v1/whoami",
              server.rootToken(),
              null,
              "X-Forwarded-For: 198.51.100.1, 203.0.113.8\r\n");

      assertThat(attacker.status()).isEqualTo(429);
      assertThat(other.status()).isEqualTo(200);
      var records =
          server
              .client()
              .audit(
                  Optional.empty(), Optional.empty(), Optional.of("token.self"), Optional.empty());
      assertThat(records.records())
          .extracting(r -> r.client())
          .contains("203.0.113.7", "203.0.113.8");
      assertThat(
              new String(
                  server.raw("GET", "/metrics", null, null).body().getBytes(StandardCharsets.UTF_8),
                  StandardCharsets.UTF_8))
          .contains("keyturn_auth_throttled_total 2");
    }
  }
}
