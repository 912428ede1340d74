package dev.keyturn.client;

/** 404: no such secret, no such version, or nothing in the stage asked for. */
public class KeyturnNotFoundException extends KeyturnClientException {
  private static final long serialVersionUID = 1L;

  /** A 404 with the server's {@code code} and {@code message}. */
  public KeyturnNotFoundException(String code, String message) {
    super(404, code, message);
  }
}
