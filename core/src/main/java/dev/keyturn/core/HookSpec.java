package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Map;

/**
 * A hook of a rotation rule: something run at a phase ({@code after-set}, {@code after-finish},
 * {@code on-failure}) such as {@code systemctl reload gunicorn}, a signed HTTP call or a SQL
 * statement. A check is a hook whose failure fails the step it follows (after-set and after-finish
 * only); other hooks' failures are recorded and do not stop the rotation.
 *
 * @param type {@code command}, {@code http} or {@code sql}
 * @param settings the type's settings, e.g. {@code command}, {@code url}, {@code statement}
 */
public record HookSpec(Phase phase, String type, boolean check, Map<String, String> settings) {

  /** When a hook runs. */
  public enum Phase {
    AFTER_SET,
    AFTER_FINISH,
    ON_FAILURE;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Phase fromWire(String name) {
      for (Phase p : values()) {
        if (p.wireName().equals(name)) {
          return p;
        }
      }
      throw new KeyturnException.InvalidInput(
          "unknown hook phase (after-set, after-finish, on-failure)");
    }
  }

  public HookSpec {
    requireNonNull(phase, "phase");
    requireNonNull(type, "type");
    settings = Map.copyOf(settings);
    if (check && phase == Phase.ON_FAILURE) {
      throw new KeyturnException.InvalidInput(
          "a check runs after-set or after-finish, not on-failure");
    }
  }

  /** A short name for checklists, e.g. {@code after-set command}. */
  public String label() {
    return phase.wireName() + " " + (check ? "check " : "hook ") + type;
  }
}
