package dev.keyturn.api;

/**
 * Body of {@code POST /v1/rotate/{name}}: empty, or a {@code value} for a manual rotation (or an
 * emergency with a known value), and {@code emergency: true} to retire the old value at once.
 */
public record RotateRequest(String value, Boolean emergency) {

  /** Never shows the value. */
  @Override
  public String toString() {
    return "RotateRequest[value="
        + (value == null ? "none" : "[redacted]")
        + ", emergency="
        + emergency
        + "]";
  }
}
