package dev.keyturn.store;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * A {@link Connection} that passes every call to another, for {@link StatementCache} to override
 * the few it changes: plain calls the JIT can inline, where a {@link java.lang.reflect.Proxy} boxed
 * every argument and went through reflection on each call.
 */
abstract class ForwardingConnection implements Connection {
  final Connection connection;

  ForwardingConnection(Connection connection) {
    this.connection = connection;
  }

  @Override
  public void abort(Executor p1) throws SQLException {
    connection.abort(p1);
  }

  @Override
  public void beginRequest() throws SQLException {
    connection.beginRequest();
  }

  @Override
  public void clearWarnings() throws SQLException {
    connection.clearWarnings();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public Array createArrayOf(String p1, Object[] p2) throws SQLException {
    return connection.createArrayOf(p1, p2);
  }

  @Override
  public Blob createBlob() throws SQLException {
    return connection.createBlob();
  }

  @Override
  public Clob createClob() throws SQLException {
    return connection.createClob();
  }

  @Override
  public NClob createNClob() throws SQLException {
    return connection.createNClob();
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    return connection.createSQLXML();
  }

  @Override
  public Statement createStatement() throws SQLException {
    return connection.createStatement();
  }

  @Override
  public Statement createStatement(int p1, int p2, int p3) throws SQLException {
    return connection.createStatement(p1, p2, p3);
  }

  @Override
  public Statement createStatement(int p1, int p2) throws SQLException {
    return connection.createStatement(p1, p2);
  }

  @Override
  public Struct createStruct(String p1, Object[] p2) throws SQLException {
    return connection.createStruct(p1, p2);
  }

  @Override
  public void endRequest() throws SQLException {
    connection.endRequest();
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    return connection.getAutoCommit();
  }

  @Override
  public String getCatalog() throws SQLException {
    return connection.getCatalog();
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    return connection.getClientInfo();
  }

  @Override
  public String getClientInfo(String p1) throws SQLException {
    return connection.getClientInfo(p1);
  }

  @Override
  public int getHoldability() throws SQLException {
    return connection.getHoldability();
  }

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    return connection.getMetaData();
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    return connection.getNetworkTimeout();
  }

  @Override
  public String getSchema() throws SQLException {
    return connection.getSchema();
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    return connection.getTransactionIsolation();
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return connection.getTypeMap();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return connection.getWarnings();
  }

  @Override
  public boolean isClosed() throws SQLException {
    return connection.isClosed();
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    return connection.isReadOnly();
  }

  @Override
  public boolean isValid(int p1) throws SQLException {
    return connection.isValid(p1);
  }

  @Override
  public boolean isWrapperFor(Class<?> p1) throws SQLException {
    return connection.isWrapperFor(p1);
  }

  @Override
  public String nativeSQL(String p1) throws SQLException {
    return connection.nativeSQL(p1);
  }

  @Override
  public CallableStatement prepareCall(String p1, int p2, int p3, int p4) throws SQLException {
    return connection.prepareCall(p1, p2, p3, p4);
  }

  @Override
  public CallableStatement prepareCall(String p1, int p2, int p3) throws SQLException {
    return connection.prepareCall(p1, p2, p3);
  }

  @Override
  public CallableStatement prepareCall(String p1) throws SQLException {
    return connection.prepareCall(p1);
  }

  @Override
  public PreparedStatement prepareStatement(String p1, int[] p2) throws SQLException {
    return connection.prepareStatement(p1, p2);
  }

  @Override
  public PreparedStatement prepareStatement(String p1, String[] p2) throws SQLException {
    return connection.prepareStatement(p1, p2);
  }

  @Override
  public PreparedStatement prepareStatement(String p1, int p2, int p3, int p4) throws SQLException {
    return connection.prepareStatement(p1, p2, p3, p4);
  }

  @Override
  public PreparedStatement prepareStatement(String p1, int p2, int p3) throws SQLException {
    return connection.prepareStatement(p1, p2, p3);
  }

  @Override
  public PreparedStatement prepareStatement(String p1, int p2) throws SQLException {
    return connection.prepareStatement(p1, p2);
  }

  @Override
  public PreparedStatement prepareStatement(String p1) throws SQLException {
    return connection.prepareStatement(p1);
  }

  @Override
  public void releaseSavepoint(Savepoint p1) throws SQLException {
    connection.releaseSavepoint(p1);
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void rollback(Savepoint p1) throws SQLException {
    connection.rollback(p1);
  }

  @Override
  public void setAutoCommit(boolean p1) throws SQLException {
    connection.setAutoCommit(p1);
  }

  @Override
  public void setCatalog(String p1) throws SQLException {
    connection.setCatalog(p1);
  }

  @Override
  public void setClientInfo(String p1, String p2) throws SQLClientInfoException {
    connection.setClientInfo(p1, p2);
  }

  @Override
  public void setClientInfo(Properties p1) throws SQLClientInfoException {
    connection.setClientInfo(p1);
  }

  @Override
  public void setHoldability(int p1) throws SQLException {
    connection.setHoldability(p1);
  }

  @Override
  public void setNetworkTimeout(Executor p1, int p2) throws SQLException {
    connection.setNetworkTimeout(p1, p2);
  }

  @Override
  public void setReadOnly(boolean p1) throws SQLException {
    connection.setReadOnly(p1);
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    return connection.setSavepoint();
  }

  @Override
  public Savepoint setSavepoint(String p1) throws SQLException {
    return connection.setSavepoint(p1);
  }

  @Override
  public void setSchema(String p1) throws SQLException {
    connection.setSchema(p1);
  }

  @Override
  public void setShardingKey(ShardingKey p1, ShardingKey p2) throws SQLException {
    connection.setShardingKey(p1, p2);
  }

  @Override
  public void setShardingKey(ShardingKey p1) throws SQLException {
    connection.setShardingKey(p1);
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey p1, int p2) throws SQLException {
    return connection.setShardingKeyIfValid(p1, p2);
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey p1, ShardingKey p2, int p3) throws SQLException {
    return connection.setShardingKeyIfValid(p1, p2, p3);
  }

  @Override
  public void setTransactionIsolation(int p1) throws SQLException {
    connection.setTransactionIsolation(p1);
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> p1) throws SQLException {
    connection.setTypeMap(p1);
  }

  @Override
  public <T> T unwrap(Class<T> p1) throws SQLException {
    return connection.unwrap(p1);
  }
}
