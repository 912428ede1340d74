package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.CachingStore;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The read cache stays within its entry and byte bounds, and reads stay right across a reset. */
class CachingStoreTest {
  private final FixedClock clock = new FixedClock(Instant.parse("2026-06-01T00:00:00Z"));
  private final SecureRandom random = new SecureRandom();
  private final InMemoryStore store = new InMemoryStore(clock);
  private final Envelope envelope = new Envelope(RootKey.generate(random), random);

  @Test
  void byteBound_isNeverExceeded_andEveryReadStaysRight() {
    CachingStore cache = new CachingStore(store, 1_000, 64 * 1024);
    SecretService service = new SecretService(cache, envelope, clock);
    String big = "v".repeat(8 * 1024);
    for (int i = 0; i < 40; i++) {
      put(service, "cache/bytes/" + i, big + i);
    }
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 40; i++) {
        assertThat(text(service.read(SecretName.of("cache/bytes/" + i), Selector.current(), false)))
            .isEqualTo(big + i);
        assertThat(cache.bytes()).isLessThanOrEqualTo(64 * 1024);
      }
    }
    assertThat(cache.size()).isPositive().isLessThan(40);
  }

  @Test
  void entryBound_isNeverExceeded_andAWriteIsSeenAtOnce() {
    CachingStore cache = new CachingStore(store, 5);
    SecretService service = new SecretService(cache, envelope, clock);
    for (int i = 0; i < 12; i++) {
      put(service, "cache/entries/" + i, "a" + i);
      service.read(SecretName.of("cache/entries/" + i), Selector.current(), false);
      assertThat(cache.size()).isLessThanOrEqualTo(5);
    }
    put(service, "cache/entries/11", "b11");
    assertThat(text(service.read(SecretName.of("cache/entries/11"), Selector.current(), false)))
        .isEqualTo("b11");
    assertThat(cache.bytes()).isPositive();
  }

  private static void put(SecretService service, String name, String value) {
    service.inTransaction(w ->
        service.put(
            w,
            SecretName.of(name),
            Plaintext.ofUtf8(value),
            ValueType.STRING,
            Duration.ZERO,
            Stage.CURRENT,
            "tok_test"));
  }

  private static String text(SecretValue v) {
    return new String(v.plaintext().reveal(), StandardCharsets.UTF_8);
  }
}
