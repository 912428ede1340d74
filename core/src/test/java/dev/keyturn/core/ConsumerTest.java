package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerTest {
  private static final SecretName HMAC = SecretName.of("app/prod/HMAC");
  private static final SecretName DB = SecretName.of("app/prod/DB");
  private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

  private static Consumer consumer(Consumer.Holding... holdings) {
    return new Consumer(
        "agent.web-1.42",
        "tok_a",
        "web-1",
        Consumer.Kind.AGENT,
        List.of(holdings),
        Duration.ofSeconds(90),
        T0,
        T0);
  }

  @Test
  void encodeHoldings_withAFailedVersion_decodesToTheSameHoldings() {
    Consumer c =
        consumer(
            new Consumer.Holding(HMAC, 3, List.of(4, 3), 5),
            new Consumer.Holding(DB, 7, List.of()));

    String text = c.encodeHoldings();

    assertThat(text).isEqualTo("app/prod/HMAC:3:4,3:!5;app/prod/DB:7:");
    assertThat(Consumer.decodeHoldings(text)).isEqualTo(c.holdings());
  }

  @Test
  void decodeHoldings_withoutFailedField_hasNoFailedVersion() {
    List<Consumer.Holding> holdings = Consumer.decodeHoldings("app/prod/HMAC:3:4");

    assertThat(holdings.get(0).failedVersion()).isEmpty();
    assertThat(holdings.get(0).failed()).isZero();
  }

  @Test
  void decodeHoldings_malformedFailedField_isRefused() {
    for (String bad :
        List.of(
            "app/prod/HMAC:3::5",
            "app/prod/HMAC:3::!0",
            "app/prod/HMAC:3::!-2",
            "app/prod/HMAC:3::!x",
            "app/prod/HMAC:3::!3",
            "app/prod/HMAC:3::!4:!5")) {
      assertThatThrownBy(() -> Consumer.decodeHoldings(bad))
          .as(bad)
          .isInstanceOf(KeyturnException.InvalidInput.class);
    }
  }

  @Test
  void holding_failedIsTheVersionItUses_isRefused() {
    assertThatThrownBy(() -> new Consumer.Holding(HMAC, 3, List.of(), 3))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("app/prod/HMAC");
  }

  @Test
  void describe_namesTheFailedVersion() {
    Consumer.Holding h = new Consumer.Holding(HMAC, 3, List.of(4, 3), 4);

    String text = h.describe();

    assertThat(text).isEqualTo("app/prod/HMAC#3 (accepting 4,3) (failed to apply #4)");
  }
}
