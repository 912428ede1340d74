package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.crypto.RootKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shares held by a sealed server: junk cannot keep it sealed, floods are bounded and throttled. */
class UnsealerTest {
  private final SecureRandom random = new SecureRandom();
  private final RootKey key = RootKey.generate(random);
  private final List<String> shares = key.split(5, 3, random);
  private final MutableClock clock = new MutableClock();

  private String junk(int index) {
    byte[] value = new byte[44];
    random.nextBytes(value);
    return index + "-" + HexFormat.of().formatHex(value);
  }

  @Test
  void twoShares_doNotOpen_theThirdDoes_andEveryShareIsForgotten() {
    Unsealer unsealer = new Unsealer(3, key.id(), clock);
    assertThat(unsealer.submit("a", shares.get(0)).sealed()).isTrue();
    assertThat(unsealer.submit("b", shares.get(3)).sealed()).isTrue();
    assertThat(unsealer.opened()).isNotDone();
    Unsealer.Progress open = unsealer.submit("c", shares.get(4));
    assertThat(open.sealed()).isFalse();
    assertThat(open.held()).isZero();
    assertThat(unsealer.opened().join().sameAs(key)).isTrue();
  }

  @Test
  void junkWithTheSameIndexes_andDuplicates_doNotKeepItSealed() {
    Unsealer unsealer = new Unsealer(3, key.id(), clock);
    for (int i = 1; i <= 5; i++) {
      unsealer.submit("attacker", junk(i));
    }
    unsealer.submit("a", shares.get(1));
    assertThat(unsealer.submit("a", shares.get(1)).held()).isEqualTo(6);
    unsealer.submit("b", shares.get(2));
    assertThat(unsealer.opened()).isNotDone();
    assertThat(unsealer.submit("c", shares.get(0)).sealed()).isFalse();
  }

  @Test
  void aFlood_isBounded_oldestDropped_andThrottledPerAddress() {
    Unsealer unsealer = new Unsealer(3, key.id(), clock);
    int capacity = unsealer.capacity();
    assertThat(capacity).isBetween(3, 200);
    for (int i = 0; i < capacity + 10; i++) {
      unsealer.submit("flood-" + i, junk(1 + i % 255));
    }
    assertThat(unsealer.progress().held()).isEqualTo(capacity);
    clock.advance(Duration.ofSeconds(61));
    for (int i = 0; i < Unsealer.PER_CLIENT_PER_MINUTE; i++) {
      unsealer.submit("busy", junk(7));
    }
    assertThatThrownBy(() -> unsealer.submit("busy", shares.get(0)))
        .isInstanceOf(Unsealer.Throttled.class);
    // Another address is not held back, and the real shares still open it.
    unsealer.submit("x", shares.get(0));
    unsealer.submit("y", shares.get(1));
    assertThat(unsealer.submit("z", shares.get(2)).sealed()).isFalse();
  }

  @Test
  void oneAddress_holdsAtMostTwiceTheThreshold_itsOwnOldestGoing() {
    Unsealer unsealer = new Unsealer(3, key.id(), clock);
    unsealer.submit("custodian", shares.get(0));
    for (int i = 0; i < Unsealer.PER_CLIENT_PER_MINUTE; i++) {
      unsealer.submit("attacker", junk(1 + i));
    }

    assertThat(unsealer.progress().held()).isEqualTo(1 + unsealer.perClientHeld());
    unsealer.submit("second", shares.get(1));
    assertThat(unsealer.submit("third", shares.get(2)).sealed()).isFalse();
  }

