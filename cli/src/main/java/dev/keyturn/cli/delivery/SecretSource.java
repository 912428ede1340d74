package dev.keyturn.cli.delivery;

import java.util.List;
import java.util.Optional;

/**
 * Where a mapping reads values: the Keyturn server in production, a fake in tests. Errors are the
 * client's or core's exceptions (forbidden, unreachable); values never appear in them.
 */
public interface SecretSource {
  /**
   * Every current value exactly one level below {@code prefix} that the caller may read, in one
   * request; with each one's keyring when {@code keyrings} is set.
   */
  List<Fetched> below(String prefix, boolean keyrings);

  /** One secret's current value (and keyring when asked); empty when it does not exist. */
  Optional<Fetched> one(String name, boolean keyring);
}
