package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every pair of rotation states against the table written out here, the engine's only source. */
class RotationStateTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  /** The allowed moves, spelled out independently of {@link RotationState#canMoveTo}. */
  private static final Set<String> ALLOWED =
      Set.of(
          "create -> set",
          "create -> rollback",
          "create -> failed",
          "set -> test",
          "set -> rollback",
          "set -> failed",
          "test -> finish",
          "test -> rollback",
          "test -> failed",
          "finish -> finished",
          "finish -> rollback",
          "finish -> failed",
          "rollback -> failed");

  @Test
  void canMoveTo_everyPair_matchesTheTable() {
    List<String> allowed = new ArrayList<>();

    for (RotationState from : RotationState.values()) {
      for (RotationState to : RotationState.values()) {
        if (from.canMoveTo(to)) {
          allowed.add(from.wireName() + " -> " + to.wireName());
        }
      }
    }

    assertThat(allowed).containsExactlyInAnyOrderElementsOf(ALLOWED);
  }

  @Test
  void moveTo_everyPair_allowedMovesResetTheStepAndOthersThrow() {
    for (RotationState from : RotationState.values()) {
      for (RotationState to : RotationState.values()) {
        Rotation rotation = rotationIn(from);
        String move = from.wireName() + " -> " + to.wireName();

        if (ALLOWED.contains(move)) {
          Rotation moved = rotation.moveTo(to, T0.plusSeconds(5));

          assertThat(moved.state()).as(move).isEqualTo(to);
          assertThat(moved.attempt()).as(move).isZero();
          assertThat(moved.process()).as(move).isEmpty();
          assertThat(moved.updatedAt()).as(move).isEqualTo(T0.plusSeconds(5));
          assertThat(moved.nextAttemptAt()).as(move).isEqualTo(T0.plusSeconds(5));
          assertThat(moved.pendingVersion()).as(move).contains(3);
        } else {
          assertThatThrownBy(() -> rotation.moveTo(to, T0.plusSeconds(5)))
              .as(move)
              .isInstanceOf(IllegalStateException.class)
              .hasMessage("rotation rot_1: " + move + " is not allowed");
        }
      }
    }
  }

  @Test
  void finalStates_moveNowhereAndAreTheOnlyFinalOnes() {
    for (RotationState state : RotationState.values()) {
      boolean movesSomewhere = false;
      for (RotationState to : RotationState.values()) {
        movesSomewhere |= state.canMoveTo(to);
      }

      assertThat(state.isFinal()).as(state.wireName()).isEqualTo(!movesSomewhere);
    }
    assertThat(RotationState.FINISHED.isFinal()).isTrue();
    assertThat(RotationState.FAILED.isFinal()).isTrue();
  }

  @Test
  void cancellable_onlyBeforeFinish() {
    List<RotationState> cancellable = new ArrayList<>();

    for (RotationState state : RotationState.values()) {
      if (state.cancellable()) {
        cancellable.add(state);
      }
    }

    assertThat(cancellable)
        .containsExactly(RotationState.CREATE, RotationState.SET, RotationState.TEST);
    for (RotationState state : cancellable) {
      assertThat(state.canMoveTo(RotationState.ROLLBACK)).as(state.wireName()).isTrue();
    }
  }

  @Test
  void fromWire_everyState_roundTrips() {
    for (RotationState state : RotationState.values()) {
      assertThat(RotationState.fromWire(state.wireName())).isEqualTo(state);
    }
  }

  private static Rotation rotationIn(RotationState state) {
    return Rotation.builder()
        .id("rot_1")
        .secret(SecretName.of("app/prod/DB"))
        .state(state)
        .attempt(2)
        .startedAt(T0)
        .pendingVersion(Optional.of(3))
        .process(Optional.of(4242L))
        .requestedBy("tok")
        .build();
  }
}
