package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * The server cannot answer now: a 503 (its store is unavailable, it is sealed or starting), the
 * server could not be reached at all ({@link KeyturnConnectionException}), or a {@link SecretCache}
 * entry is older than its {@code maxStale}. Retrying later may work; the HTTP client has already
 * retried reads and compare-and-set writes up to its attempt limit before throwing this.
 */
public class KeyturnUnavailableException extends KeyturnClientException {
  private static final long serialVersionUID = 1L;

  private final transient Optional<Duration> retryAfter;

  /** A 503 with the server's {@code code}, {@code message} and {@code Retry-After}. */
  public KeyturnUnavailableException(String code, String message, Optional<Duration> retryAfter) {
    this(503, code, message, retryAfter, null);
  }

  /**
   * An unavailability with any {@code status} (0: not reached) and a {@code cause} (may be null).
   */
  protected KeyturnUnavailableException(
      int status, String code, String message, Optional<Duration> retryAfter, Throwable cause) {
    super(status, code, message, cause);
    this.retryAfter = requireNonNull(retryAfter, "retryAfter");
  }

  /** The wait the server asked for, if it sent {@code Retry-After}. */
  public Optional<Duration> retryAfter() {
    return retryAfter == null ? Optional.empty() : retryAfter;
  }
}
