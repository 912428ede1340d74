package dev.keyturn.client.internal;

import static java.util.Objects.requireNonNull;

import dev.keyturn.client.KeyturnInvalidRequestException;
import java.util.regex.Pattern;

/**
 * Client-side checks of what goes into a URL path or query: a secret name must arrive canonical
 * ({@code /}-separated segments of {@code [A-Za-z0-9._-]}, at most 256 characters, no empty, {@code
 * .} or {@code ..} segment, no leading or trailing {@code /}, no percent-encoding), as the server
 * requires, so that a hostile name ({@code ../x}, {@code a%2Fb}, a CR/LF) is refused before
 * anything is sent. Messages describe the problem without echoing the name. Public only for the
 * SDK's own modules.
 */
public final class Names {
  /** The longest name, in characters. */
  public static final int MAX_LENGTH = 256;

  private static final Pattern CONSUMER_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private Names() {}

  /**
   * Returns {@code name} when it is canonical.
   *
   * @throws KeyturnInvalidRequestException with code {@code invalid_name} otherwise
   */
  public static String secret(String name) {
    requireNonNull(name, "name");
    String problem = problem(name);
    if (problem != null) {
      throw new KeyturnInvalidRequestException("invalid_name", "invalid secret name: " + problem);
    }
    return name;
  }

  /**
   * A folder prefix: empty (every name), or a canonical name, with one trailing {@code /} allowed
   * and removed.
   *
   * @throws KeyturnInvalidRequestException with code {@code invalid_name} otherwise
   */
  public static String prefix(String prefix) {
    requireNonNull(prefix, "prefix");
    if (prefix.isEmpty()) {
      return prefix;
    }
    String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    String problem = problem(p);
    if (problem != null) {
      throw new KeyturnInvalidRequestException("invalid_name", "invalid prefix: " + problem);
    }
    return p;
  }

  /**
   * A listing prefix, matched against the start of each name: empty, or a canonical name with or
   * without one trailing {@code /} (kept: {@code app/} lists {@code app/x}, {@code app} lists
   * {@code app/x} and {@code apple}).
   *
   * @throws KeyturnInvalidRequestException with code {@code invalid_name} otherwise
   */
  public static String listPrefix(String prefix) {
    prefix(prefix);
    return prefix;
  }

  /**
   * Returns {@code id} when it is a consumer id ({@code [A-Za-z0-9._-]{1,64}}).
   *
   * @throws KeyturnInvalidRequestException otherwise
   */
  public static String consumerId(String id) {
    requireNonNull(id, "id");
    if (!CONSUMER_ID.matcher(id).matches()) {
      throw new KeyturnInvalidRequestException(
          "invalid_request", "a consumer id is 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    return id;
  }

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
                + " is not allowed (use letters, digits, '.', '_', '-' and '/')";
      }
    }
    if (raw.startsWith("/") || raw.endsWith("/")) {
      return "a name may not start or end with '/'";
    }
    for (String segment : raw.split("/", -1)) {
      if (segment.isEmpty()) {
        return "a name may not contain an empty segment ('//')";
      }
      if (segment.equals(".") || segment.equals("..")) {
        return "a name may not contain a '" + segment + "' segment";
      }
    }
    return null;
  }

  private static String describe(char c) {
    return c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }
}
