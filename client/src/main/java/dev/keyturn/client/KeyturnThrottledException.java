package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * 429: the server refused the request because this client (or its address) sent too many; nothing
 * was done. {@link #retryAfter()} is the wait the server asked for in {@code Retry-After}. The HTTP
 * client has already waited and retried reads and compare-and-set writes up to its attempt limit
 * before throwing this.
 */
public class KeyturnThrottledException extends KeyturnClientException {
  private static final long serialVersionUID = 1L;

  private final transient Optional<Duration> retryAfter;

  /** A 429 with the server's {@code code}, {@code message} and {@code Retry-After}. */
  public KeyturnThrottledException(String code, String message, Optional<Duration> retryAfter) {
    super(429, code, message);
    this.retryAfter = requireNonNull(retryAfter, "retryAfter");
  }

  /** The wait the server asked for, if it sent {@code Retry-After}. */
  public Optional<Duration> retryAfter() {
    return retryAfter == null ? Optional.empty() : retryAfter;
  }
}
