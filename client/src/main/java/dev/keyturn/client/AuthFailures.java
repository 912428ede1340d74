package dev.keyturn.client;

import java.sql.SQLException;
import java.util.Set;

/**
 * Recognizes a database's refusal of a login in a JDBC failure and its causes: SQLSTATE {@code
 * 28P01} (PostgreSQL: wrong password), {@code 28000} (invalid authorization) or MariaDB/MySQL error
 * {@code 1045} (access denied).
 */
final class AuthFailures {
  private static final Set<String> STATES = Set.of("28P01", "28000");

  private AuthFailures() {}

  static boolean is(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && (STATES.contains(sql.getSQLState()) || sql.getErrorCode() == 1045)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** A one-line reason for a log: the exception kind, SQLSTATE and the driver's message. */
  static String describe(Exception e) {
    Throwable root = e;
    if (e instanceof SQLException && e.getCause() instanceof SQLException cause) {
      root = cause;
    }
    String state = root instanceof SQLException sql ? " (SQLSTATE " + sql.getSQLState() + ")" : "";
    return root.getClass().getSimpleName() + state + ": " + root.getMessage();
  }
}
