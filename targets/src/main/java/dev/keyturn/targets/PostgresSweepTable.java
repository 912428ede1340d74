package dev.keyturn.targets;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A {@link SweepTable} in PostgreSQL. An unqualified table is in schema {@code public} (admin
 * sessions resolve names in {@code pg_catalog} only). Pages are read by key ({@code id > ?});
 * changes go in one {@code UPDATE ... FROM unnest(ids, old, new)} per batch, each row matched on
 * its id and its old token. The id column's type comes from the catalog and must be a built-in
 * scalar type ({@code bigint}, {@code integer}, {@code text}, {@code uuid}, {@code character
 * varying(n)}, ...); ids travel as text, cast to it.
 */
final class PostgresSweepTable extends SweepTable {
  private static final Pattern BUILT_IN =
      Pattern.compile("[a-z ]{2,40}(\\([0-9]{1,4}(,[0-9]{1,4})?\\))?");

  private final String tableText;
  private final String idName;
  private final String columnName;
  private String idType = "";

  PostgresSweepTable(Connection connection, String table, String idColumn, String column) {
    super(
        connection,
        SqlNames.quotedTable(SqlNames.Quote.POSTGRES, "table", table, "public"),
        SqlNames.quoted(SqlNames.Quote.POSTGRES, "id-column", idColumn),
        SqlNames.quoted(SqlNames.Quote.POSTGRES, "column", column));
    this.tableText = this.table;
    this.idName = idColumn;
    this.columnName = column;
  }

  @Override
  List<String> inspect() throws SQLException {
    List<String> done = new ArrayList<>();
    String sql =
        "SELECT pg_catalog.format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname,"
            + " a.attnotnull FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid ="
            + " a.atttypid WHERE a.attrelid = pg_catalog.to_regclass(?) AND a.attname = ? AND"
            + " a.attnum > 0 AND NOT a.attisdropped";
    String[] id = column(sql, idName, "id-column");
    if (!BUILT_IN.matcher(id[0]).matches()) {
      throw shape("id-column has a type the sweep does not handle (use an integer, text or uuid)");
    }
    idType = id[0];
    String unique =
        "SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid ="
            + " i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid ="
            + " pg_catalog.to_regclass(?) AND a.attname = ? AND i.indnatts = 1 AND (i.indisprimary"
            + " OR (i.indisunique AND a.attnotnull)) AND i.indpred IS NULL AND i.indexprs IS NULL";
    try (PreparedStatement ps = connection.prepareStatement(unique)) {
      ps.setString(1, tableText);
      ps.setString(2, idName);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw shape(
              "id-column is neither the table's primary key nor a unique key of non-null"
                  + " values");
        }
      }
    }
    done.add("checked: id-column is the primary key or a non-null unique key (" + idType + ")");
    String[] col = column(sql, columnName, "column");
    binary = col[2].equals("bytea");
    if (!binary && !col[1].equals("S")) {
      throw shape("column must hold text or bytes (text, varchar, bytea), not " + col[0]);
    }
    done.add("checked: column holds " + (binary ? "bytes" : "text") + " (" + col[0] + ")");
    return done;
  }

  private String[] column(String sql, String name, String setting) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setString(1, tableText);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw shape(setting + ": no such column in the table, or no such table");
        }
        return new String[] {rs.getString(1), rs.getString(2), rs.getString(3)};
      }
    }
  }

  @Override
  List<String> privileges() throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT pg_catalog.has_table_privilege(pg_catalog.to_regclass(?), 'SELECT'),"
                + " pg_catalog.has_table_privilege(pg_catalog.to_regclass(?), 'UPDATE')")) {
      ps.setString(1, tableText);
      ps.setString(2, tableText);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        List<String> missing = new ArrayList<>();
        if (!rs.getBoolean(1)) {
          missing.add("SELECT");
        }
        if (!rs.getBoolean(2)) {
          missing.add("UPDATE");
        }
        if (!missing.isEmpty()) {
          throw shape(
              "the admin credential may not " + String.join(" or ", missing) + " the table");
        }
      }
    }
    return List.of("checked: the admin credential may SELECT and UPDATE the table");
  }

  @Override
  List<Row> rows(Optional<String> after, Optional<String> upTo, int limit) throws SQLException {
    // The table's own column, qualified: a bare name in ORDER BY would be the text output column.
    String id = "t." + idColumn;
    StringBuilder sql =
        new StringBuilder("SELECT CAST(")
            .append(id)
            .append(" AS text), t.")
            .append(column)
            .append(" FROM ")
            .append(table)
            .append(" AS t");
    List<String> where = new ArrayList<>();
    after.ifPresent(a -> where.add(id + " > CAST(? AS " + idType + ")"));
    upTo.ifPresent(u -> where.add(id + " <= CAST(? AS " + idType + ")"));
    if (!where.isEmpty()) {
      sql.append(" WHERE ").append(String.join(" AND ", where));
    }
    sql.append(" ORDER BY ").append(id).append(" LIMIT ?");
    try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
      int i = 1;
      if (after.isPresent()) {
        ps.setString(i++, after.get());
      }
      if (upTo.isPresent()) {
        ps.setString(i++, upTo.get());
      }
      ps.setInt(i, limit);
      return read(ps);
    }
  }

  @Override
  Optional<java.util.Set<String>> update(List<Change> changes) throws SQLException {
    if (changes.isEmpty()) {
      return Optional.of(java.util.Set.of());
    }
    String value = binary ? "pg_catalog.convert_to(u.n, 'UTF8')" : "u.n";
    String old = binary ? "pg_catalog.convert_to(u.o, 'UTF8')" : "u.o";
    String sql =
        "UPDATE "
            + table
            + " AS t SET "
            + column
            + " = "
            + value
            + " FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[])) AS"
            + " u(i, o, n) WHERE t."
            + idColumn
            + " = CAST(u.i AS "
            + idType
            + ") AND t."
            + column
            + " = "
            + old
            + " RETURNING CAST(t."
            + idColumn
            + " AS text)";
    String[] ids = new String[changes.size()];
    String[] before = new String[changes.size()];
    String[] after = new String[changes.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = changes.get(i).id();
      before[i] = changes.get(i).before();
      after[i] = changes.get(i).after();
    }
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      Array a = connection.createArrayOf("text", ids);
      Array b = connection.createArrayOf("text", before);
      Array c = connection.createArrayOf("text", after);
      ps.setArray(1, a);
      ps.setArray(2, b);
      ps.setArray(3, c);
      java.util.Set<String> changed = new java.util.HashSet<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          changed.add(rs.getString(1));
        }
      }
      return Optional.of(changed);
    }
  }

  @Override
  List<Row> rowsWithIds(List<String> ids) throws SQLException {
    String sql =
        "SELECT CAST(t."
            + idColumn
            + " AS text), t."
            + column
            + " FROM "
            + table
            + " AS t WHERE t."
            + idColumn
            + " = ANY(CAST(CAST(? AS text[]) AS "
            + idType
            + "[]))";
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setArray(1, connection.createArrayOf("text", ids.toArray(String[]::new)));
      return read(ps);
    }
  }
}
