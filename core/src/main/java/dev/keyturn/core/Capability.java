package dev.keyturn.core;

import java.util.Locale;

/** What a grant allows. {@code admin} includes every other capability on the names it covers. */
public enum Capability {
  READ,
  LIST,
  WRITE,
  ROTATE,
  ADMIN;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Capability fromWire(String name) {
    for (Capability c : values()) {
      if (c.wireName().equals(name)) {
        return c;
      }
    }
    throw new KeyturnException.InvalidInput(
        "unknown capability (read, list, write, rotate, admin)");
  }
}
