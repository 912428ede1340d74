package dev.keyturn.cli.doctor;

import static java.util.Objects.requireNonNull;

/**
 * One thing {@code keyturn doctor} found: a check's stable id (docs/doctor.md), its level, the
 * variable it concerns (empty for a file), where ({@code file:line}, a file, or {@code env:VAR})
 * and a message for people. Never holds a value.
 */
public record Finding(String check, Level level, String variable, String location, String message) {
  /** How bad it is: an error makes doctor exit 3, a warning does not. */
  public enum Level {
    ERROR,
    WARNING;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Finding {
    requireNonNull(check, "check");
    requireNonNull(level, "level");
    requireNonNull(variable, "variable");
    requireNonNull(location, "location");
    requireNonNull(message, "message");
  }

  static Finding error(String check, String variable, String location, String message) {
    return new Finding(check, Level.ERROR, variable, location, message);
  }

  static Finding warning(String check, String variable, String location, String message) {
    return new Finding(check, Level.WARNING, variable, location, message);
  }
}
