package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Consumer;
import dev.keyturn.core.SecretName;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link dev.keyturn.core.spi.ConsumerStore} must have. A backend's test
 * extends this class and returns a new, empty store from {@link #newStore()}; the in-memory fake,
 * SQLite and PostgreSQL (plain and integrity-protected) all run it.
 */
public abstract class ConsumerStoreContract extends StoreFixture {
  private static final SecretName OTHER = SecretName.of("app/production/OTHER");

  private static Consumer consumer(String id, String owner, Consumer.Holding... holdings) {
    return new Consumer(
        id,
        owner,
        "web-1: gunicorn",
        Consumer.Kind.AGENT,
        List.of(holdings),
        Duration.ofSeconds(90),
        T0,
        T0.plusSeconds(30));
  }

  @Test
  void save_everyField_comesBackWhole() {
    Consumer written =
        consumer(
            "agent.web-1.42",
            "tok_a",
            new Consumer.Holding(NAME, 3, List.of(4, 3, 2)),
            new Consumer.Holding(OTHER, 7, List.of(), 8));

    store.consumers().save(written);

    assertThat(store.consumers().consumer("agent.web-1.42")).contains(written);
    assertThat(store.consumers().naming(NAME)).containsExactly(written);
    assertThat(store.consumers().naming(OTHER)).containsExactly(written);
  }

  @Test
  void save_sameId_replacesTheRowAndWhatItNames() {
    store.consumers().save(consumer("c1", "tok_a", new Consumer.Holding(NAME, 1, List.of())));
    Consumer moved = consumer("c1", "tok_a", new Consumer.Holding(OTHER, 2, List.of(2)));

    store.consumers().save(moved);

    assertThat(store.consumers().consumer("c1")).contains(moved);
    assertThat(store.consumers().naming(NAME)).isEmpty();
    assertThat(store.consumers().naming(OTHER)).containsExactly(moved);
  }

  @Test
  void remove_deletesOnlyThatConsumer() {
    store.consumers().save(consumer("c1", "tok_a", new Consumer.Holding(NAME, 1, List.of())));
    store.consumers().save(consumer("c2", "tok_b", new Consumer.Holding(NAME, 2, List.of())));

    boolean removed = store.consumers().remove("c1");
    boolean again = store.consumers().remove("c1");

    assertThat(removed).isTrue();
    assertThat(again).isFalse();
    assertThat(store.consumers().consumer("c1")).isEmpty();
    assertThat(store.consumers().naming(NAME)).extracting(Consumer::id).containsExactly("c2");
  }

  @Test
  void purge_removesOnlyRegistrationsStaleBeforeTheTime() {
    Consumer stale = consumer("c1", "tok_a", new Consumer.Holding(NAME, 1, List.of()));
    Consumer fresh =
        new Consumer(
            "c2",
            "tok_a",
            "n",
            Consumer.Kind.RUN,
            List.of(new Consumer.Holding(NAME, 1, List.of())),
            Duration.ofSeconds(90),
            T0,
            T0.plus(Duration.ofDays(2)));
    store.consumers().save(stale);
    store.consumers().save(fresh);

    int purged = store.consumers().purge(T0.plus(Duration.ofDays(1)));

    assertThat(purged).isEqualTo(1);
    assertThat(store.consumers().naming(NAME)).containsExactly(fresh);
  }

  @Test
  void owned_countsOneTokensRegistrations_andPurgeByOwnerRemovesOnlyItsStaleOnes() {
    Consumer staleA = consumer("c1", "tok_a", new Consumer.Holding(NAME, 1, List.of()));
    Consumer freshA =
        new Consumer(
            "c2",
            "tok_a",
            "n",
            Consumer.Kind.RUN,
            List.of(new Consumer.Holding(NAME, 1, List.of())),
            Duration.ofSeconds(90),
            T0,
            T0.plus(Duration.ofDays(2)));
    Consumer staleB = consumer("c3", "tok_b", new Consumer.Holding(NAME, 1, List.of()));
    store.consumers().save(staleA);
    store.consumers().save(freshA);
    store.consumers().save(staleB);

    int ownedBefore = store.consumers().owned("tok_a");
    int purged = store.consumers().purge("tok_a", T0.plus(Duration.ofDays(1)));

    assertThat(ownedBefore).isEqualTo(2);
    assertThat(purged).isEqualTo(1);
    assertThat(store.consumers().owned("tok_a")).isEqualTo(1);
    assertThat(store.consumers().owned("tok_b")).isEqualTo(1);
    assertThat(store.consumers().owned("tok_c")).isZero();
    assertThat(store.consumers().naming(NAME)).containsExactly(freshA, staleB);
  }

  @Test
  void failing_findsOnlyLiveRegistrationsReportingAFailedVersion() {
    Consumer failed =
        consumer(
            "c1",
            "tok_a",
            new Consumer.Holding(NAME, 3, List.of()),
            new Consumer.Holding(OTHER, 2, List.of(2), 3));
    store.consumers().save(failed);
    store.consumers().save(consumer("c2", "tok_a", new Consumer.Holding(NAME, 3, List.of(4, 3))));
    store
        .consumers()
        .save(
            new Consumer(
                "c3",
                "tok_a",
                "stale",
                Consumer.Kind.AGENT,
                List.of(new Consumer.Holding(NAME, 3, List.of(), 4)),
                Duration.ofSeconds(10),
                T0,
                T0));

    List<Consumer> found = store.consumers().failing(T0.plusSeconds(60));

    assertThat(found).containsExactly(failed);
    assertThat(store.consumers().failing(T0.plusSeconds(121))).isEmpty();
  }

  @Test
  void inTransaction_thatThrows_keepsNoConsumer() {
    try {
      store.inTransaction(work -> {
        work.consumers().save(consumer("c1", "tok_a", new Consumer.Holding(NAME, 1, List.of())));
        throw new IllegalStateException("boom");
      });
    } catch (IllegalStateException expected) {
      // rolled back
    }

    assertThat(store.consumers().consumer("c1")).isEmpty();
    assertThat(store.consumers().naming(NAME)).isEmpty();
  }
}
