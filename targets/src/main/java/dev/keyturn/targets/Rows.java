package dev.keyturn.targets;

import java.util.Collection;
import java.util.stream.Collectors;

/** Row ids as messages show them: at most ten, each at most 40 printable characters. */
final class Rows {
  private static final int SHOWN = 10;

  private Rows() {}

  /** {@code "3 rows (ids 4, 9, 12)"}; never a token. */
  static String describe(Collection<String> ids) {
    String shown = ids.stream().limit(SHOWN).map(Rows::printable).collect(Collectors.joining(", "));
    return ids.size()
        + (ids.size() == 1 ? " row (id " : " rows (ids ")
        + shown
        + (ids.size() > SHOWN ? ", ..." : "")
        + ")";
  }

  private static String printable(String id) {
    StringBuilder out = new StringBuilder();
    id.codePoints()
        .limit(40)
        .forEach(c -> out.appendCodePoint(c < 0x20 || c == 0x7f || c > 0x7e ? '?' : c));
    return id.length() > 40 ? out + "..." : out.toString();
  }
}
