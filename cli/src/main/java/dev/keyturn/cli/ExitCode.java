package dev.keyturn.cli;

import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.KeyturnUnauthorizedException;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.keyring.KeyringException;
import java.util.List;

/**
 * The one exit-code table of the {@code keyturn} command (also in {@code docs/cli.md} and {@code
 * keyturn help exit-codes}). Every command follows it: errors map to a code here, in one place.
 */
final class ExitCode {
  static final int OK = 0;
  static final int ERROR = 1;
  static final int USAGE = 2;
  static final int FOUND = 3;
  static final int ROTATION_INCOMPLETE = 4;
  static final int NOT_FOUND = 5;
  static final int REFUSED = 6;

  /** One row of the table. */
  record Row(int code, String meaning) {}

  static final List<Row> TABLE =
      List.of(
          new Row(OK, "done"),
          new Row(ERROR, "error (bad input, server unreachable, anything not listed below)"),
          new Row(USAGE, "usage: unknown command or option, missing or conflicting arguments"),
          new Row(
              FOUND,
              "checked and found something (audit verify, and the verify, doctor, scan,"
                  + " hmac verify and jwt verify commands; an invalid token for fernet decrypt)"),
          new Row(
              ROTATION_INCOMPLETE,
              "a rotation did not finish, or finished with a failed check or hook"),
          new Row(NOT_FOUND, "not found: no such secret, version, rule, rotation or token (404)"),
          new Row(REFUSED, "refused: no token, or one the server refuses (401, 403)"));

  private ExitCode() {}

  /** The code for an error a command threw. */
  static int of(Throwable e) {
    if (e instanceof KeyringException.MalformedSignature) {
      return USAGE;
    }
    if (e instanceof KeyringException.InvalidToken) {
      return FOUND;
    }
    if (e instanceof KeyturnNotFoundException || e instanceof KeyturnException.NotFound) {
      return NOT_FOUND;
    }
    if (e instanceof KeyturnUnauthorizedException
        || e instanceof KeyturnForbiddenException
        || e instanceof KeyturnException.Unauthenticated
        || e instanceof KeyturnException.Forbidden) {
      return REFUSED;
    }
    return ERROR;
  }

  /** The one-line message for an error; for unexpected errors the type only, never the text. */
  static String message(Throwable e) {
    if (e instanceof KeyturnClientException
        || e instanceof KeyturnException
        || e instanceof KeyringException) {
      return e.getMessage();
    }
    if (e instanceof java.io.IOException) {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    return "internal error (" + e.getClass().getName() + ")";
  }

  /** The table as {@code keyturn help exit-codes} prints it. */
  static String table() {
    StringBuilder out = new StringBuilder("Exit codes of every keyturn command:\n\n");
    for (Row row : TABLE) {
      out.append("  ").append(row.code()).append("  ");
      appendWrapped(out, row.meaning(), 5, 80);
    }
    return out.toString();
  }

  private static void appendWrapped(StringBuilder out, String text, int indent, int width) {
    int column = indent;
    for (String word : text.split(" ")) {
      if (column > indent && column + 1 + word.length() > width) {
        out.append('\n').append(" ".repeat(indent));
        column = indent;
      } else if (column > indent) {
        out.append(' ');
        column++;
      }
      out.append(word);
      column += word.length();
    }
    out.append('\n');
  }
}
