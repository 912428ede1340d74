package dev.keyturn.api;

/** {@code POST /v1/unseal}: one root key share, as {@code keyturn root-key split} printed it. */
public record UnsealRequest(String share) {
  /** Never shows the share. */
  @Override
  public String toString() {
    return "UnsealRequest[share=[redacted]]";
  }
}
