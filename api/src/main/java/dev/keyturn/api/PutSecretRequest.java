package dev.keyturn.api;

import tools.jackson.databind.JsonNode;

/**
 * Body of {@code PUT /v1/secrets/{name}}: exactly one of {@code value} (text), {@code value_json}
 * (a JSON object) or {@code generate} (a generator spec such as {@code hex:32}). {@code grace} is a
 * duration ({@code 24h}) during which the replaced version stays valid as {@code previous}; {@code
 * stage} is {@code current} (the default) or {@code pending}. A supplied value that is a
 * placeholder is refused unless {@code allow_placeholder} is true (docs/doctor.md). {@code cas}
 * makes the write a compare-and-set: it names the version expected in stage {@code current} ({@code
 * 0}: the secret has no current version yet), and the server refuses the write with 409 {@code
 * cas_mismatch} if another one stands there when the write would commit.
 */
public record PutSecretRequest(
    String value,
    JsonNode valueJson,
    String generate,
    String grace,
    String stage,
    Boolean allowPlaceholder,
    Integer cas) {

  public PutSecretRequest(
      String value, JsonNode valueJson, String generate, String grace, String stage) {
    this(value, valueJson, generate, grace, stage, null, null);
  }

  public PutSecretRequest(
      String value,
      JsonNode valueJson,
      String generate,
      String grace,
      String stage,
      Boolean allowPlaceholder) {
    this(value, valueJson, generate, grace, stage, allowPlaceholder, null);
  }

  /** Never shows the value. */
  @Override
  public String toString() {
    return "PutSecretRequest[value="
        + (value == null && valueJson == null ? "none" : "[redacted]")
        + ", generate="
        + generate
        + ", grace="
        + grace
        + ", stage="
        + stage
        + ", allowPlaceholder="
        + allowPlaceholder
        + ", cas="
        + cas
        + "]";
  }
}
