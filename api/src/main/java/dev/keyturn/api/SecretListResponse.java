package dev.keyturn.api;

import java.util.List;

/** A page of secret names; {@code next_page_token} is null on the last page. */
public record SecretListResponse(List<SecretSummary> secrets, String nextPageToken) {}
