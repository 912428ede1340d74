package dev.keyturn.api;

import java.util.List;

/**
 * {@code POST /v1/root-key/confirm}: at least the threshold's number of the shares that {@code POST
 * /v1/root-key/rotate} gave for a share-held root key's new key, read back from where the operator
 * saved them. {@code toString} never shows a share.
 */
public record RootKeyConfirmRequest(List<String> shares) {
  public RootKeyConfirmRequest {
    shares = shares == null ? List.of() : List.copyOf(shares);
  }

  /** Never shows a share. */
  @Override
  public String toString() {
    return "RootKeyConfirmRequest[shares=[redacted]]";
  }
}
