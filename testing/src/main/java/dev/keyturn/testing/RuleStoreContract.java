package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.RotationStore.RuleEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RotationStore} must do with rules: store each one whole, so that a fresh store
 * over the same data reads back rules equal to those written (every component, every schedule kind,
 * target and hook of {@link RuleGenerator}), with their due and start times; and answer the due and
 * overdue queries from the right one of the two.
 */
public abstract class RuleStoreContract {
  protected static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  /**
   * A store over this test's data: each call a fresh instance over the same data where possible.
   */
  protected abstract RotationStore open();

  @Test
  void putRule_everyGeneratedRule_readsBackEqualThroughAFreshStore() {
    List<RotationRule> rules = RuleGenerator.rules("gen/");
    List<RuleEntry> written = new ArrayList<>();
    RotationStore writer = open();
    for (int i = 0; i < rules.size(); i++) {
      Optional<Instant> due = i % 3 == 0 ? Optional.empty() : Optional.of(T0.plusSeconds(i));
      Optional<Instant> start = i % 3 == 2 ? Optional.empty() : due;
      RuleEntry entry = new RuleEntry(rules.get(i), due, start);
      writer.putRule(entry);
      written.add(entry);
    }

    RotationStore reader = open();

    assertThat(rules).hasSizeGreaterThan(80);
    for (RuleEntry entry : written) {
      assertThat(reader.rule(entry.rule().secret()))
          .as(entry.rule().secret().value())
          .contains(entry);
    }
    assertThat(reader.rules("gen/", 1000)).containsExactlyInAnyOrderElementsOf(written);
    assertThat(reader.ruleNames("gen/", 1000))
        .isEqualTo(reader.rules("gen/", 1000).stream().map(e -> e.rule().secret()).toList());
    assertThat(reader.ruleNames("nothing-here/", 1000)).isEmpty();
  }

  @Test
  void rulesOfSecrets_someWithoutRuleAndOthersBetween_returnsOnlyThoseAskedForThatHaveOne() {
    List<RotationRule> rules = RuleGenerator.rules("page/");
    RotationStore writer = open();
    for (RotationRule rule : rules.subList(0, 6)) {
      writer.putRule(new RuleEntry(rule, Optional.of(T0)));
    }
    SecretName first = rules.get(0).secret();
    SecretName third = rules.get(2).secret();
    SecretName fifth = rules.get(4).secret();
    SecretName none = SecretName.of("page/zz-no-rule");

    java.util.Map<SecretName, RuleEntry> found = open().rules(List.of(fifth, none, first, third));

    assertThat(found)
        .containsOnlyKeys(first, third, fifth)
        .containsEntry(third, new RuleEntry(rules.get(2), Optional.of(T0)));
    assertThat(open().rules(List.of())).isEmpty();
    assertThat(open().rules(List.of(none))).isEmpty();
  }

  @Test
  void putRule_again_replacesTheWholeRule() {
    List<RotationRule> rules = RuleGenerator.rules("gen/");
    RotationRule first = rules.get(3);
    RotationRule second = rules.get(4);
    RotationStore store = open();
    store.putRule(new RuleEntry(first, Optional.of(T0)));
    RotationRule replacement =
        RotationRule.builder(first.secret())
            .generator(second.generator())
            .strategy(second.strategy())
            .schedule(second.schedule())
            .hooks(second.hooks())
            .targetType(second.targetType())
            .target(second.target())
            .build();

    store.putRule(new RuleEntry(replacement, Optional.empty()));

    assertThat(open().rule(first.secret()))
        .contains(new RuleEntry(replacement, Optional.empty(), Optional.empty()));
  }

  @Test
  void dueAndOverdueRules_followStartAtAndNextDueRespectively() {
    List<RotationRule> rules = RuleGenerator.rules("q/");
    RotationStore store = open();
    // Overdue since T0, starting only in an hour (its window).
    store.putRule(new RuleEntry(rules.get(1), Optional.of(T0), Optional.of(T0.plusSeconds(3600))));
    // Overdue since T0 + 10s, rotating only on request.
    store.putRule(new RuleEntry(rules.get(2), Optional.of(T0.plusSeconds(10)), Optional.empty()));
    // Due and starting at T0 + 20s.
    store.putRule(new RuleEntry(rules.get(4), Optional.of(T0.plusSeconds(20))));

    assertThat(store.dueRules(T0.plusSeconds(30), 10))
        .extracting(e -> e.rule().secret())
        .containsExactly(rules.get(4).secret());
    assertThat(store.overdueRules(T0.plusSeconds(30), 10))
        .extracting(e -> e.rule().secret())
        .containsExactly(rules.get(1).secret(), rules.get(2).secret(), rules.get(4).secret());
    assertThat(store.overdueRules(T0.plusSeconds(15), 1))
        .extracting(e -> e.rule().secret())
        .containsExactly(rules.get(1).secret());

    store.setStartAt(rules.get(2).secret(), Optional.of(T0.plusSeconds(25)));
    store.setNextDue(rules.get(1).secret(), Optional.of(T0.plusSeconds(90)));

    RotationStore fresh = open();
    assertThat(fresh.rule(rules.get(2).secret()).orElseThrow())
        .extracting(RuleEntry::nextDue, RuleEntry::startAt)
        .containsExactly(Optional.of(T0.plusSeconds(10)), Optional.of(T0.plusSeconds(25)));
    assertThat(fresh.rule(rules.get(1).secret()).orElseThrow())
        .extracting(RuleEntry::nextDue, RuleEntry::startAt)
        .containsExactly(Optional.of(T0.plusSeconds(90)), Optional.of(T0.plusSeconds(90)));
    assertThat(fresh.dueRules(T0.plusSeconds(30), 10))
        .extracting(e -> e.rule().secret())
        .containsExactly(rules.get(4).secret(), rules.get(2).secret());
    assertThat(fresh.deleteRule(rules.get(2).secret())).isTrue();
    assertThat(fresh.rule(rules.get(2).secret())).isEmpty();
    assertThat(fresh.rule(SecretName.of("q/none"))).isEmpty();
  }

