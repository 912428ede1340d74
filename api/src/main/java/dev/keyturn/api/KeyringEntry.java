package dev.keyturn.api;

import tools.jackson.databind.JsonNode;

/** One keyring member; {@code accept_until} is set for previous versions only. */
public record KeyringEntry(int version, String stage, JsonNode value, String acceptUntil) {

  /** Never shows the value. */
  @Override
  public String toString() {
    return "KeyringEntry[#" + version + " " + stage + ", value=[redacted]]";
  }
}
