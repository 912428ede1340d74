package dev.keyturn.store;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;

/**
 * A {@link PreparedStatement} that passes every call to the statement {@link #target} returns, for
 * {@link StatementCache} to override the few it changes and to refuse calls after its use ended.
 */
abstract class ForwardingPreparedStatement implements PreparedStatement {

  /** The statement to call; throws if this one may no longer be used. */
  abstract PreparedStatement target() throws SQLException;

  @Override
  public void addBatch() throws SQLException {
    target().addBatch();
  }

  @Override
  public void addBatch(String p1) throws SQLException {
    target().addBatch(p1);
  }

  @Override
  public void cancel() throws SQLException {
    target().cancel();
  }

  @Override
  public void clearBatch() throws SQLException {
    target().clearBatch();
  }

  @Override
  public void clearParameters() throws SQLException {
    target().clearParameters();
  }

  @Override
  public void clearWarnings() throws SQLException {
    target().clearWarnings();
  }

  @Override
  public void close() throws SQLException {
    target().close();
  }

  @Override
  public void closeOnCompletion() throws SQLException {
    target().closeOnCompletion();
  }

  @Override
  public String enquoteIdentifier(String p1, boolean p2) throws SQLException {
    return target().enquoteIdentifier(p1, p2);
  }

  @Override
  public String enquoteLiteral(String p1) throws SQLException {
    return target().enquoteLiteral(p1);
  }

  @Override
  public String enquoteNCharLiteral(String p1) throws SQLException {
    return target().enquoteNCharLiteral(p1);
  }

  @Override
  public boolean execute() throws SQLException {
    return target().execute();
  }

  @Override
  public boolean execute(String p1, int[] p2) throws SQLException {
    return target().execute(p1, p2);
  }

  @Override
  public boolean execute(String p1, String[] p2) throws SQLException {
    return target().execute(p1, p2);
  }

  @Override
  public boolean execute(String p1, int p2) throws SQLException {
    return target().execute(p1, p2);
  }

  @Override
  public boolean execute(String p1) throws SQLException {
    return target().execute(p1);
  }

  @Override
  public int[] executeBatch() throws SQLException {
    return target().executeBatch();
  }

  @Override
  public long[] executeLargeBatch() throws SQLException {
    return target().executeLargeBatch();
  }

  @Override
  public long executeLargeUpdate() throws SQLException {
    return target().executeLargeUpdate();
  }

  @Override
  public long executeLargeUpdate(String p1, int[] p2) throws SQLException {
    return target().executeLargeUpdate(p1, p2);
  }

  @Override
  public long executeLargeUpdate(String p1, String[] p2) throws SQLException {
    return target().executeLargeUpdate(p1, p2);
  }

  @Override
  public long executeLargeUpdate(String p1, int p2) throws SQLException {
    return target().executeLargeUpdate(p1, p2);
  }

  @Override
  public long executeLargeUpdate(String p1) throws SQLException {
    return target().executeLargeUpdate(p1);
  }

  @Override
  public ResultSet executeQuery() throws SQLException {
    return target().executeQuery();
  }

  @Override
  public ResultSet executeQuery(String p1) throws SQLException {
    return target().executeQuery(p1);
  }

  @Override
  public int executeUpdate() throws SQLException {
    return target().executeUpdate();
  }

  @Override
  public int executeUpdate(String p1, int[] p2) throws SQLException {
    return target().executeUpdate(p1, p2);
  }

  @Override
  public int executeUpdate(String p1, String[] p2) throws SQLException {
    return target().executeUpdate(p1, p2);
  }

  @Override
  public int executeUpdate(String p1, int p2) throws SQLException {
    return target().executeUpdate(p1, p2);
  }

  @Override
  public int executeUpdate(String p1) throws SQLException {
    return target().executeUpdate(p1);
  }

  @Override
  public Connection getConnection() throws SQLException {
    return target().getConnection();
  }

  @Override
  public int getFetchDirection() throws SQLException {
    return target().getFetchDirection();
  }

  @Override
  public int getFetchSize() throws SQLException {
    return target().getFetchSize();
  }

  @Override
  public ResultSet getGeneratedKeys() throws SQLException {
    return target().getGeneratedKeys();
  }

  @Override
  public long getLargeMaxRows() throws SQLException {
    return target().getLargeMaxRows();
  }

  @Override
  public long getLargeUpdateCount() throws SQLException {
    return target().getLargeUpdateCount();
  }

  @Override
  public int getMaxFieldSize() throws SQLException {
    return target().getMaxFieldSize();
  }

  @Override
  public int getMaxRows() throws SQLException {
    return target().getMaxRows();
  }

  @Override
  public ResultSetMetaData getMetaData() throws SQLException {
    return target().getMetaData();
  }

