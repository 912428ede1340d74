package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RuleService;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.RotationStore.RuleEntry;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.targets.NoneTarget;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scheduler on a fake clock over the real SQLite store: for each schedule kind, three
 * consecutive rotations start on their own, each when due and inside the rule's window, and the
 * rule keeps its schedule after each one.
 */
class ScheduledRotationsTest {
  private static final Instant T0 = Instant.parse("2026-03-20T12:00:00Z");
  private static final SecretName NAME = SecretName.of("app/production/SIGNING_KEY");

  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(T0);
  private final SecureRandom random = new SecureRandom();
  private JdbcStore store;
  private AuditLog audit;
  private Scheduler scheduler;

  @AfterEach
  void close() {
    scheduler.close();
    audit.close();
    store.close();
  }

  @ParameterizedTest
  @CsvSource(
      nullValues = "-",
      value = {
        "90d, -, Sun 02:00-04:00, Europe/Berlin",
        "12h, -, -, America/St_Johns",
        "3mo, -, Mon-Fri 22:00-23:30, America/New_York",
        "1y, -, -, Asia/Kolkata",
        "-, 0 3 * * SUN, Sun 02:00-04:00, Europe/Berlin",
        "-, 30 1 1 * *, -, UTC",
        "-, 0 12 * * *, Sat-Sun 00:00-06:00, Australia/Sydney"
      })
  void tick_threeConsecutiveDueRotations_eachStartsInsideItsWindow(
      String every, String cron, String window, String zone) {
    Schedule schedule =
        new Schedule(
            Optional.ofNullable(every),
            Optional.ofNullable(cron),
            Optional.ofNullable(window),
            ZoneId.of(zone));
    RuleService rules = start();
    SecretService secrets = secrets();
    secrets.inTransaction(work ->
        secrets.put(
            work,
            NAME,
            Plaintext.ofUtf8("v1"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.CURRENT,
            "t"));
    rules.set(RotationRule.builder(NAME).schedule(Optional.of(schedule)).build(), Optional.empty());
    Instant previous = T0;

    for (int round = 1; round <= 3; round++) {
      RuleEntry entry = store.rotations().rule(NAME).orElseThrow();
      assertThat(entry.rule().schedule()).as("round " + round).contains(schedule);
      Instant start = entry.startAt().orElseThrow();
      clock.set(start.minusSeconds(1));
      scheduler.tick();
      assertThat(current(secrets).number()).as("not before its time").isEqualTo(round);

      clock.set(start);
      scheduler.tick();

      Version made = current(secrets);
      assertThat(made.number()).as("round " + round).isEqualTo(round + 1);
      assertThat(made.createdAt()).isEqualTo(start);
      assertThat(made.createdAt()).isAfterOrEqualTo(schedule.after(previous));
      assertThat(schedule.isOpen(made.createdAt()))
          .as("round " + round + " at " + made.createdAt() + " is inside " + window)
          .isTrue();
      if (window == null) {
        assertThat(made.createdAt()).isEqualTo(schedule.after(previous));
      }
      previous = made.createdAt();
    }
  }

  private Version current(SecretService secrets) {
    return secrets.describe(NAME).versions().current().orElseThrow();
  }

  private SecretService secretsService;

  private SecretService secrets() {
    return secretsService;
  }

  private RuleService start() {
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), clock);
    RootKey root = RootKey.generate(random);
    audit = store.openAuditLog(new AuditChain(root));
    secretsService = new SecretService(store, new Envelope(root, random), clock);
    RotationEngine engine =
        new RotationEngine(
            secretsService,
            store.rotations(),
            Map.of("none", new NoneTarget()),
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
            new Notifier(Optional.empty(), Optional.empty(), secretsService, audit, clock),
            new dev.keyturn.core.NodeHeartbeat(
                store.rotations(), "node-test", dev.keyturn.core.HostPolicy.none(), clock),
            clock,
            Duration.ofSeconds(1),
            1);
    return new RuleService(engine, store.rotations(), secretsService, clock, random);
  }
}
