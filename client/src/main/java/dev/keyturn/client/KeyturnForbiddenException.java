package dev.keyturn.client;

/**
 * 403: the token is valid but lacks the capability on that name (a grant such as {@code
 * read:app/production/*}). The message names the capability and the name, never a value.
 */
public class KeyturnForbiddenException extends KeyturnClientException {
  private static final long serialVersionUID = 1L;

  /** A 403 with the server's {@code code} and {@code message}. */
  public KeyturnForbiddenException(String code, String message) {
    super(403, code, message);
  }
}
