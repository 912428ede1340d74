package dev.keyturn.client;

/** 401: no token was sent, or it is unknown, expired or revoked. Retrying does not help. */
public class KeyturnUnauthorizedException extends KeyturnClientException {
  private static final long serialVersionUID = 1L;

  /** A 401 with the server's {@code code} and {@code message}. */
  public KeyturnUnauthorizedException(String code, String message) {
    super(401, code, message);
  }
}
