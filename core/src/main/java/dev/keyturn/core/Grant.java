package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

/**
 * One access grant, {@code capability:glob}, e.g. {@code read:app/production/*}. In the glob,
 * {@code *} matches any characters including {@code /}; every other character matches itself.
 */
public record Grant(Capability capability, String glob) {
  public Grant {
    requireNonNull(capability, "capability");
    requireNonNull(glob, "glob");
    if (glob.isEmpty()) {
      throw new KeyturnException.InvalidInput("a grant needs a name pattern, e.g. read:app/*");
    }
  }

  public static Grant parse(String text) {
    requireNonNull(text, "text");
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new KeyturnException.InvalidInput(
          "invalid grant (use capability:pattern, e.g. read:app/production/*)");
    }
    return new Grant(Capability.fromWire(text.substring(0, colon)), text.substring(colon + 1));
  }

  /** True if this grant allows {@code wanted} on {@code name}. */
  public boolean allows(Capability wanted, String name) {
    return (capability == wanted || capability == Capability.ADMIN) && matches(glob, name);
  }

  /**
   * True if this grant covers {@code other}: its capability is the same or {@code admin}, and the
   * other's glob starts with this glob's text before its first {@code *} (or equals this glob when
   * it has none).
   */
  public boolean covers(Grant other) {
    if (capability != other.capability && capability != Capability.ADMIN) {
      return false;
    }
    int star = glob.indexOf('*');
    return star < 0 ? glob.equals(other.glob) : other.glob.startsWith(glob.substring(0, star));
  }

  @Override
  public String toString() {
    return capability.wireName() + ":" + glob;
  }

  static boolean matches(String glob, String name) {
    // Iterative wildcard match with backtracking to the last '*': linear in practice, no regex.
    int g = 0;
    int n = 0;
    int star = -1;
    int mark = 0;
    while (n < name.length()) {
      if (g < glob.length() && glob.charAt(g) == '*') {
        star = g++;
        mark = n;
      } else if (g < glob.length() && glob.charAt(g) == name.charAt(n)) {
        g++;
        n++;
      } else if (star >= 0) {
        g = star + 1;
        n = ++mark;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') {
      g++;
    }
    return g == glob.length();
  }
}
