package dev.keyturn.core;

import java.util.Locale;

/**
 * Where a rotation stands. Steps run in order {@code create -> set -> test -> finish}; a step that
 * keeps failing leads to {@code rollback}; {@code finished} and {@code failed} are final.
 */
public enum RotationState {
  CREATE,
  SET,
  TEST,
  FINISH,
  ROLLBACK,
  FINISHED,
  FAILED;

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
