package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule whose rotation failed stays due (the secret shows overdue), but the scheduler does not
 * start it again, and call its target again, at every pass: only after the engine's back-off (an
 * hour after a first failure). Real SQLite store; found by review.
 */
class SchedulerFailedRuleTest {
  private static final Instant T0 = Instant.parse("2026-03-20T12:00:00Z");
  private static final SecretName NAME = SecretName.of("app/locked/DB_PASSWORD");

  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(T0);
  private final SecureRandom random = new SecureRandom();
  private final AtomicInteger sets = new AtomicInteger();
  private JdbcStore store;
  private AuditLog audit;
  private Scheduler scheduler;

  @BeforeEach
  void open() {
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), clock);
    RootKey root = RootKey.generate(random);
    audit = store.openAuditLog(new AuditChain(root));
    SecretService secrets = new SecretService(store, new Envelope(root, random), clock);
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
    RotationEngine engine =
        new RotationEngine(
            secrets,
            store.rotations(),
            Map.of("locked", locked),
            Map.of(),
            audit,
            clock,
            random,
            "node-test",
            r -> {});
    scheduler =
        new Scheduler(
            engine,
            store.rotations(),
            store,
            audit,
            new Notifier(Optional.empty(), Optional.empty(), secrets, audit, clock),
            new NodeHeartbeat(store.rotations(), "node-test", HostPolicy.none(), clock),
            clock,
            Duration.ofHours(1),
            8);
    secrets.inTransaction(work ->
        secrets.put(
            work,
            NAME,
            Plaintext.ofUtf8("initial"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.CURRENT,
            "t"));
    store
        .rotations()
        .putRule(
            RotationRule.builder(NAME)
                .schedule(Optional.of(Schedule.of("90d", "UTC")))
                .targetType("locked")
                .build(),
            Optional.of(T0));
  }

  @AfterEach
  void close() {
    scheduler.close();
    audit.close();
    store.close();
  }

  @Test
  void tick_ruleWhoseRotationFailedAtOnce_isNotStartedAgainAtTheNextPasses() {
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
    assertThat(store.rotations().rule(NAME).orElseThrow().nextDue()).contains(T0);
  }

  @Test
  void tick_anHourAfterTheFailure_startsTheRuleAgain() {
    scheduler.tick();
    clock.set(T0.plus(Duration.ofHours(1)));

    scheduler.tick();

    assertThat(sets.get()).isEqualTo(2);
  }
}
