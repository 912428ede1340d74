package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * Metadata of one immutable version of a secret. Cannot hold the value: the value lives encrypted
 * in the store and in memory only as {@link Plaintext}. {@code fingerprint} is a keyed hash that
 * tells whether two versions hold the same value without revealing it.
 *
 * @param acceptUntil for a {@code previous} version, the end of its grace window
 */
public record Version(
    int number,
    Stage stage,
    ValueType type,
    Instant createdAt,
    String createdBy,
    Optional<Instant> acceptUntil,
    String fingerprint) {

  public Version {
    if (number < 1) {
      throw new IllegalArgumentException("version numbers start at 1: " + number);
    }
    requireNonNull(stage, "stage");
    requireNonNull(type, "type");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(createdBy, "createdBy");
    requireNonNull(acceptUntil, "acceptUntil");
    requireNonNull(fingerprint, "fingerprint");
    if (acceptUntil.isPresent() && stage != Stage.PREVIOUS) {
      throw new IllegalArgumentException("only a previous version has accept_until");
    }
  }

  /** This version in {@code stage}; {@code acceptUntil} is kept only for {@code previous}. */
  public Version withStage(Stage stage, Optional<Instant> acceptUntil) {
    return new Version(number, stage, type, createdAt, createdBy, acceptUntil, fingerprint);
  }

  /** This version with {@code fingerprint} (its value's, under another data key). */
  public Version withFingerprint(String fingerprint) {
    return new Version(number, stage, type, createdAt, createdBy, acceptUntil, fingerprint);
  }

  /** True if a previous version's grace window has ended at {@code now}. */
  public boolean expiredAt(Instant now) {
    return stage == Stage.PREVIOUS && acceptUntil.map(until -> !until.isAfter(now)).orElse(false);
  }
}
