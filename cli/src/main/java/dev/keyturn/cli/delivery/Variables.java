package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The environment variables a mapping produces, in mapping order: name to value. Holds secret
 * values, so it is not a record and {@code toString} names the variables only. Not thread-safe.
 */
public final class Variables {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> sources = new LinkedHashMap<>();

  /** True if {@code name} is a variable name every format and shell accepts. */
  public static boolean validName(String name) {
    return NAME.matcher(name).matches();
  }

  /**
   * Adds {@code variable} with the value of {@code secret}.
   *
   * @throws KeyturnException.InvalidInput when the name is invalid or already taken; the message
   *     names the secret(s), never a value
   */
  public void add(String variable, String secret, String value) {
    if (!validName(variable)) {
      throw new KeyturnException.InvalidInput(
          secret
              + ": '"
              + variable
              + "' is not a variable name (letters, digits and '_', not starting with a digit);"
              + " map it with --secret "
              + secret
              + "=NAME");
    }
    String other = sources.get(variable);
    if (other != null) {
      throw new KeyturnException.InvalidInput(
          "two secrets for variable " + variable + ": " + other + " and " + secret);
    }
    values.put(variable, value);
    sources.put(variable, secret);
  }

  /** The values by variable name, in mapping order (unmodifiable view). */
  public Map<String, String> reveal() {
    return Collections.unmodifiableMap(values);
  }

  /** The secret each variable comes from. */
  public Map<String, String> sources() {
    return Collections.unmodifiableMap(sources);
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  @Override
  public String toString() {
    return "Variables" + values.keySet() + " [values redacted]";
  }
}
