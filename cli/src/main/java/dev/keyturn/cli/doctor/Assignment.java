package dev.keyturn.cli.doctor;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One variable set in one place: an env file line, a unit's {@code Environment=} entry, or doctor's
 * own environment. Holds a value, so it is not a record and {@code toString} names the place only.
 */
final class Assignment {
  /** Where the assignment was made. */
  enum Origin {
    ENV_FILE,
    UNIT_INLINE,
    PROCESS
  }

  private final String variable;
  private final String value;
  private final String location;
  private final Optional<Path> file;
  private final Origin origin;

  Assignment(String variable, String value, String location, Optional<Path> file, Origin origin) {
    this.variable = variable;
    this.value = value;
    this.location = location;
    this.file = file;
    this.origin = origin;
  }

  String variable() {
    return variable;
  }

  /** The value; never to be printed. */
  String reveal() {
    return value;
  }

  String location() {
    return location;
  }

  Optional<Path> file() {
    return file;
  }

  Origin origin() {
    return origin;
  }

  @Override
  public String toString() {
    return variable + " at " + location;
  }
}
