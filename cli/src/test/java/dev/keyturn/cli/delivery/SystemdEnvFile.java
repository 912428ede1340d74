package dev.keyturn.cli.delivery;

import java.util.ArrayList;
import java.util.List;

/**
 * A reader of systemd's environment files as {@code EnvironmentFile=} loads them (systemd.exec(5);
 * the state machine of {@code parse_env_file_internal} in systemd's src/basic/env-file.c, v254 and
 * later), for tests on machines where no systemd runs. {@link SystemdEnvFileTest} checks it against
 * the cases of systemd's own src/test/test-env-file.c before the formats are checked against it.
 */
final class SystemdEnvFile {
  private static final String WHITESPACE = " \t\n\r";
  private static final String NEWLINE = "\n\r";
  private static final String COMMENTS = "#;";
  private static final String SHELL_NEED_ESCAPE = "\"\\`$";

  private enum State {
    PRE_KEY,
    KEY,
    PRE_VALUE,
    VALUE,
    VALUE_ESCAPE,
    SINGLE_QUOTE_VALUE,
    DOUBLE_QUOTE_VALUE,
    DOUBLE_QUOTE_VALUE_ESCAPE,
    COMMENT,
    COMMENT_ESCAPE
  }

  private SystemdEnvFile() {}

  /** The assignments {@code KEY=value} in file order; a repeated key keeps its first place. */
  static List<String> load(String text) {
    List<String> out = new ArrayList<>();
    State state = State.PRE_KEY;
    StringBuilder key = new StringBuilder();
    StringBuilder value = new StringBuilder();
    int lastKeyWhitespace = -1;
    int lastValueWhitespace = -1;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      switch (state) {
        case PRE_KEY -> {
          if (in(COMMENTS, c)) {
            state = State.COMMENT;
          } else if (!in(WHITESPACE, c)) {
            state = State.KEY;
            lastKeyWhitespace = -1;
            key.setLength(0);
            key.appendCodePoint(c);
          }
        }
        case KEY -> {
          if (in(NEWLINE, c)) {
            state = State.PRE_KEY;
            key.setLength(0);
          } else if (c == '=') {
            state = State.PRE_VALUE;
            lastValueWhitespace = -1;
            value.setLength(0);
          } else {
            if (!in(WHITESPACE, c)) {
              lastKeyWhitespace = -1;
            } else if (lastKeyWhitespace < 0) {
              lastKeyWhitespace = key.length();
            }
            key.appendCodePoint(c);
          }
        }
        case PRE_VALUE -> {
          if (in(NEWLINE, c)) {
            state = State.PRE_KEY;
            push(out, key, lastKeyWhitespace, value.toString());
          } else if (c == '\'') {
            state = State.SINGLE_QUOTE_VALUE;
          } else if (c == '"') {
            state = State.DOUBLE_QUOTE_VALUE;
          } else if (c == '\\') {
            state = State.VALUE_ESCAPE;
          } else if (!in(WHITESPACE, c)) {
            state = State.VALUE;
            value.appendCodePoint(c);
          }
        }
        case VALUE -> {
          if (in(NEWLINE, c)) {
            state = State.PRE_KEY;
            push(out, key, lastKeyWhitespace, trimmed(value, lastValueWhitespace));
          } else if (c == '\\') {
            state = State.VALUE_ESCAPE;
            lastValueWhitespace = -1;
          } else {
            if (!in(WHITESPACE, c)) {
              lastValueWhitespace = -1;
            } else if (lastValueWhitespace < 0) {
              lastValueWhitespace = value.length();
            }
            value.appendCodePoint(c);
          }
        }
        case VALUE_ESCAPE -> {
          state = State.VALUE;
          if (!in(NEWLINE, c)) {
            value.appendCodePoint(c);
          }
        }
        case SINGLE_QUOTE_VALUE -> {
          if (c == '\'') {
            state = State.PRE_VALUE;
          } else {
            value.appendCodePoint(c);
          }
        }
        case DOUBLE_QUOTE_VALUE -> {
          if (c == '"') {
            state = State.PRE_VALUE;
          } else if (c == '\\') {
            state = State.DOUBLE_QUOTE_VALUE_ESCAPE;
          } else {
            value.appendCodePoint(c);
          }
        }
        case DOUBLE_QUOTE_VALUE_ESCAPE -> {
          state = State.DOUBLE_QUOTE_VALUE;
          if (in(SHELL_NEED_ESCAPE, c)) {
            value.appendCodePoint(c);
          } else if (c != '\n') {
            value.append('\\').appendCodePoint(c);
          }
        }
        case COMMENT -> {
          if (c == '\\') {
            state = State.COMMENT_ESCAPE;
          } else if (in(NEWLINE, c)) {
            state = State.PRE_KEY;
          }
        }
        case COMMENT_ESCAPE -> state = in(NEWLINE, c) ? State.PRE_KEY : State.COMMENT;
      }
    }
    switch (state) {
      case PRE_VALUE,
          VALUE_ESCAPE,
          SINGLE_QUOTE_VALUE,
          DOUBLE_QUOTE_VALUE,
          DOUBLE_QUOTE_VALUE_ESCAPE ->
          push(out, key, lastKeyWhitespace, value.toString());
      case VALUE -> push(out, key, lastKeyWhitespace, trimmed(value, lastValueWhitespace));
      default -> {}
    }
    return out;
  }

  private static boolean in(String set, int c) {
    return set.indexOf(c) >= 0;
  }

  private static String trimmed(StringBuilder value, int lastWhitespace) {
    return lastWhitespace >= 0 ? value.substring(0, lastWhitespace) : value.toString();
  }

  private static void push(List<String> out, StringBuilder key, int lastWhitespace, String value) {
    String k = lastWhitespace >= 0 ? key.substring(0, lastWhitespace) : key.toString();
    for (int c : value.codePoints().toArray()) {
      if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe) {
        throw new IllegalArgumentException("invalid UTF-8 (noncharacter) in the value of " + k);
      }
    }
    if (k.codePoints().anyMatch(c -> (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)) {
      throw new IllegalArgumentException("invalid UTF-8 (noncharacter) in a key");
    }
    String assignment = k + "=" + value;
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).startsWith(k + "=")) {
        out.set(i, assignment);
        return;
      }
    }
    out.add(assignment);
  }
}
