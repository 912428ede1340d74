package dev.keyturn.testing;

import dev.keyturn.core.spi.Store;
import org.junit.jupiter.api.Nested;

/** Every store contract suite on the in-memory fake. */
class InMemoryStoreTest {
  static Store newStore() {
    return new InMemoryStore(new FixedClock(StoreFixture.T0));
  }

  @Nested
  class Consumers extends ConsumerStoreContract {
    @Override
    protected Store newStore() {
      return InMemoryStoreTest.newStore();
    }
  }

  @Nested
  class Secrets extends SecretStoreContract {
    @Override
    protected Store newStore() {
      return InMemoryStoreTest.newStore();
    }
  }

  @Nested
  class Tokens extends TokenStoreContract {
    @Override
    protected Store newStore() {
      return InMemoryStoreTest.newStore();
    }
  }

  @Nested
  class Rotations extends RotationStoreContract {
    @Override
    protected Store newStore() {
      return InMemoryStoreTest.newStore();
    }
  }

  @Nested
  class Settings extends SettingStoreContract {
    @Override
    protected Store newStore() {
      return InMemoryStoreTest.newStore();
    }
  }

  @Nested
  class Audit extends AuditLogContract {
    @Override
    protected Store newStore() {
      return InMemoryStoreTest.newStore();
    }
  }

  @Nested
  class Units extends UnitOfWorkContract {
    @Override
    protected Store newStore() {
      return InMemoryStoreTest.newStore();
    }
  }
}
