package dev.keyturn.api;

import java.util.List;

/**
 * Body of {@code POST /v1/fingerprints}: the folder to fingerprint ({@code prefix}, empty or absent
 * for every name) and the encodings to digest ({@code raw}, {@code base64}, {@code url}; absent for
 * all three).
 */
public record FingerprintRequest(String prefix, List<String> encodings) {

  public FingerprintRequest {
    encodings = encodings == null ? null : List.copyOf(encodings);
  }
}
