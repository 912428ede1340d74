package dev.keyturn.api;

import tools.jackson.databind.JsonNode;

/** One value read: {@code value} is a JSON string, or a JSON object for structured secrets. */
public record SecretValueResponse(
    String name, int version, String stage, JsonNode value, String createdAt) {

  /** Never shows the value. */
  @Override
  public String toString() {
    return "SecretValueResponse[" + name + "#" + version + " " + stage + ", value=[redacted]]";
  }
}