  @Override
  public boolean getMoreResults() throws SQLException {
    return target().getMoreResults();
  }

  @Override
  public boolean getMoreResults(int p1) throws SQLException {
    return target().getMoreResults(p1);
  }

  @Override
  public ParameterMetaData getParameterMetaData() throws SQLException {
    return target().getParameterMetaData();
  }

  @Override
  public int getQueryTimeout() throws SQLException {
    return target().getQueryTimeout();
  }

  @Override
  public ResultSet getResultSet() throws SQLException {
    return target().getResultSet();
  }

  @Override
  public int getResultSetConcurrency() throws SQLException {
    return target().getResultSetConcurrency();
  }

  @Override
  public int getResultSetHoldability() throws SQLException {
    return target().getResultSetHoldability();
  }

  @Override
  public int getResultSetType() throws SQLException {
    return target().getResultSetType();
  }

  @Override
  public int getUpdateCount() throws SQLException {
    return target().getUpdateCount();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return target().getWarnings();
  }

  @Override
  public boolean isCloseOnCompletion() throws SQLException {
    return target().isCloseOnCompletion();
  }

  @Override
  public boolean isClosed() throws SQLException {
    return target().isClosed();
  }

  @Override
  public boolean isPoolable() throws SQLException {
    return target().isPoolable();
  }

  @Override
  public boolean isSimpleIdentifier(String p1) throws SQLException {
    return target().isSimpleIdentifier(p1);
  }

  @Override
  public boolean isWrapperFor(Class<?> p1) throws SQLException {
    return target().isWrapperFor(p1);
  }

  @Override
  public void setArray(int p1, Array p2) throws SQLException {
    target().setArray(p1, p2);
  }

  @Override
  public void setAsciiStream(int p1, InputStream p2, int p3) throws SQLException {
    target().setAsciiStream(p1, p2, p3);
  }

  @Override
  public void setAsciiStream(int p1, InputStream p2, long p3) throws SQLException {
    target().setAsciiStream(p1, p2, p3);
  }

  @Override
  public void setAsciiStream(int p1, InputStream p2) throws SQLException {
    target().setAsciiStream(p1, p2);
  }

  @Override
  public void setBigDecimal(int p1, BigDecimal p2) throws SQLException {
    target().setBigDecimal(p1, p2);
  }

  @Override
  public void setBinaryStream(int p1, InputStream p2, int p3) throws SQLException {
    target().setBinaryStream(p1, p2, p3);
  }

  @Override
  public void setBinaryStream(int p1, InputStream p2, long p3) throws SQLException {
    target().setBinaryStream(p1, p2, p3);
  }

  @Override
  public void setBinaryStream(int p1, InputStream p2) throws SQLException {
    target().setBinaryStream(p1, p2);
  }

  @Override
  public void setBlob(int p1, InputStream p2, long p3) throws SQLException {
    target().setBlob(p1, p2, p3);
  }

  @Override
  public void setBlob(int p1, InputStream p2) throws SQLException {
    target().setBlob(p1, p2);
  }

  @Override
  public void setBlob(int p1, Blob p2) throws SQLException {
    target().setBlob(p1, p2);
  }

  @Override
  public void setBoolean(int p1, boolean p2) throws SQLException {
    target().setBoolean(p1, p2);
  }

  @Override
  public void setByte(int p1, byte p2) throws SQLException {
    target().setByte(p1, p2);
  }

  @Override
  public void setBytes(int p1, byte[] p2) throws SQLException {
    target().setBytes(p1, p2);
  }

  @Override
  public void setCharacterStream(int p1, Reader p2, int p3) throws SQLException {
    target().setCharacterStream(p1, p2, p3);
  }

  @Override
  public void setCharacterStream(int p1, Reader p2, long p3) throws SQLException {
    target().setCharacterStream(p1, p2, p3);
  }

  @Override
  public void setCharacterStream(int p1, Reader p2) throws SQLException {
    target().setCharacterStream(p1, p2);
  }

  @Override
  public void setClob(int p1, Reader p2, long p3) throws SQLException {
    target().setClob(p1, p2, p3);
  }

  @Override
  public void setClob(int p1, Reader p2) throws SQLException {
    target().setClob(p1, p2);
  }

  @Override
  public void setClob(int p1, Clob p2) throws SQLException {
    target().setClob(p1, p2);
  }

  @Override
  public void setCursorName(String p1) throws SQLException {
    target().setCursorName(p1);
  }

  @Override
  public void setDate(int p1, Date p2, Calendar p3) throws SQLException {
    target().setDate(p1, p2, p3);
  }

  @Override
  public void setDate(int p1, Date p2) throws SQLException {
    target().setDate(p1, p2);
  }

