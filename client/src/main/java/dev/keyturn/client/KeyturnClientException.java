package dev.keyturn.client;

/**
 * An error from the Keyturn server, or the failure to reach it. Unchecked; one subclass per error
 * code a caller may act on. {@link #code()} is the server's error code ({@code docs/api.md}).
 * Messages come from the server, which never puts a secret value in them.
 */
public class KeyturnClientException extends RuntimeException {
  private final int status;
  private final String code;

  public KeyturnClientException(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  KeyturnClientException(int status, String code, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = code;
  }

  /** The HTTP status, or 0 when the server was not reached. */
  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /**
   * The exception for an error answer: the subclass for {@code status}, with the server's code and
   * message (and the rotation a 409 names). For callers that talk HTTP themselves, such as the
   * CLI's fast path.
   */
  public static KeyturnClientException of(
      int status, String code, String message, String rotationId) {
    return switch (status) {
      case 400 -> new BadRequest(code, message);
      case 401 -> new Unauthenticated(code, message);
      case 403 -> new Forbidden(code, message);
      case 404 -> new NotFound(code, message);
      case 409 -> new Conflict(code, message, rotationId);
      case 413 -> new PayloadTooLarge(code, message);
      case 503 -> new Unavailable(code, message);
      default -> new KeyturnClientException(status, code, message);
    };
  }

  /** 400: the request was malformed ({@code invalid_request}, {@code invalid_name}). */
  public static final class BadRequest extends KeyturnClientException {
    BadRequest(String code, String message) {
      super(400, code, message);
    }
  }

  /** 401: no token, or an unknown, expired or revoked one. */
  public static final class Unauthenticated extends KeyturnClientException {
    Unauthenticated(String code, String message) {
      super(401, code, message);
    }
  }

  /** 403: the token lacks the capability. */
  public static final class Forbidden extends KeyturnClientException {
    Forbidden(String code, String message) {
      super(403, code, message);
    }
  }

  /** 404: no such secret or version. */
  public static final class NotFound extends KeyturnClientException {
    NotFound(String code, String message) {
      super(404, code, message);
    }
  }

  /** 409: the request contradicts the secret's state. */
  public static final class Conflict extends KeyturnClientException {
    private final String rotationId;

    Conflict(String code, String message, String rotationId) {
      super(409, code, message);
      this.rotationId = rotationId;
    }

    /** The running rotation, when the conflict is one. */
    public java.util.Optional<String> rotationId() {
      return java.util.Optional.ofNullable(rotationId);
    }
  }

  /** 413: the value is too large. */
  public static final class PayloadTooLarge extends KeyturnClientException {
    PayloadTooLarge(String code, String message) {
      super(413, code, message);
    }
  }

  /** 503: the server's store is unavailable; retrying later may work. */
  public static final class Unavailable extends KeyturnClientException {
    Unavailable(String code, String message) {
      super(503, code, message);
    }
  }

  /** The server could not be reached at all. */
  public static final class ConnectionFailed extends KeyturnClientException {
    public ConnectionFailed(String message, Throwable cause) {
      super(0, "connection_failed", message, cause);
    }
  }
}
