package dev.keyturn.api;

import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One secret of a bundle: its current value ({@code value} is a JSON string, or a JSON object for
 * structured secrets such as a database's), with {@code type} {@code string} or {@code json}. With
 * {@code ?keyring=true}, {@code fallbacks} holds the other values valid now: the pending one first,
 * then the previous ones newest first (each with its {@code accept_until}); otherwise it is null.
 */
public record BundleEntry(
    String name,
    int version,
    String stage,
    String type,
    JsonNode value,
    String createdAt,
    List<KeyringEntry> fallbacks) {

  public BundleEntry {
    fallbacks = fallbacks == null ? null : List.copyOf(fallbacks);
  }

  /** Never shows a value. */
  @Override
  public String toString() {
    return "BundleEntry[" + name + "#" + version + " " + stage + ", value=[redacted]]";
  }
}
