package dev.keyturn.api;

/**
 * One byte string a scan looks for: the whole value, or for a JSON value one password-like string
 * {@code field} ({@code password}, {@code secret}, {@code token}, {@code key} and names containing
 * them; null for the whole value), in one {@code encoding} ({@code raw}, {@code base64}, {@code
 * base64+1}, {@code base64+2}, {@code url}); its {@code length} in bytes, {@code digest} (base64
 * HMAC-SHA256 under the request's key), and {@code windows}: base64 of the 4-byte big-endian
 * digests of its windows of {@code window} bytes (8, or 4 for strings under 15 bytes), one per
 * offset from 0.
 */
public record FingerprintPattern(
    String field, String encoding, int length, String digest, int window, String windows) {

  /** Never shows the digests. */
  @Override
  public String toString() {
    return "FingerprintPattern[" + encoding + (field == null ? "" : " " + field) + "]";
  }
}
