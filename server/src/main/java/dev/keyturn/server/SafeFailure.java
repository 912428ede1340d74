package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;

/**
 * What the server log may say about an exception. Keyturn's own exceptions carry messages that name
 * objects and states, never values; any other exception's message may quote input (a JDK parser
 * echoing the string it refused, a library quoting a row), so only its type and stack trace reach
 * the log.
 */
final class SafeFailure extends RuntimeException {
  private SafeFailure(String message, Throwable original, Throwable cause) {
    super(message, cause, false, true);
    setStackTrace(original.getStackTrace());
  }

  /** A copy of {@code e} (and its causes) fit for the log. */
  static Throwable of(Throwable e) {
    Throwable cause = e.getCause() == null || e.getCause() == e ? null : of(e.getCause());
    return new SafeFailure(describe(e), e, cause);
  }

  /** One line for the log: the message of Keyturn's exceptions, the type of any other. */
  static String describe(Throwable e) {
    return e instanceof KeyturnException ? e.getMessage() : e.getClass().getName();
  }
}
