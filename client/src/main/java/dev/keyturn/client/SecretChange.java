package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * A change event: version {@code version} of {@code name} was created in, or moved to, {@code
 * stage}. Never a value: re-read what changed.
 *
 * @param name the secret
 * @param version the version
 * @param stage its stage now
 * @param at when, when the server said
 */
public record SecretChange(String name, int version, Stage stage, Optional<Instant> at) {
  /** Checks. */
  public SecretChange {
    requireNonNull(name, "name");
    requireNonNull(stage, "stage");
    requireNonNull(at, "at");
  }
}
