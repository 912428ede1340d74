package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.Generator;
import dev.keyturn.core.HookSpec;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.RotationStore;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every transition of the rotation state machine, with a fake clock and a fake target. */
class RotationEngineTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final SecretName NAME = SecretName.of("leather-api/production/REVALIDATE_SECRET");

  private final FixedClock clock = new FixedClock(T0);
  private final SecureRandom random = new SecureRandom();
  private final InMemoryStore store = new InMemoryStore(clock);
  private final SecretService secrets =
      new SecretService(store, new Envelope(RootKey.generate(random), random), clock);
  private final InMemoryAuditLog audit =
      store.openAuditLog(new AuditChain(RootKey.generate(random)));
  private final FakeTarget target = new FakeTarget(Optional.of("initial"));
  private final List<Rotation> ended = new ArrayList<>();
  private final RecordingHook hook = new RecordingHook();
  private final RotationEngine engine =
      new RotationEngine(
          secrets,
          store.rotations(),
          Map.of("fake", target),
          Map.of("rec", hook),
          audit,
          clock,
          random,
          "node-test",
          ended::add);

  private RotationRule rule(
      Strategy strategy, String generate, Duration grace, Duration propagation) {
    return new RotationRule(
        NAME,
        Generator.parse(generate),
        Optional.of(Schedule.of("90d", "UTC")),
        grace,
        strategy,
        propagation,
        "fake",
        Map.of(),
        "devops",
        "webhook signatures",
        "revalidation fails",
        5,
        Duration.ofSeconds(1),
        java.util.List.of(),
        Optional.empty(),
        false,
        false);
  }

  private void setUp(RotationRule rule) {
    secrets.inTransaction(w ->
        secrets.put(
            w,
            NAME,
            Plaintext.ofUtf8("initial"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.CURRENT,
            "tok"));
    store.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(90))));
  }

  @Test
  void startToRun_claimsInTheStart_otherNodesWaitAndItEndsWithNoClaimLeft() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    RotationEngine other =
        new RotationEngine(
            secrets,
            store.rotations(),
            Map.of("fake", target),
            Map.of(),
            audit,
            clock,
            random,
            "node-other",
            ended::add);

    Rotation started = engine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok");
    Rotation elsewhere = other.step(started.id());
    Rotation finished = engine.runDue(started.id());

    assertThat(elsewhere.state())
        .as("created in the start, then left alone")
        .isEqualTo(RotationState.SET);
    assertThat(finished.state()).isEqualTo(RotationState.FINISHED);
    assertThat(target.calls()).containsExactly("set#2", "test#2");
    assertThat(store.rotations().claim(started.id(), "node-other", T0, T0.plusSeconds(60)))
        .as("the finish gave the claim up")
        .isTrue();
    assertThat(audit.records())
        .extracting(rec -> rec.event().action())
        .containsSubsequence(
            "rotation.start",
            "rotation.create",
            "rotation.set",
            "rotation.test",
            "rotation.finish");
  }

  @Test
  void startToRun_whoseCreateFailsInTheStartsUnit_leavesAStartedRotationForItsCreateStep() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    store
        .rotations()
        .beforeSave(r -> {
          if (r.state() == RotationState.SET) {
            throw new IllegalStateException("crash");
          }
        });

    Rotation started = engine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok");

    assertThat(started.state()).isEqualTo(RotationState.CREATE);
    assertThat(store.rotations().active(NAME)).map(Rotation::id).contains(started.id());
    assertThat(secrets.describe(NAME).versions().versions())
        .as("the pending version went with the unit that failed")
        .hasSize(1);
    assertThat(audit.records())
        .extracting(rec -> rec.event().action())
        .contains("rotation.start")
        .doesNotContain("version.create", "rotation.create");

    store.rotations().beforeSave(r -> {});
    Rotation finished = engine.runDue(started.id());

    assertThat(finished.state()).isEqualTo(RotationState.FINISHED);
    assertThat(target.calls()).containsExactly("set#2", "test#2");
  }

  @Test
  void finishInTheTestsUnit_followsTheRuleAsEditedDuringTheTest() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    dev.keyturn.core.spi.Target editing =
        new dev.keyturn.core.spi.Target() {
          @Override
          public void set(dev.keyturn.core.spi.TargetContext context) {}

          @Override
          public void test(dev.keyturn.core.spi.TargetContext context) {
            store
                .rotations()
                .putRule(
                    rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(48), Duration.ZERO),
                    Optional.of(T0.plus(Duration.ofDays(90))));
          }

          @Override
          public void rollback(dev.keyturn.core.spi.TargetContext context) {}
        };
    RotationEngine mine = engineOn("node-test", editing);

    Rotation r =
        mine.runDue(mine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(secrets.describe(NAME).versions().version(1).orElseThrow().acceptUntil())
        .contains(T0.plus(Duration.ofHours(48)));
  }

  @Test
  void finishInTheTestsUnit_thatFails_leavesTheRotationInTestWithItsVersionPending() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    store
        .rotations()
        .beforeSave(r -> {
          if (r.state() == RotationState.FINISHED) {
            throw new IllegalStateException("crash");
          }
        });

    Rotation after =
        engine.runDue(
            engine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok").id());

    assertThat(after.state()).isEqualTo(RotationState.TEST);
    assertThat(after.attempt()).isEqualTo(1);
    assertThat(secrets.describe(NAME).versions().pending()).map(v -> v.number()).contains(2);
    assertThat(audit.records())
        .extracting(rec -> rec.event().action())
        .doesNotContain("rotation.finish", "version.stage");
  }

  @Test
  void stepLongerThanAClaim_keepsIt_soAnotherNodeDoesNotRunTheStepMeanwhile() throws Exception {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    java.util.concurrent.CountDownLatch inSet = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger sets =
        new java.util.concurrent.atomic.AtomicInteger();
    dev.keyturn.core.spi.Target slow =
        new dev.keyturn.core.spi.Target() {
          @Override
          public void set(dev.keyturn.core.spi.TargetContext context) {
            sets.incrementAndGet();
            inSet.countDown();
            try {
              release.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }

          @Override
          public void test(dev.keyturn.core.spi.TargetContext context) {}

          @Override
          public void rollback(dev.keyturn.core.spi.TargetContext context) {}
        };
    RotationEngine mine = engineOn("node-test", slow);
    RotationEngine other = engineOn("node-other", slow);
    Rotation started = mine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok");
    java.util.concurrent.atomic.AtomicReference<Rotation> finished =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread running = new Thread(() -> finished.set(mine.runDue(started.id())));
    running.start();
    assertThat(inSet.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    // Past half of the claim, the running node renews it; past the first claim's end, the other
    // node finds it held and leaves the step alone.
    clock.advance(Duration.ofMinutes(6));
    Instant renewed = clock.instant().plus(Duration.ofMinutes(10));
    Eventually.waitFor(
        Duration.ofSeconds(30),
        () ->
            store
                .rotations()
                .claimedUntil(started.id())
                .filter(until -> !until.isBefore(renewed))
                .isPresent());
    clock.advance(Duration.ofMinutes(6));
    Rotation elsewhere = other.step(started.id());
    release.countDown();
    running.join(60_000);

    assertThat(sets.get()).as("the step ran once, on the node that holds the claim").isEqualTo(1);
    assertThat(elsewhere.state()).isNotEqualTo(RotationState.FINISHED);
    assertThat(finished.get().state()).isEqualTo(RotationState.FINISHED);
    assertThat(store.rotations().claimedUntil(started.id())).as("given up at the end").isEmpty();
  }

  private RotationEngine engineOn(String node, dev.keyturn.core.spi.Target fake) {
    return new RotationEngine(
        secrets,
        store.rotations(),
        Map.of("fake", fake),
        Map.of(),
        audit,
        clock,
        random,
        node,
        ended::add);
  }

  @Test
  void rotation_createsPendingSetsTestsAndFinishesWithGrace() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));

    Rotation r = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok_ops").id());

    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(r.pendingVersion()).contains(2);
    assertThat(text(secrets.read(NAME, Selector.current(), false)))
        .matches("[0-9a-f]{64}")
        .isEqualTo(target.held().orElseThrow());
    assertThat(text(secrets.read(NAME, Selector.stage(Stage.PREVIOUS), false)))
        .isEqualTo("initial");
    assertThat(target.calls()).containsExactly("set#2", "test#2");
    assertThat(r.checklist())
        .extracting(Rotation.CheckResult::name)
        .containsExactly("set fake", "test fake");
    assertThat(store.rotations().rule(NAME).orElseThrow().nextDue())
        .contains(T0.plus(Duration.ofDays(90)));
    assertThat(ended).extracting(Rotation::state).containsExactly(RotationState.FINISHED);
    assertThat(audit.records())
        .extracting(rec -> rec.event().action())
        .contains(
            "rotation.start",
            "rotation.create",
            "rotation.set",
            "rotation.test",
            "rotation.finish");
  }

  @Test
  void rotation_everyVersionChange_isAuditedInItsOwnUnit() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));

    engine.runDue(engine.start(NAME, Optional.empty(), false, "tok_ops").id());

    assertThat(audit.records())
        .filteredOn(rec -> rec.event().action().startsWith("version."))
        .extracting(rec ->
            rec.event().tokenId()
                + " "
                + rec.event().action()
                + " #"
                + rec.event().version().orElseThrow()
                + " "
                + rec.event().detail())
        .containsExactly(
            "tok_ops version.create #2 pending",
            "tok_ops version.stage #1 current->previous",
            "tok_ops version.stage #2 pending->current");
  }

  @Test
  void create_crashBeforeTheRotationIsSaved_keepsNoPendingVersionAndNoRecordOfOne() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    Rotation started = engine.start(NAME, Optional.empty(), false, "tok_ops");
    store
        .rotations()
        .beforeSave(r -> {
          if (r.state() == RotationState.SET) {
            throw new IllegalStateException("crash");
          }
        });

    Rotation after = engine.step(started.id());

    assertThat(after.state()).isIn(RotationState.CREATE, RotationState.ROLLBACK);
    assertThat(secrets.describe(NAME).versions().versions())
        .as("the pending version went with the unit that would have recorded it")
        .hasSize(1);
    assertThat(audit.records())
        .extracting(rec -> rec.event().action())
        .doesNotContain("version.create", "rotation.create");
  }

  @Test
  void pendingVersion_isInTheKeyringBeforeTheTargetIsTouched() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ofMinutes(5)));
    Rotation started = engine.start(NAME, Optional.empty(), false, "tok");

    Rotation waiting = engine.runDue(started.id());

    assertThat(waiting.state()).isEqualTo(RotationState.SET);
    assertThat(waiting.nextAttemptAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    assertThat(secrets.keyring(NAME))
        .extracting(v -> v.version().stage())
        .containsExactly(Stage.PENDING, Stage.CURRENT);
    assertThat(target.calls()).isEmpty();
    assertThat(text(secrets.read(NAME, Selector.current(), false))).isEqualTo("initial");

    clock.advance(Duration.ofMinutes(5));
    assertThat(engine.runDue(started.id()).state()).isEqualTo(RotationState.FINISHED);
  }

  @Test
  void emergency_doesNotWaitForThePropagationDelay() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ofHours(1)));
    Rotation started = engine.start(NAME, Optional.empty(), true, "tok");

    Rotation done = engine.runDue(started.id());

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(secrets.keyring(NAME))
        .as("the leaked value is retired at once, not kept for the grace window")
        .extracting(v -> v.version().stage())
        .containsExactly(Stage.CURRENT);
    assertThat(text(secrets.read(NAME, Selector.current(), false))).isNotEqualTo("initial");
  }

  @Test
  void secondRotation_whileOneRuns_isRefusedWithItsId() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ofMinutes(5)));
    Rotation first = engine.start(NAME, Optional.empty(), false, "tok");

    assertThatThrownBy(() -> engine.start(NAME, Optional.empty(), false, "tok"))
        .isInstanceOf(KeyturnException.RotationInProgress.class)
        .satisfies(e ->
            assertThat(((KeyturnException.RotationInProgress) e).rotationId())
                .isEqualTo(first.id()));
  }

  @Test
  void failedRotationsOfADueRule_eachMoveItsStartOn_anHourDoublingToADay_untilOneFinishes() {
    RotationRule once =
        rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO).toBuilder()
            .attempts(1)
            .build();
    setUp(once);
    store.rotations().putRule(once, Optional.of(T0));
    target.failSet(7, false);
    List<Long> waits = new ArrayList<>();

    for (int i = 0; i < 7; i++) {
      Rotation failed =
          engine.runDue(
              engine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "s").id());
      assertThat(failed.state()).isEqualTo(RotationState.FAILED);
      RotationStore.RuleEntry entry = store.rotations().rule(NAME).orElseThrow();
      assertThat(entry.nextDue()).as("still due since T0: shown overdue").contains(T0);
      Instant start = entry.startAt().orElseThrow();
      waits.add(Duration.between(clock.instant(), start).toHours());
      clock.set(start);
    }
    Rotation finished =
        engine.runDue(engine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "s").id());

    assertThat(waits).containsExactly(1L, 2L, 4L, 8L, 16L, 24L, 24L);
    assertThat(finished.state()).isEqualTo(RotationState.FINISHED);
    assertThat(store.rotations().rule(NAME).orElseThrow().startAt())
        .contains(clock.instant().plus(Duration.ofDays(90)));
    assertThat(audit.records())
        .filteredOn(rec -> rec.event().action().equals("rotation.failed"))
        .extracting(rec -> rec.event().detail())
        .hasSize(7)
        .allMatch(detail -> detail.contains("the scheduler starts the next rotation at "));
  }

  @Test
  void failedRotation_startedByAPersonLongBeforeItsRuleIsDue_leavesTheScheduledStartAlone() {
    setUp(
        rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO).toBuilder()
            .attempts(1)
            .build());
    target.failSet(1, false);

    Rotation failed = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(failed.state()).isEqualTo(RotationState.FAILED);
    assertThat(store.rotations().rule(NAME).orElseThrow().startAt())
        .contains(T0.plus(Duration.ofDays(90)));
  }

  @Test
  void failingSet_isRetriedWithExponentialBackoff() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    target.failSet(2, false);
    String id = engine.start(NAME, Optional.empty(), false, "tok").id();

    Rotation afterFirst = engine.runDue(id);
    assertThat(afterFirst.state()).isEqualTo(RotationState.SET);
    assertThat(afterFirst.attempt()).isEqualTo(1);
    assertThat(afterFirst.nextAttemptAt()).isEqualTo(T0.plusSeconds(1));
    clock.advance(Duration.ofSeconds(1));
    Rotation afterSecond = engine.runDue(id);
    assertThat(afterSecond.nextAttemptAt()).isEqualTo(T0.plusSeconds(1 + 2));
    clock.advance(Duration.ofSeconds(2));

    Rotation done = engine.runDue(id);

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(secrets.describe(NAME).versions().versions()).hasSize(2);
  }

  @Test
  void rotationRowEditedToNameAnOlderVersion_failsLoudly_andTheTargetNeverSeesThatValue() {
    // Rotation rows are not MAC-protected; version rows are. Someone with write access to the
    // database points a rotation waiting to retry its set at version 1 (the current value): set
    // would push it to the target while Keyturn kept the new one.
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    target.failSet(1, false);
    String id = engine.start(NAME, Optional.empty(), false, "tok").id();
    assertThat(engine.runDue(id).state()).isEqualTo(RotationState.SET);
    Rotation waiting = store.rotations().rotation(id).orElseThrow();
    store.rotations().save(waiting.toBuilder().pendingVersion(Optional.of(1)).build());
    List<String> before = List.copyOf(target.calls());
    clock.advance(Duration.ofSeconds(1));

    Rotation r = engine.runDue(id);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains("names version 1")
        .contains("which is current")
        .contains("nothing is sent to the target");
    assertThat(target.calls()).isEqualTo(before);
    assertThat(secrets.describe(NAME).versions().current().orElseThrow().number()).isEqualTo(1);
    assertThat(secrets.describe(NAME).versions().pending().orElseThrow().number()).isEqualTo(2);
  }

  @Test
  void setRetry_testsFirstAndDoesNotSetTwice() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    target.failSet(1, true);
    String id = engine.start(NAME, Optional.empty(), false, "tok").id();
    engine.runDue(id);
    clock.advance(Duration.ofSeconds(1));

    Rotation done = engine.runDue(id);

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(target.calls()).containsExactly("set#2", "test#2", "test#2");
    assertThat(done.checklist().get(1).message()).isEqualTo("already set");
  }

  @Test
  void setThatKeepsFailing_rollsBackRetiresPendingAndKeepsCurrent() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    target.failSet(100, false);
    String id = engine.start(NAME, Optional.empty(), false, "tok").id();

    Rotation r = runUntilFinal(id);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("set failed: fake set refused");
    assertThat(target.held()).contains("initial");
    assertThat(text(secrets.read(NAME, Selector.current(), false))).isEqualTo("initial");
    assertThat(secrets.describe(NAME).versions().version(2).orElseThrow().stage())
        .isEqualTo(Stage.RETIRED);
    assertThat(target.calls().stream().filter(c -> c.startsWith("set"))).hasSize(5);
    assertThat(ended).extracting(Rotation::state).containsExactly(RotationState.FAILED);
  }

  @Test
  void testThatKeepsFailing_rollsBack() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    target.failTest(100);

    Rotation r = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("test failed");
    assertThat(target.held()).contains("initial");
    assertThat(secrets.describe(NAME).versions().current().orElseThrow().number()).isEqualTo(1);
  }

  @Test
  void rollbackThatKeepsFailing_endsFailedSayingSo() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    target.failTest(100).failRollback(100);

    Rotation r = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("rollback failed too");
  }

  @Test
  void createAfterACrash_adoptsItsPendingVersionInsteadOfMakingAnother() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    Rotation started = engine.start(NAME, Optional.empty(), false, "tok");
    // The crash: the value was stored as pending, the step was not recorded.
    secrets.inTransaction(w ->
        secrets.put(
            w,
            NAME,
            Plaintext.ofUtf8("stored-before-crash"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.PENDING,
            started.creatorTag()));

    Rotation r = engine.runDue(started.id());

    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(r.pendingVersion()).contains(2);
    assertThat(secrets.describe(NAME).versions().versions()).hasSize(2);
    assertThat(text(secrets.read(NAME, Selector.current(), false)))
        .isEqualTo("stored-before-crash");
  }

  @Test
  void someoneElsesPendingVersion_failsTheRotationAndIsLeftAlone() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    secrets.inTransaction(w ->
        secrets.put(
            w,
            NAME,
            Plaintext.ofUtf8("theirs"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.PENDING,
            "tok_other"));

    Rotation r = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("was not made by a failed rotation");
    assertThat(secrets.describe(NAME).versions().pending().orElseThrow().number()).isEqualTo(2);
  }

  @Test
  void manualStrategy_needsTheValueAndStoresItAtOnce() {
    setUp(rule(Strategy.MANUAL, "manual", Duration.ofHours(1), Duration.ZERO));

    assertThatThrownBy(() -> engine.start(NAME, Optional.empty(), false, "tok"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    Rotation started =
        engine.start(NAME, Optional.of(Plaintext.ofUtf8("from-the-provider")), false, "tok");

    assertThat(started.state()).isEqualTo(RotationState.SET);
    assertThat(engine.runDue(started.id()).state()).isEqualTo(RotationState.FINISHED);
    assertThat(text(secrets.read(NAME, Selector.current(), false))).isEqualTo("from-the-provider");
  }

  @Test
  void emergency_retiresTheOldValueAtOnce() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));

    engine.runDue(engine.start(NAME, Optional.empty(), true, "tok").id());

    assertThat(secrets.keyring(NAME)).hasSize(1);
    assertThat(secrets.describe(NAME).versions().version(1).orElseThrow().stage())
        .isEqualTo(Stage.RETIRED);
  }

  @Test
  void singleUser_retiresTheOldValueAtFinish() {
    setUp(rule(Strategy.SINGLE_USER, "password:24", Duration.ofHours(24), Duration.ZERO));

    engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(secrets.describe(NAME).versions().version(1).orElseThrow().stage())
        .isEqualTo(Stage.RETIRED);
  }

  @Test
  void cancel_beforeFinish_rollsBack() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ofHours(1)));
    Rotation started = engine.start(NAME, Optional.empty(), false, "tok");
    engine.runDue(started.id());

    engine.cancel(started.id(), "tok_ops");
    Rotation r = engine.runDue(started.id());

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).isEqualTo("cancelled by tok_ops");
    assertThat(secrets.describe(NAME).versions().pending()).isEmpty();
    assertThatThrownBy(() -> engine.cancel(started.id(), "tok"))
        .isInstanceOf(KeyturnException.Conflict.class);
  }

  @Test
  void cancelOnAnotherNode_whileTheTestRuns_isRefusedInsteadOfLostUnderTheFinish() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    RotationEngine other = engineOn("node-other", target);
    String[] id = new String[1];
    List<RuntimeException> refused = new ArrayList<>();
    dev.keyturn.core.spi.Target cancelledDuringTest =
        new dev.keyturn.core.spi.Target() {
          @Override
          public void set(dev.keyturn.core.spi.TargetContext context) {}

          @Override
          public void test(dev.keyturn.core.spi.TargetContext context) {
            try {
              other.cancel(id[0], "tok_ops");
            } catch (KeyturnException.Conflict e) {
              refused.add(e);
            }
          }

          @Override
          public void rollback(dev.keyturn.core.spi.TargetContext context) {}
        };
    RotationEngine mine = engineOn("node-test", cancelledDuringTest);
    id[0] = mine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok").id();

    Rotation r = mine.runDue(id[0]);

    assertThat(refused)
        .as("the cancel was answered as refused, since the finish was to follow")
        .hasSize(1);
    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(audit.records())
        .extracting(rec -> rec.event().action())
        .doesNotContain("rotation.cancel");
  }

  @Test
  void cancelOnAnotherNode_betweenSteps_rollsBackAndLeavesNoClaim() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ofHours(1)));
    RotationEngine other = engineOn("node-other", target);
    Rotation started = engine.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok");
    engine.runDue(started.id());

    other.cancel(started.id(), "tok_ops");
    Rotation r = engine.runDue(started.id());

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason()).contains("cancelled by tok_ops");
    assertThat(secrets.describe(NAME).versions().pending()).isEmpty();
    assertThat(store.rotations().claim(started.id(), "node-third", T0, T0.plusSeconds(60)))
        .isTrue();
  }

  @Test
  void stepAfterRuleRemoval_fails() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    Rotation started = engine.start(NAME, Optional.empty(), false, "tok");
    store.rotations().deleteRule(NAME);

    assertThat(engine.step(started.id()).state()).isEqualTo(RotationState.FAILED);
  }

  @Test
  void noRule_isNotFound() {
    secrets.inTransaction(w ->
        secrets.put(
            w, NAME, Plaintext.ofUtf8("v"), ValueType.STRING, Duration.ZERO, Stage.CURRENT, "tok"));

    assertThatThrownBy(() -> engine.start(NAME, Optional.empty(), false, "tok"))
        .isInstanceOf(KeyturnException.NotFound.class)
        .hasMessageContaining("keyturn rotation set");
  }

  private RotationRule withHooks(RotationRule r, HookSpec... hooks) {
    return new RotationRule(
        r.secret(),
        r.generator(),
        r.schedule(),
        r.grace(),
        r.strategy(),
        r.propagation(),
        r.targetType(),
        r.target(),
        r.owner(),
        r.purpose(),
        r.impact(),
        r.attempts(),
        r.backoff(),
        List.of(hooks),
        Optional.empty(),
        false,
        false);
  }

  private static HookSpec hookSpec(HookSpec.Phase phase, boolean check, String name, boolean fail) {
    return new HookSpec(phase, "rec", check, Map.of("name", name, "fail", Boolean.toString(fail)));
  }

  @Test
  void hooks_runInTheirPhasesAndFailingHooksAreOnlyRecorded() {
    setUp(
        withHooks(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            hookSpec(HookSpec.Phase.AFTER_SET, false, "reload", false),
            hookSpec(HookSpec.Phase.AFTER_SET, false, "flaky", true),
            hookSpec(HookSpec.Phase.AFTER_SET, true, "health", false),
            hookSpec(HookSpec.Phase.AFTER_FINISH, false, "invalidate", false),
            hookSpec(HookSpec.Phase.ON_FAILURE, false, "page", false)));

    Rotation r = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(hook.runs())
        .containsExactly(
            "after-set:reload", "after-set:flaky", "after-set:health", "after-finish:invalidate");
    assertThat(r.checklist())
        .extracting(c -> c.name() + "=" + c.ok())
        .containsExactly(
            "set fake=true",
            "after-set hook rec=true",
            "after-set hook rec=false",
            "after-set check rec=true",
            "test fake=true",
            "after-finish hook rec=true");
  }

  @Test
  void failingCheckAfterSet_failsTheStepAndLeadsToRollbackAndOnFailureHooks() {
    setUp(
        withHooks(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            hookSpec(HookSpec.Phase.AFTER_SET, true, "health", true),
            hookSpec(HookSpec.Phase.ON_FAILURE, false, "page", false)));

    Rotation r = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("after-set check rec failed");
    assertThat(target.held()).contains("initial");
    assertThat(hook.runs()).endsWith("on-failure:page");
    assertThat(hook.runs().stream().filter(x -> x.equals("after-set:health"))).hasSize(5);
  }

  @Test
  void failingCheckAfterFinish_endsFailedWithTheNewValueCurrent() {
    setUp(
        withHooks(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            hookSpec(HookSpec.Phase.AFTER_FINISH, true, "smoke", true)));

    Rotation r = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("version 2 is current");
    assertThat(secrets.describe(NAME).versions().current().orElseThrow().number()).isEqualTo(2);
  }

  @Test
  void failedRollbackLeftover_isRetiredByTheNextRotationAfterTheTargetSaysItIsUnused() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    target.failTest(5).failRollback(5);
    Rotation first = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());
    assertThat(first.state()).isEqualTo(RotationState.FAILED);
    assertThat(secrets.describe(NAME).versions().pending()).isPresent();
    // An operator put the current value back on the target by hand; the leftover is unused.
    target.failRollback(0);
    target.rollback(
        new dev.keyturn.core.spi.TargetContext(
            store.rotations().rule(NAME).orElseThrow().rule(),
            first,
            secrets.read(NAME, Selector.version(2), true),
            Optional.of(secrets.read(NAME, Selector.current(), true)),
            n -> {
              throw new AssertionError();
            },
            pid -> {}));

    Rotation second = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(second.state()).as(second.reason().orElse("")).isEqualTo(RotationState.FINISHED);
    assertThat(second.pendingVersion()).contains(3);
    assertThat(second.checklist().get(0).name()).isEqualTo("retire leftover #2");
    assertThat(secrets.describe(NAME).versions().version(2).orElseThrow().stage())
        .isEqualTo(Stage.RETIRED);
    assertThat(audit.records())
        .anySatisfy(rec -> {
          assertThat(rec.event().action()).isEqualTo("rotation.retire-leftover");
          assertThat(rec.event().version()).contains(2);
          assertThat(rec.event().detail()).contains(first.id());
        });
  }

  @Test
  void failedRollbackLeftover_thatTheTargetStillUses_isLeftForAPerson() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));
    // set applies, every test fails, rollback fails: the target keeps the leftover value.
    target.failTest(5).failRollback(5);
    Rotation first = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());
    assertThat(first.state()).isEqualTo(RotationState.FAILED);

    Rotation second = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(second.state()).isEqualTo(RotationState.FAILED);
    assertThat(second.reason().orElseThrow()).contains("the target accepts it");
    assertThat(secrets.describe(NAME).versions().pending().orElseThrow().number()).isEqualTo(2);
  }

  @Test
  void suppliedValue_underARuleThatGeneratesValues_isRefusedBeforeAnythingIsStored() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));

    assertThatThrownBy(
            () -> engine.start(NAME, Optional.of(Plaintext.ofUtf8("attacker-chosen")), true, "tok"))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("only under a manual rule")
        .hasMessageNotContaining("attacker-chosen");

    assertThat(secrets.describe(NAME).versions().versions()).hasSize(1);
    assertThat(store.rotations().active(NAME)).isEmpty();
  }

  @Test
  void failingCheckAfterSet_isItsOwnChecklistLineNotAFailedSet() {
    setUp(
        withHooks(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            hookSpec(HookSpec.Phase.AFTER_SET, true, "health", true)));

    Rotation r = runUntilFinal(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(r.checklist())
        .extracting(c -> c.name() + "=" + c.ok())
        .startsWith("set fake=true", "after-set check rec=false")
        .doesNotContain("set fake=false");
    assertThat(r.reason().orElseThrow()).startsWith("after-set check rec failed");
  }

  @Test
  void emergencyReason_isKeptInTheRotationAndTheAuditRecordQuoted() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));

    Rotation r =
        engine.start(
            NAME, Optional.empty(), true, Optional.of("leaked in \"ticket\" #42; rm -rf"), "tok");

    assertThat(store.rotations().rotation(r.id()).orElseThrow().note())
        .contains("leaked in \"ticket\" #42; rm -rf");
    assertThat(audit.records())
        .anySatisfy(rec ->
            assertThat(rec.event().detail())
                .isEqualTo(r.id() + " emergency reason=\"leaked in \\\"ticket\\\" #42; rm -rf\""));
  }

  @Test
  void emergencyReason_withControlCharactersOrTooLong_isRefusedBeforeAnythingStarts() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(24), Duration.ZERO));

    for (String bad :
        List.of("a\r\nforged: audit line", "a\u0000b", "\u202egnp.exe", "x".repeat(501), " ")) {
      assertThatThrownBy(() -> engine.start(NAME, Optional.empty(), true, Optional.of(bad), "tok"))
          .isInstanceOf(KeyturnException.InvalidInput.class);
    }
    assertThat(store.rotations().active(NAME)).isEmpty();
  }

  @Test
  void rotationStartedWithOtherCommandDeclarations_isNotRunByThisNode() {
    dev.keyturn.core.HostPolicy mine =
        new dev.keyturn.core.HostPolicy(
            List.of(
                new dev.keyturn.core.CommandSpec(
                    "reload",
                    List.of("true"),
                    Optional.empty(),
                    Optional.empty(),
                    Duration.ofSeconds(5),
                    Map.of())),
            List.of(),
            dev.keyturn.core.Outbound.publicOnly());
    dev.keyturn.core.HostPolicy theirs =
        new dev.keyturn.core.HostPolicy(
            List.of(
                new dev.keyturn.core.CommandSpec(
                    "reload",
                    List.of("sh", "-c", "something else"),
                    Optional.empty(),
                    Optional.empty(),
                    Duration.ofSeconds(5),
                    Map.of())),
            List.of(),
            dev.keyturn.core.Outbound.publicOnly());
    RotationEngine other =
        new RotationEngine(
            secrets,
            store.rotations(),
            Map.of("fake", target),
            Map.of("command", hook),
            audit,
            clock,
            random,
            "node-other",
            ended::add,
            theirs);
    RotationEngine here =
        new RotationEngine(
            secrets,
            store.rotations(),
            Map.of("fake", target),
            Map.of("command", hook),
            audit,
            clock,
            random,
            "node-here",
            ended::add,
            mine);
    setUp(
        withHooks(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            new HookSpec(HookSpec.Phase.AFTER_SET, "command", false, Map.of("command", "reload"))));
    Rotation started = other.start(NAME, Optional.empty(), false, "tok");

    Rotation afterHere = here.runDue(started.id());

    assertThat(afterHere.state()).isEqualTo(RotationState.CREATE);
    assertThat(target.calls()).isEmpty();
    assertThat(other.runDue(started.id()).state()).isEqualTo(RotationState.FINISHED);
  }

  @Test
  void rotationWhoseCommandsNoLiveNodeDeclares_saysSoNamingTheDigest_andIsAuditedOnce() {
    dev.keyturn.core.HostPolicy mine =
        new dev.keyturn.core.HostPolicy(
            List.of(
                new dev.keyturn.core.CommandSpec(
                    "reload",
                    List.of("true"),
                    Optional.empty(),
                    Optional.empty(),
                    Duration.ofSeconds(5),
                    Map.of())),
            List.of(),
            dev.keyturn.core.Outbound.publicOnly());
    dev.keyturn.core.HostPolicy theirs =
        new dev.keyturn.core.HostPolicy(
            List.of(
                new dev.keyturn.core.CommandSpec(
                    "reload",
                    List.of("sh", "-c", "something else"),
                    Optional.empty(),
                    Optional.empty(),
                    Duration.ofSeconds(5),
                    Map.of())),
            List.of(),
            dev.keyturn.core.Outbound.publicOnly());
    RotationEngine other =
        new RotationEngine(
            secrets,
            store.rotations(),
            Map.of("fake", target),
            Map.of("command", hook),
            audit,
            clock,
            random,
            "node-other",
            ended::add,
            theirs);
    RotationEngine here =
        new RotationEngine(
            secrets,
            store.rotations(),
            Map.of("fake", target),
            Map.of("command", hook),
            audit,
            clock,
            random,
            "node-here",
            ended::add,
            mine);
    setUp(
        withHooks(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            new HookSpec(HookSpec.Phase.AFTER_SET, "command", false, Map.of("command", "reload"))));
    dev.keyturn.core.NodeHeartbeat otherBeat =
        new dev.keyturn.core.NodeHeartbeat(store.rotations(), "node-other", theirs, clock);
    otherBeat.beat();
    Rotation started = other.start(NAME, Optional.empty(), false, "tok");
    clock.advance(dev.keyturn.core.NodeRecord.LIVE.plusSeconds(1)); // the other node is gone
    new dev.keyturn.core.NodeHeartbeat(store.rotations(), "node-here", mine, clock).beat();

    Rotation once = here.runDue(started.id());
    Rotation twice = here.runDue(started.id());

    assertThat(twice.state()).isEqualTo(RotationState.CREATE);
    assertThat(target.calls()).isEmpty();
    assertThat(store.rotations().rotation(started.id()).orElseThrow().reason().orElseThrow())
        .isEqualTo(once.reason().orElseThrow())
        .startsWith("waits for a node whose commands match")
        .contains(started.commands())
        .doesNotContain("something else", "true");
    assertThat(audit.records())
        .filteredOn(rec -> rec.event().action().equals("rotation.waiting"))
        .hasSize(1);
    assertThat(
            new dev.keyturn.core.StatusBoard(store.rotations(), secrets, clock)
                .rows("", n -> true)
                .get(0)
                .state())
        .isEqualTo(dev.keyturn.core.StatusBoard.State.WAITING);

    // The node whose commands match comes back: it runs the rotation, and the reason goes.
    otherBeat.beat();
    Rotation finished = other.runDue(started.id());

    assertThat(finished.state()).isEqualTo(RotationState.FINISHED);
    assertThat(finished.reason()).isEmpty();
  }

  @Test
  void step_whenTheRuleFailsItsIntegrityCheck_endsFailedSayingSoWithoutRollbackOrHooks() {
    setUp(
        withHooks(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            hookSpec(HookSpec.Phase.ON_FAILURE, false, "page", false)));
    target.failSet(1, false);
    String id = engine.start(NAME, Optional.empty(), false, "tok").id();
    assertThat(engine.runDue(id).state()).isEqualTo(RotationState.SET);
    List<String> before = List.copyOf(target.calls());
    store.rotations().beforeRuleRead(RotationEngineTest::ruleRowEdited);
    clock.advance(Duration.ofSeconds(1));

    Rotation r = engine.runDue(id);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains("failed its integrity check")
        .contains("rule of " + NAME.value() + ": the row's MAC does not match");
    assertThat(target.calls()).as("no set, test or rollback on the edited rule").isEqualTo(before);
    assertThat(hook.runs()).as("no on-failure hook of the edited rule").isEmpty();
    assertThat(secrets.describe(NAME).versions().current().orElseThrow().number()).isEqualTo(1);
    assertThat(secrets.describe(NAME).versions().pending().orElseThrow().number()).isEqualTo(2);
    assertThat(ended).extracting(Rotation::state).containsExactly(RotationState.FAILED);
    assertThat(audit.records())
        .filteredOn(rec -> rec.event().action().equals("rotation.failed"))
        .singleElement()
        .satisfies(rec -> {
          assertThat(rec.event().result()).isEqualTo("failed");
          assertThat(rec.event().detail()).contains("rule of " + NAME.value());
        });
    assertThat(store.rotations().active(NAME)).isEmpty();
    assertThat(store.rotations().claimedUntil(id)).isEmpty();
    assertThat(engine.runDue(id)).as("ended, not tried again").isEqualTo(r);
  }

  @Test
  void step_whenTheRuleCannotBeReadForNow_leavesTheRotationForALaterTry() {
    setUp(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO));
    String id = engine.start(NAME, Optional.empty(), false, "tok").id();
    store
        .rotations()
        .beforeRuleRead(s -> {
          throw new KeyturnException.Unavailable("the store failed: connection refused", null);
        });

    assertThatThrownBy(() -> engine.step(id)).isInstanceOf(KeyturnException.Unavailable.class);

    assertThat(store.rotations().rotation(id).orElseThrow().state())
        .isEqualTo(RotationState.CREATE);
    assertThat(store.rotations().claimedUntil(id)).isEmpty();
    assertThat(ended).isEmpty();
    store.rotations().beforeRuleRead(s -> {});
    assertThat(engine.runDue(id).state()).isEqualTo(RotationState.FINISHED);
  }

  @Test
  void step_ofARotationWithCommands_whenTheRuleFailsItsIntegrityCheck_endsFailedOnAnyNode() {
    RotationEngine theirs = engineWith("node-other", policy("sh", "-c", "something else"));
    RotationEngine here = engineWith("node-here", policy("true"));
    setUp(
        withHooks(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO), reload()));
    String id = theirs.start(NAME, Optional.empty(), false, "tok").id();
    store.rotations().beforeRuleRead(RotationEngineTest::ruleRowEdited);

    Rotation r = here.runDue(id);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("rule of " + NAME.value());
    assertThat(target.calls()).isEmpty();
    assertThat(hook.runs()).isEmpty();
  }

  @Test
  void step_ofARotationWaitingForItsCommands_whenTheRuleFailsItsCheckWhileNoted_endsFailed() {
    RotationEngine theirs = engineWith("node-other", policy("sh", "-c", "something else"));
    RotationEngine here = engineWith("node-here", policy("true"));
    setUp(
        withHooks(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO), reload()));
    String id = theirs.start(NAME, Optional.empty(), false, "tok").id();
    // The first read (is it this node's to run?) passes; the rule is edited before the next.
    java.util.concurrent.atomic.AtomicInteger reads =
        new java.util.concurrent.atomic.AtomicInteger();
    store
        .rotations()
        .beforeRuleRead(s -> {
          if (reads.incrementAndGet() > 1) {
            ruleRowEdited(s);
          }
        });

    Rotation r = here.runDue(id);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(target.calls()).isEmpty();
    assertThat(hook.runs()).isEmpty();
  }

  @Test
  void startToRun_whoseRuleNowNamesOtherCommands_givesUpTheStartsClaim() {
    RotationEngine here = engineWith("node-here", policy("true"));
    RotationRule withReload =
        withHooks(rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO), reload());
    setUp(withReload);
    String id = here.startToRun(NAME, Optional.empty(), false, Optional.empty(), "tok").id();
    store
        .rotations()
        .putRule(
            rule(Strategy.OVERLAP, "hex:32", Duration.ofHours(1), Duration.ZERO),
            Optional.of(T0.plus(Duration.ofDays(90))));

    Rotation waiting = here.step(id);

    assertThat(waiting.state()).isEqualTo(RotationState.SET);
    assertThat(store.rotations().claimedUntil(id))
        .as("a node that leaves the rotation alone holds no claim on it")
        .isEmpty();

    // Another node takes it; this node, once the rule names its commands again, waits for that
    // node's claim instead of stepping on the claim it took at the start.
    assertThat(store.rotations().claim(id, "node-other", T0, T0.plus(Duration.ofMinutes(10))))
        .isTrue();
    store.rotations().putRule(withReload, Optional.of(T0.plus(Duration.ofDays(90))));

    Rotation after = here.step(id);

    assertThat(after.state()).isEqualTo(RotationState.SET);
    assertThat(target.calls()).isEmpty();
  }

  private static void ruleRowEdited(SecretName secret) {
    throw new KeyturnException.IntegrityFailure(
        "rule of " + secret.value(),
        "the row's MAC does not match (it was changed outside Keyturn)");
  }

  private static HookSpec reload() {
    return new HookSpec(HookSpec.Phase.AFTER_SET, "command", false, Map.of("command", "reload"));
  }

  /** A node's configuration declaring one command, {@code reload}, as {@code argv}. */
  private static dev.keyturn.core.HostPolicy policy(String... argv) {
    return new dev.keyturn.core.HostPolicy(
        List.of(
            new dev.keyturn.core.CommandSpec(
                "reload",
                List.of(argv),
                Optional.empty(),
                Optional.empty(),
                Duration.ofSeconds(5),
                Map.of())),
        List.of(),
        dev.keyturn.core.Outbound.publicOnly());
  }

  private RotationEngine engineWith(String node, dev.keyturn.core.HostPolicy host) {
    return new RotationEngine(
        secrets,
        store.rotations(),
        Map.of("fake", target),
        Map.of("command", hook),
        audit,
        clock,
        random,
        node,
        ended::add,
        host);
  }

  private Rotation runUntilFinal(String id) {
    Rotation r = engine.runDue(id);
    for (int i = 0; i < 50 && !r.state().isFinal(); i++) {
      clock.set(r.nextAttemptAt());
      r = engine.runDue(id);
    }
    return r;
  }

  private static String text(SecretValue value) {
    return new String(value.plaintext().reveal(), StandardCharsets.UTF_8);
  }
}
