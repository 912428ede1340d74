package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * The one unchecked root of every error the Java SDK throws: an error answer from the Keyturn
 * server, a request the client refuses to send, or the failure to reach the server. There is one
 * subclass per decision a caller makes:
 *
 * <ul>
 *   <li>{@link KeyturnInvalidRequestException}: 400 or 413, or refused before sending (a hostile
 *       name); fix the request.
 *   <li>{@link KeyturnUnauthorizedException}: 401; the token is missing, unknown, expired or
 *       revoked.
 *   <li>{@link KeyturnForbiddenException}: 403; the token lacks the capability on that name.
 *   <li>{@link KeyturnNotFoundException}: 404; no such secret or version.
 *   <li>{@link KeyturnConflictException}: 409; the request contradicts the secret's state (a
 *       compare-and-set mismatch, a rotation in progress).
 *   <li>{@link KeyturnThrottledException}: 429; too many requests, retry after a while.
 *   <li>{@link KeyturnUnavailableException}: 503, or the server could not be reached ({@link
 *       KeyturnConnectionException}); retrying later may work.
 * </ul>
 *
 * <p>Security: a message holds the server's message (which never names a value), a secret's name,
 * version numbers and addresses; never a secret value or a token. {@link #code()} is the server's
 * machine-readable error code ({@code docs/api.md}).
 */
public class KeyturnClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;

  /**
   * An error with the HTTP {@code status} (0 when the server was not reached), the server's {@code
   * code} and a {@code message} that holds no secret.
   */
  public KeyturnClientException(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = requireNonNull(code, "code");
  }

  /** As {@link #KeyturnClientException(int, String, String)}, with the {@code cause}. */
  public KeyturnClientException(int status, String code, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = requireNonNull(code, "code");
  }

  /** The HTTP status, or 0 when the server was not reached or the client refused the request. */
  public int status() {
    return status;
  }

  /** The server's error code ({@code not_found}, {@code cas_mismatch}, ...), never null. */
  public String code() {
    return code;
  }

  /**
   * The exception for an error answer: the subclass for {@code status}, with the server's code and
   * message (and the rotation a 409 names; may be null). For callers that talk HTTP themselves,
   * such as the CLI's fast path.
   */
  public static KeyturnClientException of(
      int status, String code, String message, String rotationId) {
    return of(status, code, message, rotationId, Optional.empty());
  }

  /**
   * As {@link #of(int, String, String, String)}, with the {@code Retry-After} of a 429 or 503 when
   * the server sent one.
   */
  public static KeyturnClientException of(
      int status, String code, String message, String rotationId, Optional<Duration> retryAfter) {
    requireNonNull(retryAfter, "retryAfter");
    return switch (status) {
      case 400, 413 -> new KeyturnInvalidRequestException(status, code, message);
      case 401 -> new KeyturnUnauthorizedException(code, message);
      case 403 -> new KeyturnForbiddenException(code, message);
      case 404 -> new KeyturnNotFoundException(code, message);
      case 409 -> new KeyturnConflictException(code, message, rotationId);
      case 429 -> new KeyturnThrottledException(code, message, retryAfter);
      case 503 -> new KeyturnUnavailableException(code, message, retryAfter);
      default -> new KeyturnClientException(status, code, message);
    };
  }
}
