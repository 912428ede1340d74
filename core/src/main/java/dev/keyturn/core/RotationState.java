package dev.keyturn.core;

import java.util.Locale;

/**
 * Where a rotation stands. Steps run in order {@code create -> set -> test -> finish}; a step that
 * keeps failing (or a cancel) leads to {@code rollback}; {@code finished} and {@code failed} are
 * final. The allowed moves live here, in one table ({@link #canMoveTo}), as {@link Stage}'s do.
 */
public enum RotationState {
  CREATE,
  SET,
  TEST,
  FINISH,
  ROLLBACK,
  FINISHED,
  FAILED;

  /**
   * Whether a rotation may move from this state to {@code next}: forward one step, to {@code
   * rollback} when a step keeps failing, to {@code failed} from any unfinished state (the rule was
   * removed; an after-finish check failed; the rollback ended), to {@code finished} from {@code
   * finish} only. Final states move nowhere.
   */
  public boolean canMoveTo(RotationState next) {
    return switch (this) {
      case CREATE -> next == SET || next == ROLLBACK || next == FAILED;
      case SET -> next == TEST || next == ROLLBACK || next == FAILED;
      case TEST -> next == FINISH || next == ROLLBACK || next == FAILED;
      case FINISH -> next == FINISHED || next == ROLLBACK || next == FAILED;
      case ROLLBACK -> next == FAILED;
      case FINISHED, FAILED -> false;
    };
  }

  /**
   * Whether a person may still cancel a rotation in this state (it then rolls back): not once it is
   * in {@code finish}, which may already have made the new value current, nor while it rolls back
   * or after it ended.
   */
  public boolean cancellable() {
    return switch (this) {
      case CREATE, SET, TEST -> true;
      case FINISH, ROLLBACK, FINISHED, FAILED -> false;
    };
  }

  public boolean isFinal() {
    return this == FINISHED || this == FAILED;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RotationState fromWire(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
