package dev.keyturn.core;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small, strict JSON (RFC 8259) reader and writer for the few stored values core reads itself,
 * such as a {@link DatabaseSecret}, so that core keeps to the JDK. Objects read as {@link
 * LinkedHashMap} (keys in order; a repeated key is refused), arrays as {@link List}, strings as
 * {@link String}, numbers as {@link Number} (their exact text), {@code true}/{@code false} as
 * {@link Boolean} and {@code null} as {@link #NULL}. Errors never quote the input: it may be a
 * secret. Public for the CLI's framework-free fast path, which reads the server's answers with it.
 */
public final class Json {
  /** JSON {@code null}. */
  public static final Object NULL =
      new Object() {
        @Override
        public String toString() {
          return "null";
        }
      };

  /** A JSON number, kept exactly as written. */
  public record Number(String text) {
    private static final Pattern GRAMMAR =
        Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]{0,8})");

    /** The number as an {@code int}, if it is a whole number in that range written plainly. */
    public java.util.OptionalInt intValue() {
      return INTEGER.matcher(text).matches()
          ? java.util.OptionalInt.of(Integer.parseInt(text))
          : java.util.OptionalInt.empty();
    }
  }

  private static final int MAX_DEPTH = 64;

  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  /**
   * Parses {@code utf8} as one JSON value.
   *
   * @throws IllegalArgumentException if it is not valid UTF-8 JSON (the message names the offset,
   *     never the text)
   */
  public static Object parse(byte[] utf8) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(utf8))
              .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("not valid UTF-8");
    }
    Json json = new Json(text);
    json.space();
    Object value = json.value(0);
    json.space();
    if (json.at != text.length()) {
      json.fail("unexpected text after the value");
    }
    return value;
  }

  /** The compact JSON text of {@code value} (as {@link #parse} returns them). */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value instanceof String s) {
      quote(s, out);
    } else if (value instanceof Number n) {
      out.append(n.text());
    } else if (value instanceof Boolean || value == NULL) {
      out.append(value);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.append(first ? "" : ",");
        first = false;
        quote((String) e.getKey(), out);
        out.append(':');
        write(e.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        out.append(i == 0 ? "" : ",");
        write(list.get(i), out);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass().getSimpleName());
    }
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      fail("nested too deeply");
    }
    if (at >= text.length()) {
      fail("unexpected end");
    }
    char c = text.charAt(at);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", NULL);
      default -> number();
    };
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> out = new LinkedHashMap<>();
    at++;
    space();
    if (peek('}')) {
      at++;
      return out;
    }
    while (true) {
      space();
      if (!peek('"')) {
        fail("expected a field name");
      }
      String key = string();
      space();
      expect(':');
      space();
      if (out.put(key, value(depth + 1)) != null) {
        fail("a field appears twice");
      }
      space();
      if (peek(',')) {
        at++;
      } else {
        expect('}');
        return out;
      }
    }
  }

  private List<Object> array(int depth) {
    List<Object> out = new ArrayList<>();
    at++;
    space();
    if (peek(']')) {
      at++;
      return out;
    }
    while (true) {
      space();
      out.add(value(depth + 1));
      space();
      if (peek(',')) {
        at++;
      } else {
        expect(']');
        return out;
      }
    }
  }

  private String string() {
    at++;
    StringBuilder out = new StringBuilder();
    while (true) {
      if (at >= text.length()) {
        fail("unterminated string");
      }
      char c = text.charAt(at++);
      if (c == '"') {
        return out.toString();
      }
      if (c < 0x20) {
        fail("control character in a string");
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (at >= text.length()) {
        fail("unterminated string");
      }
      char e = text.charAt(at++);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          if (at + 4 > text.length() || !text.substring(at, at + 4).matches("[0-9A-Fa-f]{4}")) {
            fail("bad \\u escape");
          }
          out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
        }
        default -> fail("bad escape");
      }
    }
  }

  private Number number() {
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    String number = text.substring(start, at);
    if (!Number.GRAMMAR.matcher(number).matches()) {
      at = start;
      fail("expected a value");
    }
    return new Number(number);
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, at)) {
      fail("expected a value");
    }
    at += word.length();
    return value;
  }

  private void expect(char c) {
    if (!peek(c)) {
      fail("expected '" + c + "'");
    }
    at++;
  }

  private boolean peek(char c) {
    return at < text.length() && text.charAt(at) == c;
  }

  private void space() {
    while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
  }

  private void fail(String what) {
    throw new IllegalArgumentException("invalid JSON at offset " + at + ": " + what);
  }
}
