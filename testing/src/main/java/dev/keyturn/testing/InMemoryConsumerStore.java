package dev.keyturn.testing;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Consumer;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.ConsumerStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** A {@link ConsumerStore} in memory, guarded by its {@link InMemoryStore}'s lock. */
public final class InMemoryConsumerStore implements ConsumerStore {
  private final Object lock;
  private TreeMap<String, Consumer> consumers = new TreeMap<>();

  InMemoryConsumerStore(Object lock) {
    this.lock = lock;
  }

  @Override
  public Optional<Consumer> consumer(String id) {
    requireNonNull(id, "id");
    synchronized (lock) {
      return Optional.ofNullable(consumers.get(id));
    }
  }

  @Override
  public void save(Consumer consumer) {
    requireNonNull(consumer, "consumer");
    synchronized (lock) {
      consumers.put(consumer.id(), consumer);
    }
  }

  @Override
  public boolean remove(String id) {
    synchronized (lock) {
      return consumers.remove(id) != null;
    }
  }

  @Override
  public List<Consumer> naming(SecretName secret) {
    synchronized (lock) {
      return consumers.values().stream().filter(c -> c.holding(secret).isPresent()).toList();
    }
  }

  @Override
  public List<Consumer> failing(Instant now) {
    requireNonNull(now, "now");
    synchronized (lock) {
      return consumers.values().stream()
          .filter(c -> c.liveAt(now))
          .filter(c -> c.holdings().stream().anyMatch(h -> h.failed() > 0))
          .toList();
    }
  }

  @Override
  public int purge(Instant before) {
    synchronized (lock) {
      int size = consumers.size();
      consumers.values().removeIf(c -> c.expiresAt().isBefore(before));
      return size - consumers.size();
    }
  }

  @Override
  public int owned(String owner) {
    requireNonNull(owner, "owner");
    synchronized (lock) {
      return (int) consumers.values().stream().filter(c -> c.owner().equals(owner)).count();
    }
  }

  @Override
  public int purge(String owner, Instant before) {
    requireNonNull(owner, "owner");
    requireNonNull(before, "before");
    synchronized (lock) {
      int size = consumers.size();
      consumers.values().removeIf(c -> c.owner().equals(owner) && c.expiresAt().isBefore(before));
      return size - consumers.size();
    }
  }

  Object snapshot() {
    synchronized (lock) {
      return new TreeMap<>(consumers);
    }
  }

  @SuppressWarnings("unchecked")
  void restore(Object snapshot) {
    synchronized (lock) {
      consumers = new TreeMap<>((TreeMap<String, Consumer>) snapshot);
    }
  }
}
