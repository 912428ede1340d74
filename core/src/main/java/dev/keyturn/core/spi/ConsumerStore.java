package dev.keyturn.core.spi;

import dev.keyturn.core.Consumer;
import dev.keyturn.core.SecretName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Registered consumers ({@link Consumer}). One role of a {@link Store}; checked by {@code
 * ConsumerStoreContract}. On JDBC every row carries a MAC under the store's metadata key, checked
 * when it is read: a row added or changed outside Keyturn is left out (and reported as an integrity
 * failure), so it can neither hold a version nor pass for another token's consumer. Thread-safe.
 */
public interface ConsumerStore {

  /** The registration with this id, live or not. */
  Optional<Consumer> consumer(String id);

  /** Writes {@code consumer}, replacing the row with its id. */
  void save(Consumer consumer);

  /** Removes the registration with this id; false if there was none. */
  boolean remove(String id);

  /** Every registration, live or not, that names {@code secret}, in id order. */
  List<Consumer> naming(SecretName secret);

  /**
   * Every registration live at {@code now} that reports a version it could not apply ({@link
   * Consumer.Holding#failed}), in id order.
   */
  List<Consumer> failing(Instant now);

  /** Removes registrations that stopped being live before {@code before}; returns how many. */
  int purge(Instant before);

  /** How many registrations, live or not, the token {@code owner} has. */
  int owned(String owner);

  /**
   * Removes the registrations of the token {@code owner} that stopped being live before {@code
   * before}; returns how many.
   */
  int purge(String owner, Instant before);
}
