package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.Generator;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.spi.RotationStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link RotationStore} must have (rotation rules and runs). A backend's test
 * extends this class and returns a new, empty store from {@link #newStore()}; the in-memory fake,
 * SQLite and PostgreSQL all run it.
 */
public abstract class RotationStoreContract extends StoreFixture {
  @Test
  void rotations_oneActivePerSecretAndTheirLifecycle() {
    RotationStore rotations = store.rotations();
    // What a start fixes (emergency, note, commands) is set here; a save changes the rest.
    Rotation first =
        rotation("rot_1", NAME, RotationState.CREATE, T0).toBuilder()
            .emergency(true)
            .note(Optional.of("key leaked in \"ci\" logs"))
            .commands("sha256:0123abcd")
            .build();
    rotations.start(first);

    assertThat(rotations.rotation("rot_1")).contains(first);
    assertThatThrownBy(() -> rotations.start(rotation("rot_2", NAME, RotationState.CREATE, T0)))
        .isInstanceOf(KeyturnException.RotationInProgress.class)
        .hasMessageContaining("rot_1");
    Rotation saved =
        first.toBuilder()
            .state(RotationState.SET)
            .attempt(2)
            .updatedAt(T0.plusSeconds(5))
            .nextAttemptAt(T0.plusSeconds(9))
            .pendingVersion(Optional.of(4))
            .reason(Optional.of("set failed: x"))
            .process(Optional.of(4242L))
            .checklist(List.of(new Rotation.CheckResult("set command", false, 12, "exited with 1")))
            .build();
    rotations.save(saved);

    assertThat(rotations.rotation("rot_1")).contains(saved);
    assertThat(rotations.active(NAME)).contains(saved);
    assertThat(rotations.runnable(T0.plusSeconds(8), 10)).isEmpty();
    assertThat(rotations.runnable(T0.plusSeconds(9), 10))
        .extracting(Rotation::id)
        .containsExactly("rot_1");

    rotations.save(rotation("rot_1", NAME, RotationState.FINISHED, T0));
    rotations.start(rotation("rot_3", NAME, RotationState.CREATE, T0.plusSeconds(60)));

    assertThat(rotations.history(NAME, 10))
        .extracting(Rotation::id)
        .containsExactly("rot_3", "rot_1");
    assertThat(rotations.active(NAME)).get().extracting(Rotation::id).isEqualTo("rot_3");
    assertThat(rotations.runnable(T0.plusSeconds(100), 10))
        .extracting(Rotation::id)
        .containsExactly("rot_3");
  }

  @Test
  void recent_byPrefixStateAndPatterns_newestFirst() {
    RotationStore rotations = store.rotations();
    SecretName a = SecretName.of("team_a/prod/KEY");
    SecretName x = SecretName.of("teamXa/prod/KEY");
    SecretName b = SecretName.of("team_b/prod/KEY");
    SecretName upper = SecretName.of("Team_a/prod/KEY");
    rotations.start(rotation("rot_a1", a, RotationState.CREATE, T0));
    rotations.save(rotation("rot_a1", a, RotationState.FINISHED, T0));
    rotations.start(rotation("rot_a2", a, RotationState.SET, T0.plusSeconds(10)));
    rotations.start(rotation("rot_x1", x, RotationState.CREATE, T0.plusSeconds(20)));
    rotations.save(rotation("rot_x1", x, RotationState.FAILED, T0.plusSeconds(20)));
    rotations.start(rotation("rot_b1", b, RotationState.TEST, T0.plusSeconds(30)));
    rotations.start(rotation("rot_u1", upper, RotationState.CREATE, T0.plusSeconds(40)));

    List<String> all = ids(rotations.recent("", Set.of(), List.of(), 100));
    List<String> underTeam = ids(rotations.recent("team", Set.of(), List.of(), 100));
    List<String> teamA = ids(rotations.recent("team_a/", Set.of(), List.of(), 100));
    List<String> running =
        ids(
            rotations.recent(
                "",
                Set.of(RotationState.CREATE, RotationState.SET, RotationState.TEST),
                List.of(),
                100));
    List<String> within = ids(rotations.recent("", Set.of(), List.of("team_a/*"), 100));
    List<String> twoPatterns =
        ids(rotations.recent("", Set.of(), List.of("team_b/prod/KEY", "*Xa/*"), 100));
    List<String> limited = ids(rotations.recent("", Set.of(), List.of(), 2));

    assertThat(all).containsExactly("rot_u1", "rot_b1", "rot_x1", "rot_a2", "rot_a1");
    assertThat(underTeam).containsExactly("rot_b1", "rot_x1", "rot_a2", "rot_a1");
    assertThat(teamA).containsExactly("rot_a2", "rot_a1");
    assertThat(running).containsExactly("rot_u1", "rot_b1", "rot_a2");
    assertThat(within).containsExactly("rot_a2", "rot_a1");
    assertThat(twoPatterns).containsExactly("rot_b1", "rot_x1");
    assertThat(limited).containsExactly("rot_u1", "rot_b1");
    assertThat(ids(rotations.recent("team_a/%", Set.of(), List.of(), 100))).isEmpty();
  }

  private static List<String> ids(List<Rotation> rotations) {
    return rotations.stream().map(Rotation::id).toList();
  }

  @Test
  void rotations_oneNodeAtATimeHoldsTheClaim() {
    RotationStore rotations = store.rotations();
    rotations.start(rotation("rot_9", NAME, RotationState.SET, T0));

    assertThat(rotations.claim("rot_9", "node-a", T0, T0.plusSeconds(60))).isTrue();
    assertThat(rotations.claim("rot_9", "node-b", T0.plusSeconds(10), T0.plusSeconds(70)))
        .isFalse();
    assertThat(rotations.claim("rot_9", "node-a", T0.plusSeconds(10), T0.plusSeconds(70)))
        .as("its own again")
        .isTrue();
    assertThat(rotations.claim("rot_9", "node-b", T0.plusSeconds(71), T0.plusSeconds(131)))
        .as("expired")
        .isTrue();
    rotations.release("rot_9", "node-a");
    assertThat(rotations.claim("rot_9", "node-a", T0.plusSeconds(72), T0.plusSeconds(132)))
        .as("b still holds it")
        .isFalse();
    rotations.release("rot_9", "node-b");
    assertThat(rotations.claim("rot_9", "node-a", T0.plusSeconds(73), T0.plusSeconds(133)))
        .isTrue();
    assertThat(rotations.claim("rot_none", "node-a", T0, T0.plusSeconds(1))).isFalse();
  }

  @Test
  void rotations_saveOfAnEndedRotation_givesUpItsClaim() {
    RotationStore rotations = store.rotations();
    Rotation running = rotation("rot_8", NAME, RotationState.FINISH, T0);
    rotations.start(running);
    assertThat(rotations.claim("rot_8", "node-a", T0, T0.plusSeconds(600))).isTrue();

    rotations.save(rotation("rot_8", NAME, RotationState.FINISHED, T0.plusSeconds(1)));

    assertThat(rotations.claim("rot_8", "node-b", T0.plusSeconds(2), T0.plusSeconds(60))).isTrue();
  }

  @Test
  void rotations_claimInTheStartsUnit_holdsAgainstOtherNodes() {
    store.inTransaction(work -> {
      work.rotations().start(rotation("rot_7", NAME, RotationState.CREATE, T0));
      return work.rotations().claim("rot_7", "node-a", T0, T0.plusSeconds(600));
    });

    assertThat(store.rotations().claim("rot_7", "node-b", T0.plusSeconds(1), T0.plusSeconds(60)))
        .isFalse();
    assertThat(store.rotations().claim("rot_7", "node-a", T0.plusSeconds(1), T0.plusSeconds(60)))
        .isTrue();
  }

  @Test
  void rules_putReadListDueAndDelete() {
    RotationStore rotations = store.rotations();
    RotationRule rule =
        new RotationRule(
            NAME,
            Generator.parse("hex:32"),
            Optional.of(Schedule.of("3mo", "Europe/Berlin")),
            Duration.ofHours(24),
            Strategy.OVERLAP,
            Duration.ofSeconds(30),
            "command",
            Map.of(
                "set-command", "systemctl reload gunicorn", "test-command", "curl -fsS localhost"),
            "devops",
            "webhook signatures",
            "revalidation fails",
            5,
            Duration.ofSeconds(1),
            java.util.List.of(),
            Optional.empty(),
            false,
            false);
    rotations.putRule(rule, Optional.of(T0.plusSeconds(100)));
    rotations.putRule(
        new RotationRule(
            SecretName.of("other/KEY"),
            Generator.parse("manual"),
            Optional.empty(),
            Duration.ZERO,
            Strategy.MANUAL,
            Duration.ZERO,
            "none",
            Map.of(),
            "",
            "",
            "",
            1,
            Duration.ZERO,
            java.util.List.of(),
            Optional.empty(),
            false,
            false),
        Optional.empty());

    assertThat(rotations.rule(NAME).orElseThrow().rule()).isEqualTo(rule);
    assertThat(rotations.rules("", 10))
        .extracting(e -> e.rule().secret().value())
        .containsExactly("app/production/API_KEY", "other/KEY");
    assertThat(rotations.dueRules(T0.plusSeconds(99), 10)).isEmpty();
    assertThat(rotations.dueRules(T0.plusSeconds(100), 10)).hasSize(1);
    rotations.setNextDue(NAME, Optional.of(T0.plusSeconds(500)));
    assertThat(rotations.rule(NAME).orElseThrow().nextDue()).contains(T0.plusSeconds(500));
    assertThat(rotations.deleteRule(NAME)).isTrue();
    assertThat(rotations.deleteRule(NAME)).isFalse();
    assertThat(rotations.rule(NAME)).isEmpty();
  }

  @Test
  void nodes_heartbeatsReplaceTheRow_andOnlyNodesSeenSinceAreListed() {
    RotationStore rotations = store.rotations();
    dev.keyturn.core.NodeRecord a =
        new dev.keyturn.core.NodeRecord(
            "node-a",
            "host-a",
            101,
            T0,
            T0,
            "d1",
            java.util.Map.of("reload", "0123abcd", "install-key", "4567ef01"));
    dev.keyturn.core.NodeRecord b =
        new dev.keyturn.core.NodeRecord(
            "node-b", "host-b", 202, T0, T0.plusSeconds(30), "", java.util.Map.of());

    rotations.heartbeat(a);
    rotations.heartbeat(b);
    rotations.heartbeat(a.seen(T0.plusSeconds(60)));

    assertThat(rotations.nodes(T0)).containsExactly(a.seen(T0.plusSeconds(60)), b);
    assertThat(rotations.nodes(T0.plusSeconds(31))).containsExactly(a.seen(T0.plusSeconds(60)));
    assertThat(rotations.nodes(T0.plusSeconds(61))).isEmpty();
  }

  @Test
  void nodes_leave_removesOnlyThatNodesRow() {
    RotationStore rotations = store.rotations();
    dev.keyturn.core.NodeRecord a =
        new dev.keyturn.core.NodeRecord("node-a", "host-a", 101, T0, T0, "", java.util.Map.of());
    dev.keyturn.core.NodeRecord b =
        new dev.keyturn.core.NodeRecord("node-b", "host-b", 202, T0, T0, "", java.util.Map.of());
    rotations.heartbeat(a);
    rotations.heartbeat(b);

    rotations.leave("node-a");
    rotations.leave("node-unknown");

    assertThat(rotations.nodes(T0)).containsExactly(b);
  }

  @Test
  void noteReason_changesTheRowOnce_andNeverAFinishedRotation() {
    RotationStore rotations = store.rotations();
    Rotation r = rotation("rot_1", NAME, RotationState.SET, T0);
    rotations.start(r);

    boolean first = rotations.noteReason("rot_1", "waits for a node");
    boolean second = rotations.noteReason("rot_1", "waits for a node");

    assertThat(first).isTrue();
    assertThat(second).as("the reason is that already").isFalse();
    assertThat(rotations.rotation("rot_1").orElseThrow().reason()).contains("waits for a node");
    assertThat(rotations.noteReason("rot_1", "waits for another node")).isTrue();
    rotations.save(
        rotations.rotation("rot_1").orElseThrow().toBuilder().state(RotationState.FAILED).build());
    assertThat(rotations.noteReason("rot_1", "waits for a node")).isFalse();
    assertThat(rotations.noteReason("rot_unknown", "waits for a node")).isFalse();
  }

  @Test
  void saveProgress_comesBackWhole_andASaveKeepsIt() {
    RotationStore rotations = store.rotations();
    Rotation r = rotation("rot_1", NAME, RotationState.SET, T0);
    rotations.start(r);
    dev.keyturn.core.SweepProgress progress =
        new dev.keyturn.core.SweepProgress(
            "set", 4, Optional.of("id;with=odd\n'chars\"é"), 1_000_000, 420_000, 3, 2, false);

    rotations.saveProgress("rot_1", progress);
    rotations.save(r.toBuilder().attempt(1).updatedAt(T0.plusSeconds(1)).build());

    assertThat(rotations.rotation("rot_1").orElseThrow().progress()).contains(progress);
    assertThat(rotations.active(NAME).orElseThrow().progress()).contains(progress);
    assertThat(rotations.history(NAME, 1).get(0).progress()).contains(progress);
    assertThat(r.progress()).isEmpty();
    rotations.saveProgress("rot_unknown", progress);
    assertThat(rotations.rotation("rot_unknown")).isEmpty();
  }
}
