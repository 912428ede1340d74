package dev.keyturn.api;

import java.util.List;

/**
 * Every current value one level below {@code prefix} that the caller may read, in name order
 * ({@code GET /v1/bundles}). Secrets the caller may not read are left out, never refused.
 */
public record BundleResponse(String prefix, List<BundleEntry> secrets) {

  public BundleResponse {
    secrets = List.copyOf(secrets);
  }
}
