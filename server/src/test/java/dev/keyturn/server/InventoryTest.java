package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.StatusRow;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status board as an inventory (secrets without a rule too), secrets adopted from a runbook
 * with the date they were last rotated by hand, and the audit filter by outcome; a real server on a
 * fake clock (2026-11-22 is a Sunday).
 */
class InventoryTest {
  private static final String KEY = "app/inv/API_KEY";
  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-22T09:00:00Z"));
  private RunningServer server;
  private WireClient root;

  @BeforeEach
  void start() {
    server =
        RunningServer.start(RunningServer.config(dir.resolve("data"), Optional.empty()), clock);
    root = server.client();
    root.put(KEY, new PutSecretRequest("v1", null, null, null, null));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static RuleBody rule(String window, String lastRotated, Boolean catchUp) {
    return new RuleBody(
        "hex:32",
        "90d",
        null,
        null,
        "overlap",
        null,
        null,
        "devops",
        null,
        null,
        null,
        null,
        null,
        null,
        window,
        lastRotated,
        catchUp);
  }

  private StatusRow row(String name) {
    return root.status("app/inv/").secrets().stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void status_secretWithoutARule_isListedAsNoRule() {
    root.put("app/inv/PLAIN", new PutSecretRequest("x", null, null, null, null));
    root.putRule(KEY, rule(null, null, null));
    String limited = server.token("list:app/inv/P*");

    assertThat(root.status("app/inv/").secrets())
        .extracting(StatusRow::name)
        .containsExactly(KEY, "app/inv/PLAIN");
    StatusRow plain = row("app/inv/PLAIN");
    assertThat(plain.state()).isEqualTo("no rule");
    assertThat(plain.strategy()).isNull();
    assertThat(plain.nextDue()).isNull();
    assertThat(plain.lastRotated()).isEqualTo("2026-11-22T09:00:00Z");
    assertThat(row(KEY).state()).isEqualTo("ok");
    assertThat(server.client(limited).status("app/inv/").secrets())
        .extracting(StatusRow::name)
        .containsExactly("app/inv/PLAIN");
  }

  @Test
  void rm_secretWithARule_isListedAsDeletedAndRotatesOnlyOnceAValueIsPutAgain() throws Exception {
    root.putRule(KEY, rule(null, null, null));
    root.delete(KEY, false);
    clock.set(Instant.parse("2027-03-01T09:00:00Z")); // nine days past its due date
    Thread.sleep(2500); // the scheduler's passes, a second apart

    assertThat(row(KEY).state()).isEqualTo("deleted");
    assertThat(root.rotations(KEY).rotations()).as("no rotation started").isEmpty();
    assertThat(server.client().status("app/inv/").secrets())
        .as("not overdue: the alert on overdue secrets stays quiet")
        .noneMatch(r -> r.state().equals("overdue"));

    root.put(KEY, new PutSecretRequest("v2", null, null, null, null));
    clock.set(clock.instant().plus(Scheduler.DORMANT_CHECK).plusSeconds(1));

    Eventually.waitFor(Duration.ofSeconds(30), () -> root.get(KEY).version() == 3);
    assertThat(row(KEY).state()).isEqualTo("ok");
  }

  @Test
  void lastRotated_longAgoWithoutWindow_isOverdueAndRotatesOnlyOnRequest() throws Exception {
    var set = root.putRule(KEY, rule(null, "2026-08-01", null));

    assertThat(set.nextDue()).isEqualTo("2026-10-30T00:00:00Z");
    assertThat(set.rule().lastRotated()).isEqualTo("2026-08-01T00:00:00Z");
    StatusRow row = row(KEY);
    assertThat(row.state()).isEqualTo("overdue");
    assertThat(row.lastRotated()).isEqualTo("2026-08-01T00:00:00Z");
    Thread.sleep(2500);
    assertThat(root.get(KEY).version()).as("never rotated on adoption").isEqualTo(1);
    assertThat(root.rule(KEY).rule().lastRotated())
        .as("kept when read back")
        .isEqualTo("2026-08-01T00:00:00Z");

    root.rotate(KEY, new RotateRequest(null, null));

    assertThat(root.get(KEY).version()).isEqualTo(2);
    assertThat(row(KEY).state()).isEqualTo("ok");
    assertThat(row(KEY).lastRotated()).isEqualTo("2026-11-22T09:00:00Z");
    assertThat(row(KEY).nextDue()).isEqualTo("2027-02-20T09:00:00Z");
  }

  @Test
  void lastRotated_longAgoWithAWindow_rotatesInTheNextOpeningOnly() throws Exception {
    root.putRule(KEY, rule("Sun 02:00-04:00", "2026-08-01", null));

    assertThat(row(KEY).state()).isEqualTo("overdue");
    Thread.sleep(2500);
    assertThat(root.get(KEY).version()).as("the window is closed at 09:00").isEqualTo(1);

    clock.set(Instant.parse("2026-11-29T03:00:00Z"));

    Eventually.waitFor(Duration.ofSeconds(15), () -> root.get(KEY).version() == 2);
    assertThat(root.rotations(KEY).rotations())
        .singleElement()
        .satisfies(r -> assertThat(r.requestedBy()).isEqualTo("scheduler"));
    assertThat(row(KEY).state()).isEqualTo("ok");
  }

  @Test
  void lastRotated_withCatchUp_rotatesAtOnce() throws Exception {
    root.putRule(KEY, rule(null, "2026-08-01", true));

    Eventually.waitFor(Duration.ofSeconds(15), () -> root.get(KEY).version() == 2);
    assertThat(root.rule(KEY).rule().catchUp()).isTrue();
  }

  @Test
  void lastRotated_inTheFutureOrNotADate_is400() {
    assertThatThrownBy(() -> root.putRule(KEY, rule(null, "2027-01-01", null)))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("last-rotated is in the future");
    assertThatThrownBy(() -> root.putRule(KEY, rule(null, "yesterday';--", null)))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("last_rotated is a date")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("yesterday"));
  }

  @Test
  void audit_byResult_returnsOnlyThatOutcome() {
    String reader = server.token("read:other/*");
    assertThatThrownBy(() -> server.client(reader).get(KEY))
        .isInstanceOf(KeyturnForbiddenException.class);
    assertThatThrownBy(() -> root.get("app/inv/MISSING"))
        .isInstanceOf(KeyturnNotFoundException.class);

    List<AuditRecordInfo> denied = audit("denied");
    List<AuditRecordInfo> failed = audit("failed");
    List<AuditRecordInfo> ok = audit("ok");

    assertThat(denied).isNotEmpty().allSatisfy(r -> assertThat(r.result()).isEqualTo("forbidden"));
    assertThat(denied).anySatisfy(r -> assertThat(r.secret()).isEqualTo(KEY));
    assertThat(failed).isNotEmpty().allSatisfy(r -> assertThat(r.result()).isEqualTo("not_found"));
    assertThat(ok).isNotEmpty().allSatisfy(r -> assertThat(r.result()).isEqualTo("ok"));
    assertThat(audit(null).size())
        .isGreaterThanOrEqualTo(denied.size() + failed.size() + ok.size());
    assertThatThrownBy(() -> audit("refused"))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("result is ok, denied or failed");
  }

  private List<AuditRecordInfo> audit(String result) {
    return root.audit(
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.ofNullable(result),
            Optional.empty())
        .records();
  }
}