  @Override
  public void setDouble(int p1, double p2) throws SQLException {
    target().setDouble(p1, p2);
  }

  @Override
  public void setEscapeProcessing(boolean p1) throws SQLException {
    target().setEscapeProcessing(p1);
  }

  @Override
  public void setFetchDirection(int p1) throws SQLException {
    target().setFetchDirection(p1);
  }

  @Override
  public void setFetchSize(int p1) throws SQLException {
    target().setFetchSize(p1);
  }

  @Override
  public void setFloat(int p1, float p2) throws SQLException {
    target().setFloat(p1, p2);
  }

  @Override
  public void setInt(int p1, int p2) throws SQLException {
    target().setInt(p1, p2);
  }

  @Override
  public void setLargeMaxRows(long p1) throws SQLException {
    target().setLargeMaxRows(p1);
  }

  @Override
  public void setLong(int p1, long p2) throws SQLException {
    target().setLong(p1, p2);
  }

  @Override
  public void setMaxFieldSize(int p1) throws SQLException {
    target().setMaxFieldSize(p1);
  }

  @Override
  public void setMaxRows(int p1) throws SQLException {
    target().setMaxRows(p1);
  }

  @Override
  public void setNCharacterStream(int p1, Reader p2, long p3) throws SQLException {
    target().setNCharacterStream(p1, p2, p3);
  }

  @Override
  public void setNCharacterStream(int p1, Reader p2) throws SQLException {
    target().setNCharacterStream(p1, p2);
  }

  @Override
  public void setNClob(int p1, Reader p2, long p3) throws SQLException {
    target().setNClob(p1, p2, p3);
  }

  @Override
  public void setNClob(int p1, Reader p2) throws SQLException {
    target().setNClob(p1, p2);
  }

  @Override
  public void setNClob(int p1, NClob p2) throws SQLException {
    target().setNClob(p1, p2);
  }

  @Override
  public void setNString(int p1, String p2) throws SQLException {
    target().setNString(p1, p2);
  }

  @Override
  public void setNull(int p1, int p2, String p3) throws SQLException {
    target().setNull(p1, p2, p3);
  }

  @Override
  public void setNull(int p1, int p2) throws SQLException {
    target().setNull(p1, p2);
  }

  @Override
  public void setObject(int p1, Object p2, int p3, int p4) throws SQLException {
    target().setObject(p1, p2, p3, p4);
  }

  @Override
  public void setObject(int p1, Object p2, int p3) throws SQLException {
    target().setObject(p1, p2, p3);
  }

  @Override
  public void setObject(int p1, Object p2, SQLType p3, int p4) throws SQLException {
    target().setObject(p1, p2, p3, p4);
  }

  @Override
  public void setObject(int p1, Object p2, SQLType p3) throws SQLException {
    target().setObject(p1, p2, p3);
  }

  @Override
  public void setObject(int p1, Object p2) throws SQLException {
    target().setObject(p1, p2);
  }

  @Override
  public void setPoolable(boolean p1) throws SQLException {
    target().setPoolable(p1);
  }

  @Override
  public void setQueryTimeout(int p1) throws SQLException {
    target().setQueryTimeout(p1);
  }

  @Override
  public void setRef(int p1, Ref p2) throws SQLException {
    target().setRef(p1, p2);
  }

  @Override
  public void setRowId(int p1, RowId p2) throws SQLException {
    target().setRowId(p1, p2);
  }

  @Override
  public void setSQLXML(int p1, SQLXML p2) throws SQLException {
    target().setSQLXML(p1, p2);
  }

  @Override
  public void setShort(int p1, short p2) throws SQLException {
    target().setShort(p1, p2);
  }

  @Override
  public void setString(int p1, String p2) throws SQLException {
    target().setString(p1, p2);
  }

  @Override
  public void setTime(int p1, Time p2, Calendar p3) throws SQLException {
    target().setTime(p1, p2, p3);
  }

  @Override
  public void setTime(int p1, Time p2) throws SQLException {
    target().setTime(p1, p2);
  }

  @Override
  public void setTimestamp(int p1, Timestamp p2, Calendar p3) throws SQLException {
    target().setTimestamp(p1, p2, p3);
  }

  @Override
  public void setTimestamp(int p1, Timestamp p2) throws SQLException {
    target().setTimestamp(p1, p2);
  }

  @Override
  public void setURL(int p1, URL p2) throws SQLException {
    target().setURL(p1, p2);
  }

  @Override
  public void setUnicodeStream(int p1, InputStream p2, int p3) throws SQLException {
    target().setUnicodeStream(p1, p2, p3);
  }

  @Override
  public <T> T unwrap(Class<T> p1) throws SQLException {
    return target().unwrap(p1);
  }
}
