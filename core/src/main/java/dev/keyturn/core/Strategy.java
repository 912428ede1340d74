package dev.keyturn.core;

import java.util.Locale;

/** How a rotation applies a new value; see DESIGN.md section 2. */
public enum Strategy {
  /** New and old both valid for the grace window: HMAC, JWT, Fernet, framework keys. */
  OVERLAP,
  /** One login, changed in place: no overlap, the old value is retired at finish. */
  SINGLE_USER,
  /** Two logins, the one not in use is changed each time. */
  ALTERNATING_USERS,
  /** A person supplies the value (an SMTP password from a mail provider), then it is tested. */
  MANUAL,
  /**
   * A new Fernet key; the rows of an application's table are re-encrypted under it (the rule's
   * database target sweeps them), and the old key retires once no row needs it.
   */
  REENCRYPT;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Strategy fromWire(String name) {
    for (Strategy s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    throw new KeyturnException.InvalidInput(
        "unknown strategy (overlap, single-user, alternating-users, manual, reencrypt)");
  }

  /** Whether the replaced version stays valid for the rule's grace window. */
  public boolean keepsPreviousForGrace() {
    return this == OVERLAP || this == MANUAL;
  }
}
