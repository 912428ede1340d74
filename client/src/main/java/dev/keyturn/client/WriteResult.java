package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a write made: the version's number and stage, when it was created, and the ids of hygiene
 * checks the value failed without being refused (a weak value; never the value itself).
 *
 * @param name the secret
 * @param version the new version's number
 * @param stage its stage now
 * @param createdAt when it was created
 * @param warnings hygiene check ids (empty when none)
 */
public record WriteResult(
    String name, int version, Stage stage, Optional<Instant> createdAt, List<String> warnings) {
  /** Checks and copies. */
  public WriteResult {
    requireNonNull(name, "name");
    requireNonNull(stage, "stage");
    requireNonNull(createdAt, "createdAt");
    warnings = List.copyOf(warnings);
  }
}
