package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.RotationStore.RuleEntry;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overdue announcements over the real SQLite store, in pages of two and two pages a pass, so that
 * reading the overdue list to its end takes several passes: each secret is announced once per due
 * date, and one that stopped being overdue is forgotten only once the list has been read to its
 * end, then announced again when it is next overdue.
 */
class OverdueAnnouncementsTest {
  private static final Instant T0 = Instant.parse("2026-03-20T12:00:00Z");
  private static final Duration LOOK_AGAIN = Duration.ofHours(1);

  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(T0);
  private JdbcStore store;
  private AuditLog audit;
  private NoticeReceiver receiver;
  private final Set<SecretName> deleted = new HashSet<>();
  private OverdueAnnouncements announcements;

  @BeforeEach
  void open() throws Exception {
    SecureRandom random = new SecureRandom();
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), clock);
    RootKey root = RootKey.generate(random);
    audit = store.openAuditLog(new AuditChain(root));
    SecretService secrets = new SecretService(store, new Envelope(root, random), clock);
    receiver = new NoticeReceiver();
    // Sent before pass() returns, so what a pass sent is there to count.
    Notifier notifier =
        new Notifier(
            Optional.of(receiver.url()), Optional.empty(), secrets, audit, clock, Runnable::run);
    announcements =
        new OverdueAnnouncements(
            store.rotations(), notifier, deleted::contains, LOOK_AGAIN, clock, 2, 2);
  }

  @AfterEach
  void close() {
    receiver.close();
    audit.close();
    store.close();
  }

  @Test
  void pass_overdueListLongerThanAPass_eachAnnouncedOnceAndForgottenOnlyAtItsEnd() {
    RotationStore rules = store.rotations();
    for (int i = 1; i <= 7; i++) {
      rules.putRule(new RuleEntry(RotationRule.builder(name(i)).build(), Optional.of(T0)));
    }
    clock.set(T0.plus(Duration.ofHours(2)));

    announcements.pass();
    assertThat(receiver.bodies()).as("two pages of two").hasSize(4);
    // Rotated after it was announced, in the middle of reading the list.
    rules.setNextDue(name(2), Optional.of(T0.plus(Duration.ofDays(90))));
    announcements.pass();
    assertThat(receiver.bodies()).as("the rest, to the list's end").hasSize(7);
    assertThat(announcements.remembered())
        .as("seen on the way through the list: not forgotten yet")
        .contains(name(2));

    announcements.pass();
    announcements.pass();
    assertThat(receiver.bodies()).as("nothing announced twice").hasSize(7);
    assertThat(announcements.remembered())
        .as("not seen in a whole reading of the list: forgotten")
        .doesNotContain(name(2))
        .hasSize(6);

    rules.setNextDue(name(2), Optional.of(T0));
    announcements.pass();
    assertThat(receiver.bodies()).hasSize(8);
    assertThat(receiver.bodies().get(7))
        .contains("\"secret\":\"" + name(2).value() + "\"")
        .contains("due 2026-03-20T12:00:00Z");
  }

  @Test
  void pass_newDueDate_announcedAgainAtOnce() {
    RotationStore rules = store.rotations();
    rules.putRule(new RuleEntry(RotationRule.builder(name(1)).build(), Optional.of(T0)));
    clock.set(T0.plus(Duration.ofHours(2)));
    announcements.pass();
    announcements.pass();
    assertThat(receiver.bodies()).hasSize(1);

    rules.setNextDue(name(1), Optional.of(T0.plus(Duration.ofMinutes(30))));
    announcements.pass();

    assertThat(receiver.bodies()).hasSize(2);
    assertThat(receiver.bodies().get(1))
        .contains("\"event\":\"secret.overdue\"")
        .contains("due 2026-03-20T12:30:00Z");
  }

  @Test
  void pass_deletedOverdueSecret_announcedOnlyOnceAValueIsPutAgain() {
    RotationStore rules = store.rotations();
    rules.putRule(new RuleEntry(RotationRule.builder(name(1)).build(), Optional.of(T0)));
    rules.putRule(new RuleEntry(RotationRule.builder(name(2)).build(), Optional.of(T0)));
    deleted.add(name(1));
    clock.set(T0.plus(Duration.ofHours(2)));

    announcements.pass();
    announcements.pass();
    assertThat(receiver.bodies()).hasSize(1);
    assertThat(receiver.bodies().get(0)).contains("\"secret\":\"" + name(2).value() + "\"");

    deleted.remove(name(1)); // a value was put again; its due date is unchanged
    announcements.pass();
    assertThat(receiver.bodies()).as("looked at again only hourly").hasSize(1);
    clock.set(clock.instant().plus(LOOK_AGAIN));
    announcements.pass();
    announcements.pass();

    assertThat(receiver.bodies()).hasSize(2);
    assertThat(receiver.bodies().get(1))
        .contains("\"secret\":\"" + name(1).value() + "\"")
        .contains("due 2026-03-20T12:00:00Z");
  }

  private static SecretName name(int i) {
    return SecretName.of("app/late/KEY_" + i);
  }
}
