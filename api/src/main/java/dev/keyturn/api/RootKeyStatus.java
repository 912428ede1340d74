package dev.keyturn.api;

import java.util.List;

/**
 * The answer of {@code GET /v1/root-key}, {@code POST /v1/root-key/rotate} and {@code POST
 * /v1/root-key/confirm}: the root key in force ({@code rootKeyId}, the one new keys are wrapped
 * by), the rotation's {@code state} ({@code idle}, {@code awaiting-confirmation}, {@code rotating}
 * or {@code failed}), its {@code from} and {@code to} key ids (empty when idle and none ran since
 * the start), how many data keys this server rewrapped for it ({@code rewrapped}), the key file it
 * wrote or keeps ({@code keyFile}, empty for a share-held key) and a one-line {@code note} (the
 * failure, or what to do next).
 *
 * <p>For a share-held root key, the answer to the rotate request that made a new key (and only that
 * answer) carries its shares ({@code newShares}, any {@code threshold} of which rebuild it): the
 * server keeps the key in memory, never the shares. Every other answer has none. {@code toString}
 * never shows a share.
 */
public record RootKeyStatus(
    String rootKeyId,
    String state,
    String from,
    String to,
    long rewrapped,
    String keyFile,
    String note,
    List<String> newShares,
    int threshold) {
  public RootKeyStatus {
    newShares = newShares == null ? List.of() : List.copyOf(newShares);
  }

  /** Never shows a share. */
  @Override
  public String toString() {
    return "RootKeyStatus[rootKeyId="
        + rootKeyId
        + ", state="
        + state
        + ", from="
        + from
        + ", to="
        + to
        + ", rewrapped="
        + rewrapped
        + ", newShares="
        + (newShares.isEmpty() ? "[]" : "[redacted]")
        + ", threshold="
        + threshold
        + "]";
  }
}
