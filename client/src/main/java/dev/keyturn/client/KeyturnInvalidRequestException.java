package dev.keyturn.client;

/**
 * The request is malformed: the server answered 400 ({@code invalid_request}, {@code invalid_name})
 * or 413 (a value too large), or the client refused to send it (a name that is not canonical, such
 * as one with a {@code ..} segment, percent-encoding or a line break). Retrying does not help.
 */
public class KeyturnInvalidRequestException extends KeyturnClientException {
  private static final long serialVersionUID = 1L;

  /** A 400 with the server's (or the client's) {@code code} and {@code message}. */
  public KeyturnInvalidRequestException(String code, String message) {
    this(400, code, message);
  }

  /** An invalid request answered with {@code status} (400 or 413). */
  public KeyturnInvalidRequestException(int status, String code, String message) {
    super(status, code, message);
  }
}
