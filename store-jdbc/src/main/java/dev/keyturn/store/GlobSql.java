package dev.keyturn.store;

import java.util.ArrayList;
import java.util.List;

/**
 * A SQL condition that a column matches one of some grant patterns ({@code *} matches any
 * characters, {@code /} included; every other character itself), so that a list narrowed to what a
 * token may see is narrowed in the query rather than after its limit. Grant patterns hold only name
 * characters and {@code *}: SQLite's {@code GLOB} takes them nearly as they are and is
 * case-sensitive (its {@code LIKE} is not); PostgreSQL's {@code LIKE} is case-sensitive and needs
 * {@code _} and {@code %} escaped. Callers still check each row: this only narrows.
 */
final class GlobSql {
  private GlobSql() {}

  /**
   * Appends {@code AND column IS NOT NULL AND (column matches one of patterns)} to {@code sql} and
   * its arguments to {@code args}; nothing when {@code patterns} is empty.
   */
  static void append(
      Dialect dialect, String column, List<String> patterns, StringBuilder sql, List<Object> args) {
    if (patterns.isEmpty()) {
      return;
    }
    List<String> or = new ArrayList<>();
    for (String glob : patterns) {
      if (dialect == Dialect.POSTGRESQL) {
        or.add(column + " LIKE ? ESCAPE '\\'");
        args.add(
            glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('*', '%'));
      } else {
        or.add(column + " GLOB ?");
        args.add(glob.replace("[", "[[]").replace("?", "[?]"));
      }
    }
    sql.append(" AND ")
        .append(column)
        .append(" IS NOT NULL AND (")
        .append(String.join(" OR ", or))
        .append(")");
  }
}
