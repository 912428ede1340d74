package dev.keyturn.api;

import java.util.List;

/**
 * Answer of {@code POST /v1/fingerprints}: the key made for this request ({@code key}, base64 of 32
 * bytes), one entry per pending, current and previous version at or below {@code prefix} that the
 * caller may read, and how many secrets there the caller may not read though it holds another grant
 * on them ({@code unreadable}; their names are not given; secrets it holds no grant on are not
 * counted). Never holds a value; see docs/api.md for how the digests are computed. The digests and
 * the key together are as sensitive as the values (short windows can be guessed offline): keep them
 * in memory only.
 */
public record FingerprintResponse(
    String prefix, String key, List<FingerprintVersion> versions, int unreadable) {

  public FingerprintResponse {
    versions = List.copyOf(versions);
  }

  /** Never shows the key. */
  @Override
  public String toString() {
    return "FingerprintResponse[" + prefix + ", versions=" + versions.size() + ", key=[redacted]]";
  }
}
