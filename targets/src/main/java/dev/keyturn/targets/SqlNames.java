package dev.keyturn.targets;

import dev.keyturn.core.KeyturnException;
import java.util.regex.Pattern;

/**
 * The table and column names a {@code reencrypt} rule names: {@code [A-Za-z_][A-Za-z0-9_]*} (at
 * most 63 characters), a table optionally qualified by its schema ({@code schema.table}). They are
 * checked when the rule is set and again, from the stored rule, each time they are put into SQL,
 * where they are always quoted ({@link #quoted}). Messages name the setting, never repeat the
 * value.
 */
final class SqlNames {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  /** The quote character of an engine: {@code "} for PostgreSQL, a backtick for MariaDB. */
  enum Quote {
    POSTGRES('"'),
    MARIADB('`');

    private final char mark;

    Quote(char mark) {
      this.mark = mark;
    }

    String quote(String name) {
      String m = String.valueOf(mark);
      return m + name.replace(m, m + m) + m;
    }
  }

  private SqlNames() {}

  /**
   * Checks a column name.
   *
   * @throws KeyturnException.InvalidInput naming {@code setting}
   */
  static String column(String setting, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new KeyturnException.InvalidInput(
          setting
              + " must be a column name: letters, digits and _ (at most 63), starting with a letter"
              + " or _");
    }
    return value;
  }

  /**
   * Checks a table name, {@code table} or {@code schema.table}; returns its parts.
   *
   * @throws KeyturnException.InvalidInput naming {@code setting}
   */
  static String[] table(String setting, String value) {
    String[] parts = value == null ? new String[0] : value.split("\\.", -1);
    if (parts.length < 1 || parts.length > 2) {
      throw badTable(setting);
    }
    for (String part : parts) {
      if (!NAME.matcher(part).matches()) {
        throw badTable(setting);
      }
    }
    return parts;
  }

  /** The checked table name quoted for {@code quote}, each part on its own. */
  static String quotedTable(Quote quote, String setting, String value, String defaultSchema) {
    String[] parts = table(setting, value);
    if (parts.length == 1 && !defaultSchema.isEmpty()) {
      return quote.quote(defaultSchema) + "." + quote.quote(parts[0]);
    }
    StringBuilder out = new StringBuilder();
    for (String part : parts) {
      out.append(out.isEmpty() ? "" : ".").append(quote.quote(part));
    }
    return out.toString();
  }

  /** The checked column name quoted for {@code quote}. */
  static String quoted(Quote quote, String setting, String value) {
    return quote.quote(column(setting, value));
  }

  private static KeyturnException badTable(String setting) {
    return new KeyturnException.InvalidInput(
        setting
            + " must be a table name, optionally schema-qualified (schema.table): letters, digits"
            + " and _ (at most 63 each), starting with a letter or _");
  }
}
