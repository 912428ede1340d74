package dev.keyturn.keyring;

import java.util.Locale;

/** Where a version in a keyring stands: the stages a keyring holds (retired versions never). */
public enum KeyStage {
  PENDING,
  CURRENT,
  PREVIOUS;

  /**
   * The stage named as the API names it ({@code pending}, {@code current}, {@code previous}).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static KeyStage of(String name) {
    switch (name) {
      case "pending":
        return PENDING;
      case "current":
        return CURRENT;
      case "previous":
        return PREVIOUS;
      default:
        throw new IllegalArgumentException("not a keyring stage: '" + name + "'");
    }
  }

  /** The API's name: {@code pending}, {@code current} or {@code previous}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
