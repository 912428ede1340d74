package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.spi.RotationStore;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The claims a node keeps while its steps run: renewed when half is gone, each on its own. */
class ClaimKeepersTest {
  private static final Duration CLAIM = Duration.ofSeconds(2);

  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
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
          return now.get();
        }
      };
  private final CountDownLatch stuck = new CountDownLatch(1);
  private final Map<String, AtomicInteger> renewals = new ConcurrentHashMap<>();

  /**
   * A store whose claim on {@code stuck} blocks until released (a row lock held elsewhere). Claims
   * are all that {@link ClaimKeepers} may ask of the store: any other call fails the test.
   */
  private RotationStore store() {
    return (RotationStore)
        Proxy.newProxyInstance(
            RotationStore.class.getClassLoader(),
            new Class<?>[] {RotationStore.class},
            (proxy, method, args) -> {
              if (!method.getName().equals("claim")) {
                throw new AssertionError("ClaimKeepers called RotationStore." + method.getName());
              }
              String id = (String) args[0];
              if (id.equals("stuck")) {
                stuck.await();
              }
              renewals.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
              return true;
            });
  }

  private void awaitRenewals(String id, int count) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (renewals.getOrDefault(id, new AtomicInteger()).get() < count) {
      assertThat(System.nanoTime()).as(id + " renewed " + count + " times").isLessThan(end);
      Thread.sleep(5);
    }
  }

  @Test
  void aRenewalThatBlocks_holdsUpOnlyItsOwnClaim() throws Exception {
    ClaimKeepers keepers = new ClaimKeepers(store(), clock, "node-a", CLAIM, Duration.ofMillis(5));
    ClaimKeepers.Held blocked = keepers.keep("stuck", now.get());
    ClaimKeepers.Held free = keepers.keep("free", now.get());
    try {
      now.set(now.get().plus(Duration.ofMillis(1_500)));
      awaitRenewals("free", 1);
      assertThat(free.claimed()).isEqualTo(now.get());
      // By now any single thread walking the claims in turn would be stuck on the other one.
      now.set(now.get().plus(Duration.ofMillis(1_500)));
      awaitRenewals("free", 2);
      assertThat(renewals.get("stuck")).isNull();
    } finally {
      stuck.countDown();
      free.close();
      blocked.close();
    }
    awaitRenewals("stuck", 1);
  }

  @Test
  void aClaimNotHalfGone_isNotRenewed_andAClosedOneNeverAgain() throws Exception {
    ClaimKeepers keepers = new ClaimKeepers(store(), clock, "node-a", CLAIM, Duration.ofMillis(5));
    ClaimKeepers.Held held = keepers.keep("r1", now.get());
    now.set(now.get().plus(Duration.ofMillis(900)));
    Thread.sleep(100);
    assertThat(renewals.get("r1")).isNull();
    now.set(now.get().plus(Duration.ofMillis(200)));
    awaitRenewals("r1", 1);
    held.close();
    now.set(now.get().plus(Duration.ofSeconds(5)));
    Thread.sleep(100);
    assertThat(renewals.get("r1").get()).isEqualTo(1);
  }
}
