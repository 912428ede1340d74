package dev.keyturn.core;

import java.util.Locale;

/**
 * Where a version stands. The allowed moves are encoded here and nowhere else:
 *
 * <pre>
 *   pending  -> current   (promote)            pending  -> retired  (roll back)
 *   current  -> previous  (replaced, grace)    current  -> retired  (replaced, no grace)
 *   previous -> retired   (grace over)         previous -> current  (an admin's roll-back)
 * </pre>
 *
 * Retired is final. A current version leaves {@code current} only because another one takes its
 * place ({@link VersionSet} enforces that).
 */
public enum Stage {
  PENDING,
  CURRENT,
  PREVIOUS,
  RETIRED;

  public boolean canMoveTo(Stage target) {
    return switch (this) {
      case PENDING -> target == CURRENT || target == RETIRED;
      case CURRENT -> target == PREVIOUS || target == RETIRED;
      case PREVIOUS -> target == RETIRED || target == CURRENT;
      case RETIRED -> false;
    };
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Stage fromWire(String name) {
    for (Stage stage : values()) {
      if (stage.wireName().equals(name)) {
        return stage;
      }
    }
    throw new KeyturnException.InvalidInput("unknown stage (pending, current, previous, retired)");
  }
}
