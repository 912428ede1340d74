package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.RootKeyConfirmRequest;
import dev.keyturn.api.RootKeyStatus;
import java.util.OptionalInt;

/**
 * {@code GET /v1/root-key}, {@code POST /v1/root-key/rotate} and {@code POST /v1/root-key/confirm}
 * ({@code admin:*}, declared in {@link Routes}): the root key in force and the progress of its
 * rotation; starting (or resuming) a rotation, which runs on ({@link RootKeyRotator}) after the
 * answer; for a share-held key, the new key's shares ({@code ?shares=N}) and the confirmation that
 * begins its rotation. The audit records name key ids and counts, never a share.
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
    OptionalInt shares = OptionalInt.empty();
    if (ex.query("shares").isPresent()) {
      String given = ex.query("shares").get();
      if (!given.matches("[0-9]{1,3}")) {
        throw HttpError.badRequest("shares must be a number of shares");
      }
      shares = OptionalInt.of(Integer.parseInt(given));
    }
    RootKeyStatus status = rotator.start(ex.caller, ex.client, shares);
    ex.detail =
        status.newShares().isEmpty()
            ? "from " + status.from() + " to " + status.to()
            : "new key "
                + status.to()
                + " made for a rotation from "
                + status.from()
                + "; "
                + status.newShares().size()
                + " shares (threshold "
                + status.threshold()
                + ") answered to the caller, awaiting confirmation";
    return status;
  }

  RootKeyStatus confirm(Exchange ex) {
    RootKeyConfirmRequest request = ex.body(RootKeyConfirmRequest.class);
    RootKeyStatus status = rotator.confirm(ex.caller, ex.client, request.shares());
    ex.detail =
        "confirmed with "
            + request.shares().size()
            + " shares: from "
            + status.from()
            + " to "
            + status.to();
    return status;
  }
}