  @Test
  void overdueRulesAfter_pagesThroughTiesAndLaterDueDates_eachOverdueRuleOnce() {
    RotationStore store = open();
    // Four rules due at one instant, whatever their starts (one rotates only on request), then two
    // due later; one not due yet and one never due are never overdue.
    for (String name : List.of("o/d", "o/b", "o/c")) {
      store.putRule(
          new RuleEntry(
              RotationRule.builder(SecretName.of(name)).build(),
              Optional.of(T0),
              Optional.of(T0.plusSeconds(3600))));
    }
    store.putRule(
        new RuleEntry(
            RotationRule.builder(SecretName.of("o/a")).build(), Optional.of(T0), Optional.empty()));
    for (int i = 1; i <= 2; i++) {
      store.putRule(
          new RuleEntry(
              RotationRule.builder(SecretName.of("o/later" + i)).build(),
              Optional.of(T0.plusSeconds(i))));
    }
    store.putRule(
        new RuleEntry(
            RotationRule.builder(SecretName.of("o/future")).build(),
            Optional.of(T0.plusSeconds(60))));
    store.putRule(
        new RuleEntry(
            RotationRule.builder(SecretName.of("o/never")).build(),
            Optional.empty(),
            Optional.empty()));
    Instant before = T0.plusSeconds(30);

    List<String> seen = new ArrayList<>();
    List<RuleEntry> page = store.overdueRules(before, 2);
    page.forEach(e -> seen.add(e.rule().secret().value()));
    // The page's last rule goes before the next page is read: the next page starts after it still.
    assertThat(store.deleteRule(page.get(1).rule().secret())).isTrue();
    for (int pages = 1; !page.isEmpty(); pages++) {
      assertThat(pages).as("pages read (a store that ignores the cursor never ends)").isLessThan(6);
      page = open().overdueRulesAfter(before, page.get(page.size() - 1), 2);
      page.forEach(e -> seen.add(e.rule().secret().value()));
    }

    assertThat(seen).containsExactly("o/a", "o/b", "o/c", "o/d", "o/later1", "o/later2");
  }

  @Test
  void dueRulesAfter_pagesThroughTiesAndLaterStarts_eachDueRuleOnce() {
    RotationStore store = open();
    List<SecretName> expected = new ArrayList<>();
    // Five rules starting at one instant (a fleet's rules set at once), then three later ones; one
    // that starts after now and one that starts only on request are never due.
    for (String name : List.of("p/e", "p/a", "p/d", "p/b", "p/c")) {
      store.putRule(
          new RuleEntry(RotationRule.builder(SecretName.of(name)).build(), Optional.of(T0)));
    }
    for (int i = 1; i <= 3; i++) {
      store.putRule(
          new RuleEntry(
              RotationRule.builder(SecretName.of("p/later" + i)).build(),
              Optional.of(T0.plusSeconds(i))));
    }
    store.putRule(
        new RuleEntry(
            RotationRule.builder(SecretName.of("p/future")).build(),
            Optional.of(T0.plusSeconds(60))));
    store.putRule(
        new RuleEntry(
            RotationRule.builder(SecretName.of("p/onrequest")).build(),
            Optional.of(T0),
            Optional.empty()));
    for (String name : List.of("p/a", "p/b", "p/c", "p/d", "p/e", "p/later1", "p/later2")) {
      expected.add(SecretName.of(name));
    }
    expected.add(SecretName.of("p/later3"));
    Instant now = T0.plusSeconds(30);

    List<SecretName> seen = new ArrayList<>();
    List<RuleEntry> page = open().dueRules(now, 2);
    int pages = 1;
    while (!page.isEmpty()) {
      assertThat(pages).as("pages read (a store that ignores the cursor never ends)").isLessThan(6);
      page.forEach(e -> seen.add(e.rule().secret()));
      page = open().dueRulesAfter(now, page.get(page.size() - 1), 2);
      pages++;
    }

    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(pages).isEqualTo(5);
    assertThat(store.dueRules(now, 3))
        .extracting(e -> e.rule().secret().value())
        .containsExactly("p/a", "p/b", "p/c");
  }
}
