package dev.keyturn.client.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.client.ConsumerRegistration;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnUnavailableException;
import dev.keyturn.client.SecretCache;
import dev.keyturn.client.SecretChange;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link SecretCache} on {@link FakeKeyturn} and a settable clock. */
class SecretCacheTest {
  private static final String CANARY = "cache-canary-91ab";

  private Instant now = Instant.parse("2026-11-28T12:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };
  private final FakeKeyturn fake = new FakeKeyturn(clock);
  private final List<SecretChange> heard = new ArrayList<>();
  private SecretCache cache;

  private SecretCache cache(String... grants) {
    cache =
        SecretCache.builder(fake.client(grants))
            .prefix("app")
            .clock(clock)
            .consumerId("svc-1")
            .build()
            .onChange(heard::add);
    return cache;
  }

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void get_afterTheFirstRead_answersFromMemory_evenWithTheServerDown() {
    fake.put("app/A", CANARY + "-1");
    SecretCache c = cache("read:app/*", "list:app/*");
    c.get("app/A");

    fake.unavailable(true);
    now = now.plus(Duration.ofHours(23));

    assertThat(c.get("app/A").sameAs(CANARY + "-1")).isTrue();
    assertThat(c.age("app/A")).contains(Duration.ofHours(23));
  }

  @Test
  void changeEvent_refreshesTheValue_beforeListenersHearOfIt() {
    fake.put("app/A", CANARY + "-1");
    SecretCache c = cache("read:app/*");
    c.get("app/A");
    c.keyring("app/A");
    List<Integer> seenByListener = new ArrayList<>();
    c.onChange(change -> seenByListener.add(c.get(change.name()).version()));

    fake.rotate("app/A", CANARY + "-2", Duration.ofHours(24));

    assertThat(c.get("app/A").version()).isEqualTo(2);
    assertThat(c.get("app/A").sameAs(CANARY + "-2")).isTrue();
    assertThat(c.keyring("app/A").versionNumbers()).containsExactly(2, 1);
    assertThat(heard).extracting(SecretChange::version).containsExactly(2, 1);
    assertThat(seenByListener).containsExactly(2, 2);
  }

  @Test
  void pastMaxStale_withTheServerDown_readsThrowUnavailable_withoutTheValue() {
    fake.put("app/A", CANARY + "-1");
    SecretCache c = cache("read:app/*");
    c.get("app/A");
    fake.unavailable(true);

    now = now.plus(Duration.ofHours(24)).plusSeconds(1);

    assertThatThrownBy(() -> c.get("app/A"))
        .isInstanceOf(KeyturnUnavailableException.class)
        .hasMessageContaining("app/A#1")
        .hasMessageContaining("maxStale")
        .hasMessageNotContaining(CANARY);
    fake.unavailable(false);
    assertThat(c.get("app/A").version()).isEqualTo(1);
    assertThat(c.age("app/A")).contains(Duration.ZERO);
  }

  @Test
  void pastMaxStale_withTheServerUp_fetchesAgain() {
    fake.put("app/A", CANARY + "-1");
    cache =
        SecretCache.builder(fake.client("read:app/*"))
            .prefix("app")
            .clock(clock)
            .maxStale(Duration.ofMinutes(5))
            .registerAsConsumer(false)
            .build();
    cache.get("app/A");
    fake.unavailable(true);
    now = now.plus(Duration.ofMinutes(6));

    assertThatThrownBy(() -> cache.get("app/A")).isInstanceOf(KeyturnUnavailableException.class);
    fake.unavailable(false);

    assertThat(cache.get("app/A").version()).isEqualTo(1);
  }

  @Test
  void aRotationWhileTheServerWasDown_isPickedUpWhenItIsBack() {
    fake.put("app/A", CANARY + "-1");
    SecretCache c = cache("read:app/*");
    c.get("app/A");

    fake.unavailable(true);
    fake.rotate("app/A", CANARY + "-2", Duration.ZERO); // no event reaches the cache
    assertThat(c.get("app/A").version()).isEqualTo(1);
    fake.unavailable(false);

    assertThat(c.get("app/A").version()).isEqualTo(2);
    assertThat(heard).extracting(SecretChange::version).containsExactly(2);
  }

  @Test
  void onReconnect_aNameNotYetRefreshed_isNotServedPastMaxStale() {
    fake.put("app/A", CANARY + "-1");
    fake.put("app/B", CANARY + "-1");
    cache =
        SecretCache.builder(fake.client("read:app/*"))
            .prefix("app")
            .clock(clock)
            .maxStale(Duration.ofMinutes(5))
            .registerAsConsumer(false)
            .build();
    cache.get("app/A");
    cache.get("app/B");
    List<Integer> otherSeen = new ArrayList<>();
    cache.onChange(change ->
        otherSeen.add(cache.get(change.name().equals("app/A") ? "app/B" : "app/A").version()));
    fake.unavailable(true);
    fake.rotate("app/A", CANARY + "-2", Duration.ZERO);
    fake.rotate("app/B", CANARY + "-2", Duration.ZERO);
    now = now.plus(Duration.ofMinutes(6));

    fake.unavailable(false);

    assertThat(otherSeen).isNotEmpty().containsOnly(2);
    assertThat(cache.get("app/A").version()).isEqualTo(2);
    assertThat(cache.get("app/B").version()).isEqualTo(2);
    assertThat(cache.isConnected()).isTrue();
  }

  @Test
  void cache_registersAsAConsumer_followsRotations_andDepartsOnClose() {
    fake.put("app/A", "one").put("app/B", "b");
    SecretCache c = cache("read:app/*");
    c.get("app/A");
    c.keyring("app/B");

    assertThat(fake.consumers()).containsOnlyKeys("svc-1");
    assertThat(fake.consumers().get("svc-1").holdings())
        .containsExactly(
            new ConsumerRegistration.Holding("app/A", 1, List.of(1)),
            new ConsumerRegistration.Holding("app/B", 1, List.of(1)));
    assertThat(fake.consumers().get("svc-1").kind().wireName()).isEqualTo("sdk");

    fake.rotate("app/A", "two", Duration.ofHours(1));
    assertThat(fake.consumers().get("svc-1").holdings().get(0))
        .isEqualTo(new ConsumerRegistration.Holding("app/A", 2, List.of(2)));

    c.close();
    cache = null;
    assertThat(fake.consumers()).isEmpty();
  }

  @Test
  void aForbiddenName_isNotCached_andTheRefusalHasNoValue() {
    fake.put("other/X", CANARY);
    SecretCache c = cache("read:app/*");

    assertThatThrownBy(() -> c.get("other/X"))
        .isInstanceOf(KeyturnForbiddenException.class)
        .hasMessageNotContaining(CANARY);
    assertThat(c.age("other/X")).isEmpty();
  }

  @Test
  void aListenerThatThrows_doesNotStopTheOthers_norTheRefresh() {
    fake.put("app/A", "one");
    SecretCache c = cache("read:app/*");
    c.get("app/A");
    c.onChange(change -> {
      throw new IllegalStateException("listener bug");
    });
    List<Integer> after = new ArrayList<>();
    c.onChange(change -> after.add(change.version()));

    fake.put("app/A", "two");
    fake.put("app/A", "three");

    assertThat(c.get("app/A").version()).isEqualTo(3);
    assertThat(after).contains(2, 3);
  }
}
