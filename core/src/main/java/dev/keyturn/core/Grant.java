package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

/**
 * One access grant, {@code capability:glob}, e.g. {@code read:app/production/*}. In the glob,
 * {@code *} matches any characters including {@code /}; every other character matches itself.
 *
 * <p>{@link #parse} takes only canonical grants; grants already stored are read back with {@link
 * #ofStored}, so that tokens made under older rules keep working.
 */
public record Grant(Capability capability, String glob) {
  /** The most {@code *} a new grant's glob may hold. */
  public static final int MAX_STARS = Glob.MAX_STARS;

  public Grant {
    requireNonNull(capability, "capability");
    requireNonNull(glob, "glob");
    if (glob.isEmpty()) {
      throw new KeyturnException.InvalidInput("a grant needs a name pattern, e.g. read:app/*");
    }
  }

  /**
   * A new grant from its text.
   *
   * @throws KeyturnException.InvalidInput naming what is wrong (never quoting the text) when the
   *     text is not {@code capability:glob} with a known capability and a canonical glob
   */
  public static Grant parse(String text) {
    Grant grant = ofStored(text);
    String problem = Glob.problem(grant.glob);
    if (problem != null) {
      throw new KeyturnException.InvalidInput("invalid grant: " + problem);
    }
    return grant;
  }

  /** A grant as stored with a token: only its form is checked, not its glob's canonical rules. */
  public static Grant ofStored(String text) {
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
    return (capability == wanted || capability == Capability.ADMIN) && Glob.matches(glob, name);
  }

  /**
   * True if this grant covers {@code other}: its capability is the same or {@code admin}, and every
   * name the other's glob matches is matched by this glob. Decided exactly (see {@link
   * Glob#includes}); so {@code admin:*}{@code /dev/*} does not cover {@code admin:*}, and {@code
   * admin:app/dev/*_PUBLIC} does not cover {@code read:app/dev/*}.
   */
  public boolean covers(Grant other) {
    if (capability != other.capability && capability != Capability.ADMIN) {
      return false;
    }
    return Glob.includes(glob, other.glob);
  }

  @Override
  public String toString() {
    return capability.wireName() + ":" + glob;
  }
}
