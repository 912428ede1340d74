package dev.keyturn.client;

import java.util.Optional;

/**
 * The server could not be reached, or the exchange broke off (connection refused, TLS failure,
 * timeout, reset): status 0, code {@code connection_failed}. The message names the address, never
 * the token.
 */
public class KeyturnConnectionException extends KeyturnUnavailableException {
  private static final long serialVersionUID = 1L;

  /** A connection failure described by {@code message}, with its {@code cause} (may be null). */
  public KeyturnConnectionException(String message, Throwable cause) {
    super(0, "connection_failed", message, Optional.empty(), cause);
  }
}
