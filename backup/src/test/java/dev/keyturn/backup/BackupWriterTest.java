package dev.keyturn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Consumer;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.InMemoryStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackupWriterTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final SecretName NAME = SecretName.of("app/production/HMAC");

  private final FixedClock clock = new FixedClock(T0);
  private final SecureRandom random = new SecureRandom();
  private final InMemoryStore store = new InMemoryStore(clock);
  private final SecretService service =
      new SecretService(store, new Envelope(RootKey.generate(random), random), clock);
  private final BackupWriter writer = new BackupWriter(service, store.rotations());

  private void put(String value, Duration grace) {
    service.inTransaction(w ->
        service.put(
            w, NAME, Plaintext.ofUtf8(value), ValueType.STRING, grace, Stage.CURRENT, "tok"));
  }

  private List<Integer> snapshotted() {
    return writer.snapshot("", clock.instant()).get(0).versions().stream()
        .map(Version::number)
        .toList();
  }

  @Test
  void snapshot_keepsAPreviousVersionPastItsGraceThatALiveConsumerStillUses() {
    // The server still serves and accepts it (docs/api.md "Consumers"), so a backup without it
    // would restore a server that breaks that consumer, and a drill would call it missing.
    put("v1-value-canary-4e1f", Duration.ZERO);
    put("v2-value-canary-4e1f", Duration.ofHours(1));
    store
        .consumers()
        .save(
            new Consumer(
                "web-1",
                "tok_app",
                "web-1: gunicorn",
                Consumer.Kind.RUN,
                List.of(new Consumer.Holding(NAME, 1, List.of())),
                Duration.ofSeconds(3600),
                T0,
                T0.plus(Duration.ofMinutes(50))));
    clock.advance(Duration.ofMinutes(61));

    List<Integer> held = snapshotted();
    int served = service.keyring(NAME).size();
    clock.advance(Duration.ofMinutes(60));
    List<Integer> stale = snapshotted();

    assertThat(served).as("the server serves v1 to the consumer").isEqualTo(2);
    assertThat(held).containsExactly(1, 2);
    assertThat(stale).as("once the consumer is stale, v1 is retired").containsExactly(2);
  }
}
