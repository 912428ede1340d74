package dev.keyturn.targets;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link SweepTable} in MariaDB or MySQL. An unqualified table is in the admin credential's
 * database. Pages are read by key ({@code id > ?}); changes go as one batch of {@code UPDATE ...
 * WHERE id = ? AND column = ?} (compared byte for byte, whatever the column's collation).
 */
final class MariaDbSweepTable extends SweepTable {
  private static final Set<String> INTEGERS =
      Set.of("tinyint", "smallint", "mediumint", "int", "integer", "bigint");
  private static final Set<String> TEXT =
      Set.of("char", "varchar", "tinytext", "text", "mediumtext", "longtext");
  private static final Set<String> BYTES =
      Set.of("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob");

  private final Optional<String> schema;
  private final String tableName;
  private final String idName;
  private final String columnName;
  private boolean integerId;

  MariaDbSweepTable(Connection connection, String table, String idColumn, String column) {
    super(
        connection,
        SqlNames.quotedTable(SqlNames.Quote.MARIADB, "table", table, ""),
        SqlNames.quoted(SqlNames.Quote.MARIADB, "id-column", idColumn),
        SqlNames.quoted(SqlNames.Quote.MARIADB, "column", column));
    String[] parts = SqlNames.table("table", table);
    this.schema = parts.length == 2 ? Optional.of(parts[0]) : Optional.empty();
    this.tableName = parts[parts.length - 1];
    this.idName = idColumn;
    this.columnName = column;
  }

  @Override
  List<String> inspect() throws SQLException {
    List<String> done = new ArrayList<>();
    String idType = type(idName, "id-column");
    integerId = INTEGERS.contains(idType);
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT s.INDEX_NAME FROM information_schema.STATISTICS s JOIN"
                + " information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND"
                + " c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME WHERE"
                + " s.TABLE_SCHEMA = COALESCE(?, DATABASE()) AND s.TABLE_NAME = ? AND"
                + " s.COLUMN_NAME = ? AND s.NON_UNIQUE = 0 AND s.SUB_PART IS NULL AND"
                + " c.IS_NULLABLE = 'NO' AND (SELECT COUNT(*) FROM information_schema.STATISTICS"
                + " o WHERE o.TABLE_SCHEMA = s.TABLE_SCHEMA AND o.TABLE_NAME = s.TABLE_NAME AND"
                + " o.INDEX_NAME = s.INDEX_NAME) = 1")) {
      ps.setString(1, schema.orElse(null));
      ps.setString(2, tableName);
      ps.setString(3, idName);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw shape(
              "id-column is neither the table's primary key nor a unique key of non-null values");
        }
      }
    }
    done.add("checked: id-column is the primary key or a non-null unique key (" + idType + ")");
    String type = type(columnName, "column");
    binary = BYTES.contains(type);
    if (!binary && !TEXT.contains(type)) {
      throw shape("column must hold text or bytes (varchar, text, varbinary, blob), not " + type);
    }
    done.add("checked: column holds " + (binary ? "bytes" : "text") + " (" + type + ")");
    return done;
  }

  private String type(String name, String setting) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT LOWER(DATA_TYPE) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                + " COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME = ?")) {
      ps.setString(1, schema.orElse(null));
      ps.setString(2, tableName);
      ps.setString(3, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw shape(setting + ": no such column in the table, or no such table");
        }
        return rs.getString(1);
      }
    }
  }

  @Override
  List<String> privileges() throws SQLException {
    // EXPLAIN checks the privileges a statement needs without running it.
    for (String sql :
        List.of(
            "EXPLAIN SELECT " + idColumn + ", " + column + " FROM " + table + " LIMIT 1",
            "EXPLAIN UPDATE " + table + " SET " + column + " = " + column + " WHERE 1 = 0")) {
      try (PreparedStatement ps = connection.prepareStatement(sql)) {
        ps.executeQuery().close();
      } catch (SQLException e) {
        if (e.getErrorCode() == 1142 || e.getErrorCode() == 1143) {
          throw shape(
              "the admin credential may not "
                  + (sql.startsWith("EXPLAIN SELECT") ? "SELECT" : "UPDATE")
                  + " the table");
        }
        throw e;
      }
    }
    return List.of("checked: the admin credential may SELECT and UPDATE the table");
  }

  @Override
  List<Row> rows(Optional<String> after, Optional<String> upTo, int limit) throws SQLException {
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(idColumn)
            .append(", ")
            .append(column)
            .append(" FROM ")
            .append(table);
    List<String> where = new ArrayList<>();
    after.ifPresent(a -> where.add(idColumn + " > ?"));
    upTo.ifPresent(u -> where.add(idColumn + " <= ?"));
    if (!where.isEmpty()) {
      sql.append(" WHERE ").append(String.join(" AND ", where));
    }
    sql.append(" ORDER BY ").append(idColumn).append(" LIMIT ?");
    try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
      int i = 1;
      for (Optional<String> bound : List.of(after, upTo)) {
        if (bound.isPresent()) {
          bindId(ps, i++, bound.get());
        }
      }
      ps.setInt(i, limit);
      return read(ps);
    }
  }

  private void bindId(PreparedStatement ps, int index, String id) throws SQLException {
    if (integerId) {
      ps.setLong(index, Long.parseLong(id));
    } else {
      ps.setString(index, id);
    }
  }

  @Override
  Optional<java.util.Set<String>> update(List<Change> changes) throws SQLException {
    if (changes.isEmpty()) {
      return Optional.of(java.util.Set.of());
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
            "UPDATE "
                + table
                + " SET "
                + column
                + " = ? WHERE "
                + idColumn
                + " = ? AND CAST("
                + column
                + " AS BINARY) = CAST(? AS BINARY)")) {
      for (Change change : changes) {
        ps.setString(1, change.after());
        bindId(ps, 2, change.id());
        ps.setString(3, change.before());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    // Batched counts may say only "done": read the rows back instead.
    return Optional.empty();
  }

  @Override
  List<Row> rowsWithIds(List<String> ids) throws SQLException {
    if (ids.isEmpty()) {
      return List.of();
    }
    String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT " + idColumn + ", " + column + " FROM " + table + " WHERE " + idColumn + " IN ("
                + marks + ")")) {
      for (int i = 0; i < ids.size(); i++) {
        bindId(ps, i + 1, ids.get(i));
      }
      return read(ps);
    }
  }
}
