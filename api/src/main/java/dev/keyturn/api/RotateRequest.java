package dev.keyturn.api;

/**
 * Body of {@code POST /v1/rotate/{name}}: empty; {@code value} for a rotation under a {@code
 * manual} rule (nothing else accepts one); {@code emergency: true} to retire the old value at once;
 * and {@code reason}, what the requester says (why an emergency), kept in the rotation and its
 * audit record.
 */
public record RotateRequest(String value, Boolean emergency, String reason) {

  /** A request without a reason. */
  public RotateRequest(String value, Boolean emergency) {
    this(value, emergency, null);
  }

  /** Never shows the value. */
  @Override
  public String toString() {
    return "RotateRequest[value="
        + (value == null ? "none" : "[redacted]")
        + ", emergency="
        + emergency
        + ", reason="
        + (reason == null ? "none" : "given")
        + "]";
  }
}
