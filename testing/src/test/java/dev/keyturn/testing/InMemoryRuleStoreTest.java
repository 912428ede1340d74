package dev.keyturn.testing;

import dev.keyturn.core.spi.RotationStore;

class InMemoryRuleStoreTest extends RuleStoreContract {
  private final InMemoryRotationStore store = new InMemoryStore(new FixedClock(T0)).rotations();

  /** The fake keeps rules as codec documents; every open sees the same ones. */
  @Override
  protected RotationStore open() {
    return store;
  }
}
