package dev.keyturn.keyring;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks and orders a keyring's versions; the one place that decides the order keys are tried. */
final class Versions {
  private Versions() {}

  /**
   * @throws IllegalArgumentException when {@code versions} is empty, repeats a number or holds more
   *     than one current or pending version
   */
  static void check(String name, List<KeyVersion> versions) {
    if (versions.isEmpty()) {
      throw new IllegalArgumentException(name + ": a keyring needs at least one version");
    }
    Set<Integer> seen = new HashSet<>();
    int current = 0;
    int pending = 0;
    for (KeyVersion v : versions) {
      if (!seen.add(v.version())) {
        throw new IllegalArgumentException(name + "#" + v.version() + " appears twice");
      }
      current += v.stage() == KeyStage.CURRENT ? 1 : 0;
      pending += v.stage() == KeyStage.PENDING ? 1 : 0;
    }
    if (current > 1 || pending > 1) {
      throw new IllegalArgumentException(
          name + ": a keyring has at most one current and one pending version");
    }
  }

  /** Current, then pending, then previous versions newest first: MultiFernet's order of trial. */
  static List<KeyVersion> currentFirst(List<KeyVersion> versions) {
    List<KeyVersion> sorted = new ArrayList<>(versions);
    sorted.sort(
        Comparator.comparingInt((KeyVersion v) -> rank(v.stage()))
            .thenComparing(Comparator.comparingInt(KeyVersion::version).reversed()));
    return sorted;
  }

  private static int rank(KeyStage stage) {
    switch (stage) {
      case CURRENT:
        return 0;
      case PENDING:
        return 1;
      default:
        return 2;
    }
  }
}
