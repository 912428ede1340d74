package dev.keyturn.api;

import java.util.List;

/**
 * One version of a {@link FingerprintResponse}: its name, number, stage and {@code type}, the
 * value's length in bytes and {@code digest} (base64 HMAC-SHA256 of the stored bytes under the
 * request's key), and the {@code patterns} a scan looks for (none for a value shorter than 8 bytes,
 * which is not searched; none when the request asked for none), and {@code accept_until} (RFC 3339,
 * for a previous version; else null).
 */
public record FingerprintVersion(
    String name,
    int version,
    String stage,
    String type,
    int length,
    String digest,
    List<FingerprintPattern> patterns,
    String acceptUntil) {

  public FingerprintVersion {
    patterns = List.copyOf(patterns);
  }
}
