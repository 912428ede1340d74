package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VersionSetTest {
  private static final SecretName NAME = SecretName.of("app/prod/KEY");
  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  private static final Duration DAY = Duration.ofHours(24);

  @Test
  void add_currentWithGrace_demotesOldToPreviousUntilGraceEnds() {
    VersionSet set = VersionSet.empty(NAME).add(v(1, Stage.CURRENT), Duration.ZERO, T0);

    VersionSet next = set.add(v(2, Stage.CURRENT), DAY, T0);

    assertThat(next.current().orElseThrow().number()).isEqualTo(2);
    Version old = next.version(1).orElseThrow();
    assertThat(old.stage()).isEqualTo(Stage.PREVIOUS);
    assertThat(old.acceptUntil()).contains(T0.plus(DAY));
    assertThat(set.current().orElseThrow().number()).as("the original is unchanged").isEqualTo(1);
  }

  @Test
  void add_currentWithoutGrace_retiresOldAtOnce() {
    VersionSet set = VersionSet.empty(NAME).add(v(1, Stage.CURRENT), Duration.ZERO, T0);

    VersionSet next = set.add(v(2, Stage.CURRENT), Duration.ZERO, T0);

    assertThat(next.version(1).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
    assertThat(next.keyring(T0)).extracting(Version::number).containsExactly(2);
  }

  @Test
  void add_secondPending_isRefusedAndKeepsFirst() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.PENDING), Duration.ZERO, T0);

    assertThatThrownBy(() -> set.add(v(3, Stage.PENDING), Duration.ZERO, T0))
        .isInstanceOf(KeyturnException.Conflict.class)
        .hasMessageContaining("app/prod/KEY#2 is already pending");
    assertThat(set.pending().orElseThrow().number()).isEqualTo(2);
  }

  @Test
  void add_wrongNumber_isRefused() {
    VersionSet set = VersionSet.empty(NAME).add(v(1, Stage.CURRENT), Duration.ZERO, T0);

    assertThatThrownBy(() -> set.add(v(5, Stage.CURRENT), Duration.ZERO, T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keyring_listsPendingCurrentAndPreviousInGraceNewestFirst() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), DAY, T0)
            .add(v(3, Stage.PENDING), Duration.ZERO, T0);

    assertThat(set.keyring(T0)).extracting(Version::number).containsExactly(3, 2, 1);
    assertThat(set.keyring(T0.plus(DAY))).extracting(Version::number).containsExactly(3, 2);
  }

  @Test
  void newestPrevious_skipsExpiredAndPicksNewest() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), Duration.ofHours(48), T0)
            .add(v(3, Stage.CURRENT), Duration.ofHours(1), T0.plus(Duration.ofHours(1)));

    assertThat(set.newestPrevious(T0.plus(Duration.ofHours(1))).orElseThrow().number())
        .isEqualTo(2);
    assertThat(set.version(1).orElseThrow().stage()).isEqualTo(Stage.PREVIOUS);
    assertThat(set.newestPrevious(T0.plus(Duration.ofHours(49)))).isEmpty();
  }

  @Test
  void expire_retiresPreviousPastAcceptUntil() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), DAY, T0);

    VersionSet expired = set.expire(T0.plus(DAY));

    assertThat(expired.version(1).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
    assertThat(expired.version(1).orElseThrow().acceptUntil()).isEmpty();
    assertThat(set.expire(T0)).isSameAs(set);
  }

  @Test
  void move_pendingToCurrent_promotesAndDemotesOldCurrent() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.PENDING), Duration.ZERO, T0);

    VersionSet next = set.move(2, Stage.CURRENT, DAY, T0);

    assertThat(next.current().orElseThrow().number()).isEqualTo(2);
    assertThat(next.pending()).isEmpty();
    assertThat(next.version(1).orElseThrow().stage()).isEqualTo(Stage.PREVIOUS);
  }

  @Test
  void move_pendingToRetired_rollsBack() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.PENDING), Duration.ZERO, T0);

    VersionSet next = set.move(2, Stage.RETIRED, Duration.ZERO, T0);

    assertThat(next.version(2).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
    assertThat(next.current().orElseThrow().number()).isEqualTo(1);
  }

  @Test
  void move_previousToCurrent_rollsBackAndDemotesTheBadCurrent() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), DAY, T0);

    VersionSet next = set.move(1, Stage.CURRENT, Duration.ZERO, T0);

    assertThat(next.current().orElseThrow().number()).isEqualTo(1);
    assertThat(next.version(1).orElseThrow().acceptUntil()).isEmpty();
    assertThat(next.version(2).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
  }

  @Test
  void move_previousToRetired_isAllowed() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), DAY, T0);

    assertThat(set.move(1, Stage.RETIRED, Duration.ZERO, T0).version(1).orElseThrow().stage())
        .isEqualTo(Stage.RETIRED);
  }

  @Test
  void move_currentAway_isRefusedAndKeepsCurrent() {
    VersionSet set = VersionSet.empty(NAME).add(v(1, Stage.CURRENT), Duration.ZERO, T0);

    assertThatThrownBy(() -> set.move(1, Stage.RETIRED, Duration.ZERO, T0))
        .isInstanceOf(KeyturnException.Conflict.class)
        .hasMessage(
            "app/prod/KEY#1: current -> retired is not allowed directly: make another version"
                + " current first");
    assertThatThrownBy(() -> set.move(1, Stage.PREVIOUS, DAY, T0))
        .isInstanceOf(KeyturnException.Conflict.class);
    assertThat(set.current().orElseThrow().number()).isEqualTo(1);
  }

  @Test
  void move_retired_isFinal() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), Duration.ZERO, T0);

    for (Stage target : List.of(Stage.CURRENT, Stage.PREVIOUS, Stage.PENDING)) {
      assertThatThrownBy(() -> set.move(1, target, Duration.ZERO, T0))
          .isInstanceOf(KeyturnException.Conflict.class)
          .hasMessageContaining("retired is final");
    }
  }

  @Test
  void move_toPending_isNeverAllowed() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), DAY, T0);

    assertThatThrownBy(() -> set.move(1, Stage.PENDING, Duration.ZERO, T0))
        .isInstanceOf(KeyturnException.Conflict.class);
  }

  @Test
  void move_unknownVersion_throwsNotFound() {
    VersionSet set = VersionSet.empty(NAME).add(v(1, Stage.CURRENT), Duration.ZERO, T0);

    assertThatThrownBy(() -> set.move(9, Stage.CURRENT, Duration.ZERO, T0))
        .isInstanceOf(KeyturnException.NotFound.class)
        .hasMessage("app/prod/KEY#9 does not exist");
  }

  @Test
  void move_sameStage_isNoOp() {
    VersionSet set = VersionSet.empty(NAME).add(v(1, Stage.CURRENT), Duration.ZERO, T0);

    assertThat(set.move(1, Stage.CURRENT, Duration.ZERO, T0)).isEqualTo(set);
  }

  @Test
  void move_negativeGrace_isRefused() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.PENDING), Duration.ZERO, T0);

    assertThatThrownBy(() -> set.move(2, Stage.CURRENT, Duration.ofSeconds(-1), T0))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @Test
  void retireAll_retiresEveryVersionAndNextNumberKeepsCounting() {
    VersionSet set =
        VersionSet.empty(NAME)
            .add(v(1, Stage.CURRENT), Duration.ZERO, T0)
            .add(v(2, Stage.CURRENT), DAY, T0)
            .add(v(3, Stage.PENDING), Duration.ZERO, T0);

    VersionSet retired = set.retireAll();

    assertThat(retired.allRetired()).isTrue();
    assertThat(retired.keyring(T0)).isEmpty();
    assertThat(retired.nextNumber()).isEqualTo(4);
  }

  @Test
  void constructor_twoCurrent_isRefused() {
    assertThatThrownBy(
            () -> new VersionSet(NAME, List.of(v(1, Stage.CURRENT), v(2, Stage.CURRENT))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void stage_allowedMovesAreExactlyTheDesignTable() {
    assertThat(Stage.PENDING.canMoveTo(Stage.CURRENT)).isTrue();
    assertThat(Stage.PENDING.canMoveTo(Stage.RETIRED)).isTrue();
    assertThat(Stage.PENDING.canMoveTo(Stage.PREVIOUS)).isFalse();
    assertThat(Stage.CURRENT.canMoveTo(Stage.PREVIOUS)).isTrue();
    assertThat(Stage.CURRENT.canMoveTo(Stage.RETIRED)).isTrue();
    assertThat(Stage.CURRENT.canMoveTo(Stage.PENDING)).isFalse();
    assertThat(Stage.PREVIOUS.canMoveTo(Stage.RETIRED)).isTrue();
    assertThat(Stage.PREVIOUS.canMoveTo(Stage.CURRENT)).isTrue();
    assertThat(Stage.PREVIOUS.canMoveTo(Stage.PENDING)).isFalse();
    for (Stage s : Stage.values()) {
      assertThat(Stage.RETIRED.canMoveTo(s)).isFalse();
    }
  }

  private static Version v(int number, Stage stage) {
    return new Version(
        number, stage, ValueType.STRING, T0, "tok_test", Optional.empty(), "fp" + number);
  }
}
