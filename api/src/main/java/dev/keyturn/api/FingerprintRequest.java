package dev.keyturn.api;

import java.util.List;

/**
 * Body of {@code POST /v1/fingerprints}: the folder to fingerprint ({@code prefix}, empty or absent
 * for every name), the encodings to digest ({@code raw}, {@code base64}, {@code url}; absent for
 * all three), and {@code patterns}: false for each version's value digest alone, without the
 * patterns a scan needs ({@code keyturn backup drill}); absent or true for them.
 */
public record FingerprintRequest(String prefix, List<String> encodings, Boolean patterns) {

  public FingerprintRequest {
    encodings = encodings == null ? null : List.copyOf(encodings);
  }

  /** A request with the patterns, as a scan sends it. */
  public FingerprintRequest(String prefix, List<String> encodings) {
    this(prefix, encodings, null);
  }

  /** Whether the answer carries patterns (absent means yes). */
  public boolean withPatterns() {
    return patterns == null || patterns;
  }
}
