package dev.keyturn.testing;

import dev.keyturn.core.spi.SecretStore;

class InMemorySecretStoreTest extends SecretStoreContract {
  @Override
  protected SecretStore newStore() {
    return new InMemorySecretStore(new FixedClock(T0));
  }
}
