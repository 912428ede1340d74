package dev.keyturn.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One keyring member; {@code accept_until} is set for previous versions only. {@code held_by} names
 * the live consumers that still use a previous version past its {@code accept_until}, which keeps
 * it from retirement (left out when none).
 */
public record KeyringEntry(
    int version,
    String stage,
    JsonNode value,
    String acceptUntil,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> heldBy) {

  /** A member no consumer holds. */
  public KeyringEntry(int version, String stage, JsonNode value, String acceptUntil) {
    this(version, stage, value, acceptUntil, List.of());
  }

  /** Never shows the value. */
  @Override
  public String toString() {
    return "KeyringEntry[#" + version + " " + stage + ", value=[redacted]]";
  }
}
