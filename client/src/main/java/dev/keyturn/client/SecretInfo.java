package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * One row of a listing: metadata only, it cannot hold a value.
 *
 * @param name the secret
 * @param currentVersion its current version's number, when it has one
 * @param versionCount how many versions it has
 * @param updatedAt when it last changed, when the server said
 */
public record SecretInfo(
    String name, Optional<Integer> currentVersion, int versionCount, Optional<Instant> updatedAt) {
  /** Checks. */
  public SecretInfo {
    requireNonNull(name, "name");
    requireNonNull(currentVersion, "currentVersion");
    requireNonNull(updatedAt, "updatedAt");
  }
}
