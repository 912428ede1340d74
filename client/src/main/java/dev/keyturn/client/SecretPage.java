package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing, in name order; pass {@link #nextPageToken()} to {@link
 * KeyturnClient#list(String, String)} for the next.
 *
 * @param secrets the rows
 * @param nextPageToken the next page's token; empty on the last page
 */
public record SecretPage(List<SecretInfo> secrets, Optional<String> nextPageToken) {
  /** Checks and copies. */
  public SecretPage {
    secrets = List.copyOf(secrets);
    requireNonNull(nextPageToken, "nextPageToken");
  }
}
