package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.RootKeyStatus;

/**
 * {@code GET /v1/root-key} and {@code POST /v1/root-key/rotate} ({@code admin:*}, declared in
 * {@link Routes}): the root key in force and the progress of its rotation; starting (or resuming) a
 * rotation, which runs on ({@link RootKeyRotator}) after the answer.
 */
final class RootKeyApi {
  private final RootKeyRotator rotator;

  RootKeyApi(RootKeyRotator rotator) {
    this.rotator = requireNonNull(rotator, "rotator");
  }

  RootKeyStatus status(Exchange ex) {
    return rotator.status();
  }

  RootKeyStatus rotate(Exchange ex) {
    RootKeyStatus status = rotator.start(ex.caller, ex.client);
    ex.detail = "from " + status.from() + " to " + status.to();
    return status;
  }
}
