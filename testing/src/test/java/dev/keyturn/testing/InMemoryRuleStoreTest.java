package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.RotationStore.RuleEntry;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InMemoryRuleStoreTest extends RuleStoreContract {
  private final InMemoryRotationStore store = new InMemoryStore(new FixedClock(T0)).rotations();

  /** The fake keeps rules as codec documents; every open sees the same ones. */
  @Override
  protected RotationStore open() {
    return store;
  }

  @Test
  void dueRulesAfter_ruleReadFails_throwsAsDueRulesDoes() {
    for (String name : new String[] {"h/a", "h/b"}) {
      store.putRule(
          new RuleEntry(RotationRule.builder(SecretName.of(name)).build(), Optional.of(T0)));
    }
    RuleEntry first = store.dueRules(T0, 1).getFirst();
    store.beforeRuleRead(secret -> {
      throw new KeyturnException.IntegrityFailure("rule of " + secret, "edited");
    });

    assertThatThrownBy(() -> store.dueRulesAfter(T0, first, 10))
        .as("the JDBC store checks every rule of every page it reads")
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }
}
