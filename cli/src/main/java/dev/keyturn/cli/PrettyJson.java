package dev.keyturn.cli;

import java.util.List;
import java.util.Map;

/**
 * JSON as the client's Jackson mapper pretty-prints it ({@code writerWithDefaultPrettyPrinter}),
 * byte for byte, for maps, lists, strings, integers, booleans and null: what {@code keyturn scan
 * --format json} prints, without loading Jackson for it (a twentieth of a second of a scan's CPU
 * time, docs/performance.md). {@code PrettyJsonTest} holds it to Jackson's output.
 */
final class PrettyJson {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private PrettyJson() {}

  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, 0, out);
    return out.toString();
  }

  private static void write(Object value, int depth, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      quote(s, out);
    } else if (value instanceof Integer || value instanceof Long || value instanceof Boolean) {
      out.append(value);
    } else if (value instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        out.append("{ }");
        return;
      }
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.append(first ? "\n" : ",\n").append("  ".repeat(depth + 1));
        quote((String) e.getKey(), out);
        out.append(" : ");
        write(e.getValue(), depth + 1, out);
        first = false;
      }
      out.append('\n').append("  ".repeat(depth)).append('}');
    } else if (value instanceof List<?> list) {
      if (list.isEmpty()) {
        out.append("[ ]");
        return;
      }
      out.append("[ ");
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(", ");
        }
        write(list.get(i), depth, out);
      }
      out.append(" ]");
    } else {
      throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
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
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
