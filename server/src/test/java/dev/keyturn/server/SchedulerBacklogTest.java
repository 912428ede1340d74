package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Generator;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.NodeHeartbeat;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.targets.NoneTarget;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler with more due work than one pass takes, over the real SQLite store: a backlog
 * drains pass after pass without waiting for the interval between them, while a full batch of work
 * it cannot do (manual rules, revocations that keep failing) still waits for the interval instead
 * of spinning, and a rule whose rotation failed is started again only after the engine's back-off.
 * Overdue secrets are all announced, however many nobody rotates.
 */
class SchedulerBacklogTest {
  private static final Instant T0 = Instant.parse("2026-03-20T12:00:00Z");

  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(T0);
  private final SecureRandom random = new SecureRandom();
  private final AtomicInteger revokes = new AtomicInteger();
  private final AtomicInteger sets = new AtomicInteger();
  private final java.util.concurrent.CountDownLatch entered =
      new java.util.concurrent.CountDownLatch(1);
  private final java.util.concurrent.CountDownLatch release =
      new java.util.concurrent.CountDownLatch(1);
  private RootKey root;
  private JdbcStore store;
  private AuditLog audit;
  private SecretService secrets;
  private RotationEngine engine;
  private Scheduler scheduler;

  @BeforeEach
  void open() {
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), clock);
    root = RootKey.generate(random);
    audit = store.openAuditLog(new AuditChain(root));
    secrets = new SecretService(store, new Envelope(root, random), clock);
    Target refusing =
        new Target() {
          @Override
          public void set(TargetContext context) {}

          @Override
          public void test(TargetContext context) {}

          @Override
          public void rollback(TargetContext context) {}

          @Override
          public void revoke(RevokeContext context) {
            revokes.incrementAndGet();
            throw new IllegalStateException("the target refuses to drop the old value");
          }
        };
    // A target that refuses its admin login: trying again cannot help, so a rotation fails at once.
    Target locked =
        new Target() {
          @Override
          public void set(TargetContext context) {
            sets.incrementAndGet();
            throw new KeyturnException.TargetFailure("login refused", false);
          }

          @Override
          public void test(TargetContext context) {}

          @Override
          public void rollback(TargetContext context) {}
        };
    // A target whose set waits until the test lets it go.
    Target slow =
        new Target() {
          @Override
          public void set(TargetContext context) {
            sets.incrementAndGet();
            entered.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }

          @Override
          public void test(TargetContext context) {}

          @Override
          public void rollback(TargetContext context) {}
        };
    engine =
        new RotationEngine(
            secrets,
            store.rotations(),
            Map.of("none", new NoneTarget(), "refusing", refusing, "locked", locked, "slow", slow),
            Map.of(),
            audit,
            clock,
            random,
            "node-test",
            r -> {});
    // An hour between passes: a test that needs the next pass at once fails on waiting for it.
    scheduler = scheduler(8, Scheduler.PASS_WAIT);
  }

  /** A scheduler over this test's store and engine, an hour between its passes. */
  private Scheduler scheduler(int workers, Duration passWait) {
    return scheduler(
        workers, passWait, new Notifier(Optional.empty(), Optional.empty(), secrets, audit, clock));
  }

  /** As {@link #scheduler(int, Duration)}, announcing through {@code notifier}. */
  private Scheduler scheduler(int workers, Duration passWait, Notifier notifier) {
    return new Scheduler(
        engine,
        store.rotations(),
        store,
        audit,
        notifier,
        new NodeHeartbeat(store.rotations(), "node-test", HostPolicy.none(), clock),
        clock,
        Duration.ofHours(1),
        workers,
        passWait);
  }

  @AfterEach
  void close() {
    scheduler.close();
    audit.close();
    store.close();
  }

  @Test
  void run_moreDueRulesThanOneBatch_allRotateWithoutWaitingForTheInterval() throws Exception {
    List<SecretName> names = dueSecrets("app/backlog/KEY_", Scheduler.BATCH * 2 + 50, rule -> rule);

    scheduler.start();

    Eventually.waitFor(
        Duration.ofMinutes(2), () -> names.stream().allMatch(name -> currentNumber(name) == 2));
    for (SecretName name : names) {
      assertThat(store.rotations().rule(name).orElseThrow().startAt())
          .as(name + " is next due in 90 days, not again now")
          .contains(T0.plus(Duration.ofDays(90)));
    }
  }

  @Test
  void tick_fullBatchOfManualRules_asksForNoPassAtOnce() {
    List<SecretName> manual =
        dueSecrets(
            "app/manual/KEY_",
            Scheduler.BATCH,
            rule -> rule.generator(Generator.parse("manual")).strategy(Strategy.MANUAL));

    boolean more = scheduler.tick();

    assertThat(more)
        .as("the same manual rules come back: nothing to do until a person acts")
        .isFalse();
    assertThat(manual).allMatch(name -> currentNumber(name) == 1);
  }

  @Test
  void tick_moreManualRulesThanABatchDueFirst_automaticRulesBehindThemStillStart() {
    List<SecretName> manual =
        dueSecrets(
            "app/manual/KEY_",
            Scheduler.BATCH + 50,
            rule -> rule.generator(Generator.parse("manual")).strategy(Strategy.MANUAL));
    clock.set(T0.plusSeconds(1));
    List<SecretName> automatic = dueSecrets("app/auto/KEY_", 10, rule -> rule);
    clock.set(T0.plusSeconds(2));

    boolean more = scheduler.tick();

    assertThat(automatic).allMatch(name -> currentNumber(name) == 2);
    assertThat(manual).allMatch(name -> currentNumber(name) == 1);
    assertThat(more).isFalse();
  }

  @Test
  void tick_fullBatchOfStartedRotations_asksForThePassAfterAtOnce() {
    List<SecretName> names = dueSecrets("app/auto/KEY_", Scheduler.BATCH + 1, rule -> rule);

    boolean more = scheduler.tick();

    assertThat(more).isTrue();
    assertThat(names.stream().filter(name -> currentNumber(name) == 2)).hasSize(Scheduler.BATCH);
  }

  @Test
  void tick_fullBatchOfRevocationsThatFail_asksForNoPassAtOnceAndRetriesLater() {
    List<SecretName> names = new ArrayList<>();
    for (int i = 0; i < Scheduler.BATCH; i++) {
      SecretName name = SecretName.of("app/revoke/KEY_" + i);
      names.add(name);
      put(name, "old", Duration.ofHours(1));
      put(name, "new", Duration.ofHours(1));
      store
          .rotations()
          .putRule(RotationRule.builder(name).targetType("refusing").build(), Optional.empty());
    }
    clock.set(T0.plus(Duration.ofHours(2)));

    boolean first = scheduler.tick();
    int tried = revokes.get();
    boolean second = scheduler.tick();

    assertThat(first).as("nothing could be retired").isFalse();
    assertThat(second).isFalse();
    assertThat(tried).isEqualTo(Scheduler.BATCH);
    assertThat(revokes.get()).as("no revocation again before its retry time").isEqualTo(tried);
    assertThat(store.secrets().withExpiredPrevious(clock.instant(), Scheduler.BATCH * 2))
        .as("still previous in the store: retired only once the target drops them")
        .containsExactlyInAnyOrderElementsOf(names);
  }

  @Test
  void tick_fullBatchOfDueRulesOfDeletedSecrets_waitAnHourAndAskForNoPassAtOnce() throws Exception {
    // Deleted secrets keep their rules, which wait for a value: every start fails (no current
    // version).
    List<SecretName> deleted = dueSecrets("app/deleted/KEY_", Scheduler.BATCH, rule -> rule);
    for (SecretName name : deleted) {
      secrets.inTransaction(work -> secrets.delete(work, name, false, "t"));
    }

    boolean first = scheduler.tick();
    boolean second = scheduler.tick();

    assertThat(first).as("no start succeeded: the next pass waits for the interval").isFalse();
    assertThat(second).isFalse();
    // Each pass waits for its starts 10 s at most: on a loaded machine some may end after it.
    Eventually.waitFor(
        Duration.ofSeconds(60), () -> store.rotations().dueRules(clock.instant(), 1).isEmpty());
    assertThat(store.rotations().dueRules(clock.instant().plus(Scheduler.DORMANT_CHECK), 1000))
        .as("looked at again in an hour, not at every pass")
        .hasSize(Scheduler.BATCH);
    assertThat(deleted)
        .as("nothing was started")
        .allMatch(name -> store.rotations().active(name).isEmpty());
  }

  @Test
  void tick_fullBatchOfRotationsThatFailAtOnce_asksForNoPassAtOnce() {
    dueSecrets("app/locked/KEY_", Scheduler.BATCH, rule -> rule.targetType("locked"));

    boolean more = scheduler.tick();

    assertThat(sets.get()).as("every rotation started and failed").isEqualTo(Scheduler.BATCH);
    assertThat(store.rotations().overdueRules(clock.instant(), Scheduler.BATCH))
        .as("a failed rotation leaves its rule overdue")
        .hasSize(Scheduler.BATCH);
    assertThat(store.rotations().dueRules(clock.instant(), 1))
        .as("but not started again before the back-off after a failure")
        .isEmpty();
    assertThat(more).as("nothing more to start: the next pass waits for the interval").isFalse();
  }

  @Test
  void tick_ruleWhoseRotationFailedAtOnce_isNotStartedAgainAtTheNextPasses() {
    List<SecretName> names = dueSecrets("app/locked/KEY_", 1, rule -> rule.targetType("locked"));
    scheduler.tick();
    int first = sets.get();

    for (int second = 1; second <= 5; second++) {
      clock.set(T0.plusSeconds(second));
      scheduler.tick();
    }

    assertThat(first).isEqualTo(1);
    assertThat(sets.get())
        .as("a refused login is not tried again a second later (the target may lock the account)")
        .isEqualTo(1);
    assertThat(store.rotations().rule(names.get(0)).orElseThrow().nextDue()).contains(T0);
  }

  @Test
  void tick_anHourAfterARotationFailed_startsItsRuleAgain() {
    dueSecrets("app/locked/KEY_", 1, rule -> rule.targetType("locked"));
    scheduler.tick();
    clock.set(T0.plus(Duration.ofHours(1)));

    scheduler.tick();

    assertThat(sets.get()).isEqualTo(2);
  }

  @Test
  void tick_aRotationWhoseStepTakesLong_goesOnBesideTheNextPassesWhichStartOthers()
      throws Exception {
    Scheduler shortWait = scheduler(8, Duration.ofMillis(200));
    try {
      SecretName slow = dueSecrets("app/slow/KEY_", 1, rule -> rule.targetType("slow")).get(0);
      shortWait.tick();
      entered.await();
      clock.set(T0.plusSeconds(1));
      List<SecretName> others = dueSecrets("app/other/KEY_", 3, rule -> rule);

      shortWait.tick();
      shortWait.tick();

      // Started by those two passes; on a loaded machine they may end after the passes' waits.
      Eventually.waitFor(
          Duration.ofSeconds(30), () -> others.stream().allMatch(name -> currentNumber(name) == 2));
      assertThat(sets.get()).as("the slow rotation was handed out once").isEqualTo(1);
      assertThat(currentNumber(slow)).as("still in its set step").isEqualTo(1);
      release.countDown();
      Eventually.waitFor(Duration.ofSeconds(30), () -> currentNumber(slow) == 2);
    } finally {
      release.countDown();
      shortWait.close();
    }
  }

  @Test
  void close_whileRotationsWaitForAWorker_startsNoneOfThem() throws Exception {
    Scheduler oneWorker = scheduler(1, Scheduler.PASS_WAIT);
    List<SecretName> names = dueSecrets("app/slow/KEY_", 3, rule -> rule.targetType("slow"));
    Thread ticking = Thread.ofPlatform().start(oneWorker::tick);
    entered.await();
    Thread closing = Thread.ofPlatform().start(oneWorker::close);
    // close() waits for the running rotation: the others are still queued.
    Eventually.waitFor(
        Duration.ofSeconds(30), () -> closing.getState() == Thread.State.TIMED_WAITING);

    release.countDown();
    closing.join();
    ticking.join();

    assertThat(sets.get()).as("only the rotation that ran when close began").isEqualTo(1);
    assertThat(names.stream().filter(name -> currentNumber(name) == 1))
        .as("no rotation was started once the scheduler was closing")
        .hasSize(2);
  }

  @Test
  void tick_dueRuleRowEditedOutsideKeyturn_expiredVersionsAreStillRetired() throws Exception {
    store.protect(new Envelope(root, random));
    SecretName expired = SecretName.of("app/expired/KEY");
    put(expired, "old", Duration.ofHours(1));
    put(expired, "new", Duration.ofHours(1));
    store.rotations().putRule(RotationRule.builder(expired).build(), Optional.empty());
    dueSecrets("app/edited/KEY_", 1, rule -> rule);
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keyturn.db"));
        java.sql.Statement st = c.createStatement()) {
      st.executeUpdate(
          "UPDATE rules SET body = replace(body, '90d', '1d') WHERE secret LIKE 'app/edited/%'");
    }
    clock.set(T0.plus(Duration.ofHours(2)));

    // The due query refuses the edited rule (by design): no rotation starts.
    scheduler.tick();

    assertThat(store.secrets().withExpiredPrevious(clock.instant(), 10))
        .as(
            "a rule row edited outside Keyturn stops no retirement (nor revocation) of other secrets")
        .isEmpty();
  }

  @Test
  void tick_moreRevocationsWaitingForTheirRetryThanABatch_otherSecretsStillRetire() {
    for (int i = 0; i < Scheduler.BATCH + 10; i++) {
      SecretName name = SecretName.of("app/revoke/KEY_" + i);
      put(name, "old", Duration.ofHours(1));
      put(name, "new", Duration.ofHours(1));
      store
          .rotations()
          .putRule(RotationRule.builder(name).targetType("refusing").build(), Optional.empty());
    }
    clock.set(T0.plus(Duration.ofHours(2)));
    scheduler.tick();
    scheduler.tick();
    SecretName plain = SecretName.of("app/revoke/ZZ_PLAIN");
    clock.set(T0);
    put(plain, "old", Duration.ofHours(1));
    put(plain, "new", Duration.ofHours(1));
    clock.set(T0.plus(Duration.ofHours(2)).plusSeconds(10));

    scheduler.tick();

    assertThat(store.secrets().withExpiredPrevious(clock.instant(), Scheduler.BATCH * 2))
        .as("the revocations waiting for their retry (a minute) hold up no other secret")
        .doesNotContain(plain)
        .hasSize(Scheduler.BATCH + 10);
  }

  @Test
  void tick_moreOverdueSecretsThanABatch_eachAnnouncedOnce() throws Exception {
    try (NoticeReceiver receiver = new NoticeReceiver()) {
      scheduler.close();
      // Announcements are sent before tick() returns, so what a pass sent is there to count.
      scheduler =
          scheduler(
              2,
              Scheduler.PASS_WAIT,
              new Notifier(
                  Optional.of(receiver.url()),
                  Optional.empty(),
                  secrets,
                  audit,
                  clock,
                  Runnable::run));
      // Manual rules stay due until a person acts: overdue an hour after their due date.
      List<SecretName> names =
          dueSecrets("app/fleet/KEY_", Scheduler.BATCH * 2 + 10, SchedulerBacklogTest::manual);
      clock.set(T0.plus(Duration.ofHours(2)));

      scheduler.tick();
      scheduler.tick();

      assertThat(receiver.bodies()).hasSize(names.size());
      assertThat(names)
          .allMatch(name ->
              receiver.bodies().stream().anyMatch(n -> n.contains("\"" + name.value() + "\"")));
    }
  }

  private static RotationRule.Builder manual(RotationRule.Builder rule) {
    return rule.generator(Generator.parse("manual")).strategy(Strategy.MANUAL);
  }

  /** Secrets holding version 1, each with a rule due now, shaped by {@code shape}. */
  private List<SecretName> dueSecrets(
      String prefix, int count, java.util.function.UnaryOperator<RotationRule.Builder> shape) {
    List<SecretName> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      SecretName name = SecretName.of(prefix + i);
      names.add(name);
      put(name, "initial", Duration.ZERO);
      RotationRule rule =
          shape
              .apply(RotationRule.builder(name).schedule(Optional.of(Schedule.of("90d", "UTC"))))
              .build();
      store.rotations().putRule(rule, Optional.of(clock.instant()));
    }
    return names;
  }

  private void put(SecretName name, String value, Duration grace) {
    secrets.inTransaction(work ->
        secrets.put(
            work, name, Plaintext.ofUtf8(value), ValueType.STRING, grace, Stage.CURRENT, "t"));
  }

  private int currentNumber(SecretName name) {
    return secrets.describe(name).versions().current().orElseThrow().number();
  }
}
