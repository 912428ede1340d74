package dev.keyturn.client.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.KeyturnUnavailableException;
import dev.keyturn.client.PutRequest;
import dev.keyturn.client.SecretChange;
import dev.keyturn.client.Stage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the fake adds to the contract: its clock, its failure switch and its assertions. */
class FakeKeyturnTest {
  private Instant now = Instant.parse("2026-11-28T12:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };
  private final FakeKeyturn fake = new FakeKeyturn(clock);

  @Test
  void graceWindow_endsWhenTheClockSays_andThePreviousVersionRetires() {
    fake.put("app/H", "one").rotate("app/H", "two", Duration.ofHours(24));
    KeyturnClient c = fake.client();

    assertThat(c.keyring("app/H").versionNumbers()).containsExactly(2, 1);
    now = now.plus(Duration.ofHours(24));

    assertThat(c.keyring("app/H").versionNumbers()).containsExactly(2);
    assertThatThrownBy(() -> c.getStage("app/H", Stage.PREVIOUS))
        .isInstanceOf(KeyturnNotFoundException.class);
    assertThat(fake.stages("app/H")).isEqualTo(Map.of(1, Stage.RETIRED, 2, Stage.CURRENT));
  }

  @Test
  void unavailable_failsEveryCall_untilItIsBack() {
    fake.put("app/A", "v");
    KeyturnClient c = fake.client();

    fake.unavailable(true);

    assertThatThrownBy(() -> c.get("app/A")).isInstanceOf(KeyturnUnavailableException.class);
    assertThatThrownBy(() -> c.put(PutRequest.text("app/A", "w")))
        .isInstanceOf(KeyturnUnavailableException.class);
    fake.unavailable(false);
    assertThat(c.get("app/A").version()).isEqualTo(1);
  }

  @Test
  void watch_getsTheNewVersionAndTheDemotedOne_inOrder() {
    List<SecretChange> seen = new ArrayList<>();
    fake.put("app/W", "one");
    fake.client("list:app/*").watch("app", seen::add);

    fake.rotate("app/W", "two", Duration.ofHours(1));
    fake.put("other/X", "x");

    assertThat(seen)
        .extracting(c -> c.name() + "#" + c.version() + " " + c.stage())
        .containsExactly("app/W#2 CURRENT", "app/W#1 PREVIOUS");
  }

  @Test
  void generate_makesHexValuesOfTheLengthAsked() {
    KeyturnClient c = fake.client();

    c.put(PutRequest.generate("app/G", "hex:32"));

    assertThat(c.get("app/G").reveal()).matches("[0-9a-f]{64}");
  }

  @Test
  void consumers_areListedWhileTheirTtlRuns() {
    fake.put("app/U", "v");
    KeyturnClient c = fake.client("read:app/*");

    c.registerConsumer(
        dev.keyturn.client.ConsumerRegistration.builder("svc-1")
            .holding("app/U", 1)
            .ttl(Duration.ofSeconds(30))
            .build());

    assertThat(fake.consumers()).containsOnlyKeys("svc-1");
    now = now.plusSeconds(31);
    assertThat(fake.consumers()).isEmpty();
  }
}
