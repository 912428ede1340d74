package dev.keyturn.targets;

import dev.keyturn.core.KeyturnException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The table a {@code reencrypt} rule names, on one open connection of one engine: its rows in id
 * order, a page at a time, and compare-and-set updates of its token column (a row is changed only
 * while it still holds the token the sweep read, so an application's write in between is never
 * overwritten). Names come from the rule's settings, checked and quoted ({@link SqlNames}); ids and
 * tokens are always bound parameters. Not thread-safe: one sweep, one connection.
 */
abstract class SweepTable {
  /** One row: its id as text and its token (empty when NULL or not ASCII text). */
  record Row(String id, Optional<String> token) {}

  /** A compare-and-set change: {@code id}'s token from {@code before} to {@code after}. */
  record Change(String id, String before, String after) {}

  final Connection connection;
  final String table;
  final String idColumn;
  final String column;

  /** Whether the token column holds bytes (bytea, varbinary, blob) rather than text. */
  boolean binary;

  SweepTable(Connection connection, String table, String idColumn, String column) {
    this.connection = connection;
    this.table = table;
    this.idColumn = idColumn;
    this.column = column;
  }

  /**
   * Checks the table's shape: the id column is the primary key or a unique key of non-null values,
   * the token column holds text or bytes; returns what it checked, one line each.
   *
   * @throws KeyturnException.TargetFailure naming what is wrong (permanent)
   */
  abstract List<String> inspect() throws SQLException;

  /** Checks that the connection's user may SELECT and UPDATE the table (it changes nothing). */
  abstract List<String> privileges() throws SQLException;

  /** The number of rows now. */
  final long count() throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT COUNT(*) FROM " + table);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Up to {@code limit} rows after {@code after} (all from the first when empty) and at most {@code
   * upTo} when given, in id order.
   */
  abstract List<Row> rows(Optional<String> after, Optional<String> upTo, int limit)
      throws SQLException;

  /**
   * Applies {@code changes}, each only where the row still holds its {@code before} token.
   *
   * @return the ids of the rows changed, when the engine tells; empty when it does not (the caller
   *     reads the rows back)
   */
  abstract Optional<java.util.Set<String>> update(List<Change> changes) throws SQLException;

  /** The rows with these ids (those that still exist). */
  abstract List<Row> rowsWithIds(List<String> ids) throws SQLException;

  /** Reads the rows of a query whose first column is the id as text and second the token. */
  final List<Row> read(PreparedStatement ps) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString(1);
        Optional<String> token;
        if (binary) {
          byte[] bytes = rs.getBytes(2);
          token = Optional.ofNullable(bytes).filter(SweepTable::ascii).map(SweepTable::text);
        } else {
          token = Optional.ofNullable(rs.getString(2));
        }
        out.add(new Row(id, token));
      }
    }
    return out;
  }

  static boolean ascii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0x20 || b > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  /** A refusal of the table's shape, naming the setting; retrying cannot help. */
  static KeyturnException.TargetFailure shape(String message) {
    return KeyturnException.TargetFailure.permanent(message);
  }
}
