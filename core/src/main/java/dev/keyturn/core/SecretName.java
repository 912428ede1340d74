package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

/**
 * A canonical secret name: {@code /}-separated segments of {@code [A-Za-z0-9._-]}, at most 256
 * characters, with no empty, {@code .} or {@code ..} segment and no leading or trailing slash.
 * Names are case-sensitive and are never normalized: a name that is not already canonical is
 * refused, so that two spellings can never reach the same secret.
 */
public record SecretName(String value) implements Comparable<SecretName> {
  public static final int MAX_LENGTH = 256;

  public SecretName {
    requireNonNull(value, "value");
    String problem = problem(value);
    if (problem != null) {
      throw new KeyturnException.InvalidInput("invalid secret name: " + problem);
    }
  }

  public static SecretName of(String value) {
    return new SecretName(value);
  }

  /** The name, if {@code raw} is canonical; never throws. */
  public static java.util.Optional<SecretName> parse(String raw) {
    return raw != null && problem(raw) == null
        ? java.util.Optional.of(new SecretName(raw))
        : java.util.Optional.empty();
  }

  /** The last segment: the default environment variable name. */
  public String leaf() {
    return value.substring(value.lastIndexOf('/') + 1);
  }

  @Override
  public int compareTo(SecretName other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }

  /** Describes what is wrong with {@code raw} as a name, or returns null when it is canonical. */
  private static String problem(String raw) {
    if (raw.isEmpty()) {
      return "the name is empty";
    }
    if (raw.length() > MAX_LENGTH) {
      return "the name is longer than " + MAX_LENGTH + " characters";
    }
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      boolean allowed =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-'
              || c == '/';
      if (!allowed) {
        return c == '%'
            ? "percent-encoding is not allowed in names"
            : "character "
                + describe(c)
                + " at position "
                + (i + 1)
                + " is not allowed"
                + " (use letters, digits, '.', '_', '-' and '/')";
      }
    }
    if (raw.startsWith("/") || raw.endsWith("/")) {
      return "a name may not start or end with '/'";
    }
    // Segment by segment without split(): listings check every name they read.
    int start = 0;
    while (start <= raw.length()) {
      int end = raw.indexOf('/', start);
      if (end < 0) {
        end = raw.length();
      }
      int length = end - start;
      if (length == 0) {
        return "a name may not contain an empty segment ('//')";
      }
      if (raw.charAt(start) == '.'
          && (length == 1 || (length == 2 && raw.charAt(start + 1) == '.'))) {
        return "a name may not contain a '" + raw.substring(start, end) + "' segment";
      }
      start = end + 1;
    }
    return null;
  }

  private static String describe(char c) {
    return c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }
}
