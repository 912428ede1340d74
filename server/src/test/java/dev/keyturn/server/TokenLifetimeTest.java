package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenInfo;
import dev.keyturn.testing.FixedClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Token lifetimes through the real server: one duration syntax with rules (issue 12 item 6). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenLifetimeTest {
  @TempDir static Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2027-01-31T10:15:00Z"));
  private RunningServer server;

  @BeforeAll
  void start() {
    server =
        RunningServer.start(RunningServer.config(dir.resolve("data"), Optional.empty()), clock);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void create_calendarTtl_expiresOnTheUtcCalendarAsStored() {
    String month = server.client().createToken(request("1mo")).id();
    String year = server.client().createToken(request("1y")).id();

    assertThat(stored(month).expiresAt()).isEqualTo("2027-02-28T10:15:00Z");
    assertThat(stored(year).expiresAt()).isEqualTo("2028-01-31T10:15:00Z");
  }

  @Test
  void create_calendarTtl_neverOutlivesItsCreator() {
    String creator = server.client().createToken(request("3mo")).token();

    String child = server.client(creator).createToken(request("1y")).id();

    assertThat(stored(child).expiresAt()).isEqualTo("2027-04-30T10:15:00Z");
  }

  @Test
  void create_badTtl_is400AndCreatesNothing() {
    int before = server.client().listTokens().tokens().size();

    for (String ttl : List.of("0", "101y", "1y2mo", "3 mo", "1w", "mo")) {
      String body = "{\"grants\":[\"read:a/*\"],\"ttl\":\"" + ttl + "\"}";
      RunningServer.Raw r =
          server.raw(
              "POST", "/v1/tokens", server.rootToken(), body.getBytes(StandardCharsets.UTF_8));

      assertThat(r.status()).as(ttl).isEqualTo(400);
    }
    assertThat(server.client().listTokens().tokens()).hasSize(before);
  }

  private static TokenCreateRequest request(String ttl) {
    return new TokenCreateRequest("t", List.of("admin:life/*"), ttl);
  }

  private TokenInfo stored(String id) {
    return server.client().listTokens().tokens().stream()
        .filter(t -> t.id().equals(id))
        .findFirst()
        .orElseThrow();
  }
}
