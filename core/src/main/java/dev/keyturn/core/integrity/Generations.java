package dev.keyturn.core.integrity;

import java.util.Map;
import java.util.TreeMap;

/**
 * Object keys and the text form of object generations as audit records carry them.
 *
 * <p>Every protected object has a key: {@code secret:NAME} (the secret row with its versions as a
 * set), {@code token:ID}, {@code rule:NAME}. Its generation starts at 1 and grows by one with every
 * write. The text form is one {@code KEY=GENERATION} line per object, in key order, joined by
 * {@code \n}; names and token ids never contain {@code =} or a line break, so the form is
 * unambiguous.
 */
public final class Generations {
  private Generations() {}

  public static String secret(String name) {
    return "secret:" + name;
  }

  public static String token(String id) {
    return "token:" + id;
  }

  public static String rule(String secret) {
    return "rule:" + secret;
  }

  /** The text form of {@code generations}, in key order. */
  public static String encode(Map<String, Long> generations) {
    StringBuilder out = new StringBuilder();
    for (var e : new TreeMap<>(generations).entrySet()) {
      if (e.getKey().indexOf('=') >= 0 || e.getKey().indexOf('\n') >= 0) {
        throw new IllegalArgumentException("an object key may not hold '=' or a line break");
      }
      if (!out.isEmpty()) {
        out.append('\n');
      }
      out.append(e.getKey()).append('=').append(e.getValue());
    }
    return out.toString();
  }

  /**
   * Parses {@link #encode}'s form; empty text is no generations.
   *
   * @throws IllegalArgumentException if the text is not in that form
   */
  public static Map<String, Long> decode(String text) {
    Map<String, Long> out = new TreeMap<>();
    if (text == null || text.isEmpty()) {
      return out;
    }
    for (String line : text.split("\n", -1)) {
      int eq = line.lastIndexOf('=');
      if (eq < 1 || !line.substring(eq + 1).matches("[0-9]{1,18}")) {
        throw new IllegalArgumentException("not an object generation line");
      }
      out.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
    }
    return out;
  }
}
