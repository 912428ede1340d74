package dev.keyturn.keyring;

import static java.util.Objects.requireNonNull;

/** The keyring version that verified a signature or opened a token. Holds no key material. */
public record VersionMatch(int version, KeyStage stage) {
  public VersionMatch {
    requireNonNull(stage, "stage");
  }
}