  @Test
  void addressChurn_doesNotResetTheThrottle_allAddressesTogetherAreCapped() {
    Unsealer unsealer = new Unsealer(3, key.id(), clock);
    for (int i = 0; i < Unsealer.ALL_PER_MINUTE; i++) {
      unsealer.submit("churn-" + i, junk(1 + i % 255));
    }

    assertThatThrownBy(() -> unsealer.submit("fresh-address", junk(9)))
        .isInstanceOf(Unsealer.Throttled.class)
        .hasMessageContaining("all addresses");
    // Twenty thousand more new addresses change nothing within the minute.
    for (int i = 0; i < 20_000; i++) {
      String address = "more-" + i;
      assertThatThrownBy(() -> unsealer.submit(address, junk(3)))
          .isInstanceOf(Unsealer.Throttled.class);
    }
    clock.advance(Duration.ofSeconds(61));
    unsealer.submit("x", shares.get(0));
    unsealer.submit("y", shares.get(1));
    assertThat(unsealer.submit("z", shares.get(2)).sealed()).isFalse();
  }

  @Test
  void statusAnswers_whileASearchRuns() throws Exception {
    Unsealer unsealer = new Unsealer(3, key.id(), clock);
    for (int i = 0; i < unsealer.capacity() - 1; i++) {
      unsealer.submit("j-" + i, junk(1 + i));
    }
    java.util.concurrent.CountDownLatch searching = new java.util.concurrent.CountDownLatch(1);
    Thread submitter =
        Thread.ofPlatform()
            .start(() -> {
              searching.countDown();
              unsealer.submit("last", junk(200));
            });
    searching.await();

    // Status is answered while the last share's 300 combinations are tried (about 0.1 s).
    int heldDuringSearch = -1;
    while (submitter.isAlive()) {
      if (unsealer.searching()) {
        heldDuringSearch = unsealer.progress().held();
      }
    }
    submitter.join();
    assertThat(heldDuringSearch).isEqualTo(unsealer.capacity());
    assertThat(unsealer.progress().held()).isEqualTo(unsealer.capacity());
    assertThat(Unsealer.capacity(3) - 1L)
        .as("combinations of one search, C(capacity - 1, 2)")
        .satisfies(n -> assertThat(n * (n - 1) / 2).isLessThanOrEqualTo(Unsealer.MAX_TRIES));
  }

  @Test
  void oneAddressFlooding_doesNotPushOutTheCustodiansShares() {
    List<String> five = key.split(5, 5, random);
    Unsealer unsealer = new Unsealer(5, key.id(), clock);
    for (int i = 0; i < 4; i++) {
      unsealer.submit("custodian-" + i, five.get(i));
      // Junk from one address at the throttle's pace, for the minutes until the next custodian.
      clock.advance(Duration.ofSeconds(61));
      for (int j = 0; j < unsealer.capacity(); j++) {
        if (j > 0 && j % Unsealer.PER_CLIENT_PER_MINUTE == 0) {
          clock.advance(Duration.ofSeconds(61));
        }
        unsealer.submit("attacker", junk(1 + random.nextInt(255)));
      }
    }

    assertThat(unsealer.submit("custodian-last", five.get(4)).sealed()).isFalse();
  }

  @Test
  void sharesOfAnotherKey_orMalformed_areRefusedOrIgnored() {
    Unsealer unsealer = new Unsealer(3, key.id(), clock);
    List<String> other = RootKey.generate(random).split(3, 3, random);
    for (String s : other) {
      assertThat(unsealer.submit("a", s).sealed()).isTrue();
    }
    assertThatThrownBy(() -> unsealer.submit("a", "1-00112233"))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageNotContaining("00112233");
    assertThatThrownBy(() -> unsealer.submit("a", "junk"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThat(unsealer.opened()).isNotDone();
  }

  @Test
  void capacity_keepsTheWorkPerShareBounded() {
    assertThat(Unsealer.capacity(2)).isEqualTo(301);
    assertThat(Unsealer.capacity(3)).isEqualTo(26);
    assertThat(Unsealer.capacity(5)).isEqualTo(11);
    assertThat(Unsealer.capacity(20)).isEqualTo(22);
  }

  private static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

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
  }
}
