package io.parlor.core.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A cached statement as {@link StatementCache} hands it out at every prepare: {@link #close} clears
 * it for the next use instead of closing it; everything else goes to the statement. Written out,
 * not a dynamic proxy: the proxy's reflective call on every bind and execute was 4.5 µs of the
 * node's CPU per message (issue 17, docs/benchmarks.md). The methods below are the interface's,
 * each delegated as it is (generated from {@code java.sql.PreparedStatement}, Java 17).
 */
@SuppressWarnings("deprecation")
final class ReusableStatement implements PreparedStatement {
  private final PreparedStatement ps;

  ReusableStatement(PreparedStatement ps) {
    this.ps = ps;
  }

  @Override
  public void addBatch() throws SQLException {
    ps.addBatch();
  }

  @Override
  public void addBatch(String a0) throws SQLException {
    ps.addBatch(a0);
  }

  @Override
  public void cancel() throws SQLException {
    ps.cancel();
  }

  @Override
  public void clearBatch() throws SQLException {
    ps.clearBatch();
  }

  @Override
  public void clearParameters() throws SQLException {
    ps.clearParameters();
  }

  @Override
  public void clearWarnings() throws SQLException {
    ps.clearWarnings();
  }

  /** Does not close: clears the statement for its next use (closed with its connection's cache). */
  @Override
  public void close() throws SQLException {
    ps.clearParameters();
    ps.clearBatch();
  }

  @Override
  public void closeOnCompletion() throws SQLException {
    ps.closeOnCompletion();
  }

  @Override
  public String enquoteIdentifier(String a0, boolean a1) throws SQLException {
    return ps.enquoteIdentifier(a0, a1);
  }

  @Override
  public String enquoteLiteral(String a0) throws SQLException {
    return ps.enquoteLiteral(a0);
  }

  @Override
  public String enquoteNCharLiteral(String a0) throws SQLException {
    return ps.enquoteNCharLiteral(a0);
  }

  @Override
  public boolean execute() throws SQLException {
    return ps.execute();
  }

  @Override
  public boolean execute(String a0, int[] a1) throws SQLException {
    return ps.execute(a0, a1);
  }

  @Override
  public boolean execute(String a0, String[] a1) throws SQLException {
    return ps.execute(a0, a1);
  }

  @Override
  public boolean execute(String a0, int a1) throws SQLException {
    return ps.execute(a0, a1);
  }

  @Override
  public boolean execute(String a0) throws SQLException {
    return ps.execute(a0);
  }

  @Override
  public int[] executeBatch() throws SQLException {
    return ps.executeBatch();
  }

  @Override
  public long[] executeLargeBatch() throws SQLException {
    return ps.executeLargeBatch();
  }

  @Override
  public long executeLargeUpdate() throws SQLException {
    return ps.executeLargeUpdate();
  }

  @Override
  public long executeLargeUpdate(String a0, int[] a1) throws SQLException {
    return ps.executeLargeUpdate(a0, a1);
  }

  @Override
  public long executeLargeUpdate(String a0, String[] a1) throws SQLException {
    return ps.executeLargeUpdate(a0, a1);
  }

  @Override
  public long executeLargeUpdate(String a0, int a1) throws SQLException {
    return ps.executeLargeUpdate(a0, a1);
  }

  @Override
  public long executeLargeUpdate(String a0) throws SQLException {
    return ps.executeLargeUpdate(a0);
  }

  @Override
  public java.sql.ResultSet executeQuery() throws SQLException {
    return ps.executeQuery();
  }

  @Override
  public java.sql.ResultSet executeQuery(String a0) throws SQLException {
    return ps.executeQuery(a0);
  }

  @Override
  public int executeUpdate() throws SQLException {
    return ps.executeUpdate();
  }

  @Override
  public int executeUpdate(String a0, int[] a1) throws SQLException {
    return ps.executeUpdate(a0, a1);
  }

  @Override
  public int executeUpdate(String a0, String[] a1) throws SQLException {
    return ps.executeUpdate(a0, a1);
  }

  @Override
  public int executeUpdate(String a0, int a1) throws SQLException {
    return ps.executeUpdate(a0, a1);
  }

  @Override
  public int executeUpdate(String a0) throws SQLException {
    return ps.executeUpdate(a0);
  }

  @Override
  public java.sql.Connection getConnection() throws SQLException {
    return ps.getConnection();
  }

  @Override
  public int getFetchDirection() throws SQLException {
    return ps.getFetchDirection();
  }

  @Override
  public int getFetchSize() throws SQLException {
    return ps.getFetchSize();
  }

  @Override
  public java.sql.ResultSet getGeneratedKeys() throws SQLException {
    return ps.getGeneratedKeys();
  }

  @Override
  public long getLargeMaxRows() throws SQLException {
    return ps.getLargeMaxRows();
  }

  @Override
  public long getLargeUpdateCount() throws SQLException {
    return ps.getLargeUpdateCount();
  }

  @Override
  public int getMaxFieldSize() throws SQLException {
    return ps.getMaxFieldSize();
  }

  @Override
  public int getMaxRows() throws SQLException {
    return ps.getMaxRows();
  }

  @Override
  public java.sql.ResultSetMetaData getMetaData() throws SQLException {
    return ps.getMetaData();
  }

  @Override
  public boolean getMoreResults() throws SQLException {
    return ps.getMoreResults();
  }

  @Override
  public boolean getMoreResults(int a0) throws SQLException {
    return ps.getMoreResults(a0);
  }

  @Override
  public java.sql.ParameterMetaData getParameterMetaData() throws SQLException {
    return ps.getParameterMetaData();
  }

  @Override
  public int getQueryTimeout() throws SQLException {
    return ps.getQueryTimeout();
  }

  @Override
  public java.sql.ResultSet getResultSet() throws SQLException {
    return ps.getResultSet();
  }

  @Override
  public int getResultSetConcurrency() throws SQLException {
    return ps.getResultSetConcurrency();
  }

  @Override
  public int getResultSetHoldability() throws SQLException {
    return ps.getResultSetHoldability();
  }

  @Override
  public int getResultSetType() throws SQLException {
    return ps.getResultSetType();
  }

  @Override
  public int getUpdateCount() throws SQLException {
    return ps.getUpdateCount();
  }

  @Override
  public java.sql.SQLWarning getWarnings() throws SQLException {
    return ps.getWarnings();
  }

  @Override
  public boolean isCloseOnCompletion() throws SQLException {
    return ps.isCloseOnCompletion();
  }

  @Override
  public boolean isClosed() throws SQLException {
    return ps.isClosed();
  }

  @Override
  public boolean isPoolable() throws SQLException {
    return ps.isPoolable();
  }

  @Override
  public boolean isSimpleIdentifier(String a0) throws SQLException {
    return ps.isSimpleIdentifier(a0);
  }

  @Override
  public boolean isWrapperFor(Class<?> a0) throws SQLException {
    return ps.isWrapperFor(a0);
  }

  @Override
  public void setArray(int a0, java.sql.Array a1) throws SQLException {
    ps.setArray(a0, a1);
  }

  @Override
  public void setAsciiStream(int a0, java.io.InputStream a1, int a2) throws SQLException {
    ps.setAsciiStream(a0, a1, a2);
  }

  @Override
  public void setAsciiStream(int a0, java.io.InputStream a1, long a2) throws SQLException {
    ps.setAsciiStream(a0, a1, a2);
  }

  @Override
  public void setAsciiStream(int a0, java.io.InputStream a1) throws SQLException {
    ps.setAsciiStream(a0, a1);
  }

  @Override
  public void setBigDecimal(int a0, java.math.BigDecimal a1) throws SQLException {
    ps.setBigDecimal(a0, a1);
  }

  @Override
  public void setBinaryStream(int a0, java.io.InputStream a1, int a2) throws SQLException {
    ps.setBinaryStream(a0, a1, a2);
  }

  @Override
  public void setBinaryStream(int a0, java.io.InputStream a1, long a2) throws SQLException {
    ps.setBinaryStream(a0, a1, a2);
  }

  @Override
  public void setBinaryStream(int a0, java.io.InputStream a1) throws SQLException {
    ps.setBinaryStream(a0, a1);
  }

  @Override
  public void setBlob(int a0, java.io.InputStream a1, long a2) throws SQLException {
    ps.setBlob(a0, a1, a2);
  }

  @Override
  public void setBlob(int a0, java.io.InputStream a1) throws SQLException {
    ps.setBlob(a0, a1);
  }

  @Override
  public void setBlob(int a0, java.sql.Blob a1) throws SQLException {
    ps.setBlob(a0, a1);
  }

  @Override
  public void setBoolean(int a0, boolean a1) throws SQLException {
    ps.setBoolean(a0, a1);
  }

  @Override
  public void setByte(int a0, byte a1) throws SQLException {
    ps.setByte(a0, a1);
  }

  @Override
  public void setBytes(int a0, byte[] a1) throws SQLException {
    ps.setBytes(a0, a1);
  }

  @Override
  public void setCharacterStream(int a0, java.io.Reader a1, int a2) throws SQLException {
    ps.setCharacterStream(a0, a1, a2);
  }

  @Override
  public void setCharacterStream(int a0, java.io.Reader a1, long a2) throws SQLException {
    ps.setCharacterStream(a0, a1, a2);
  }

  @Override
  public void setCharacterStream(int a0, java.io.Reader a1) throws SQLException {
    ps.setCharacterStream(a0, a1);
  }

  @Override
  public void setClob(int a0, java.io.Reader a1, long a2) throws SQLException {
    ps.setClob(a0, a1, a2);
  }

  @Override
  public void setClob(int a0, java.io.Reader a1) throws SQLException {
    ps.setClob(a0, a1);
  }

  @Override
  public void setClob(int a0, java.sql.Clob a1) throws SQLException {
    ps.setClob(a0, a1);
  }

  @Override
  public void setCursorName(String a0) throws SQLException {
    ps.setCursorName(a0);
  }

  @Override
  public void setDate(int a0, java.sql.Date a1, java.util.Calendar a2) throws SQLException {
    ps.setDate(a0, a1, a2);
  }

  @Override
  public void setDate(int a0, java.sql.Date a1) throws SQLException {
    ps.setDate(a0, a1);
  }

  @Override
  public void setDouble(int a0, double a1) throws SQLException {
    ps.setDouble(a0, a1);
  }

  @Override
  public void setEscapeProcessing(boolean a0) throws SQLException {
    ps.setEscapeProcessing(a0);
  }

  @Override
  public void setFetchDirection(int a0) throws SQLException {
    ps.setFetchDirection(a0);
  }

  @Override
  public void setFetchSize(int a0) throws SQLException {
    ps.setFetchSize(a0);
  }

  @Override
  public void setFloat(int a0, float a1) throws SQLException {
    ps.setFloat(a0, a1);
  }

  @Override
  public void setInt(int a0, int a1) throws SQLException {
    ps.setInt(a0, a1);
  }

  @Override
  public void setLargeMaxRows(long a0) throws SQLException {
    ps.setLargeMaxRows(a0);
  }

  @Override
  public void setLong(int a0, long a1) throws SQLException {
    ps.setLong(a0, a1);
  }

  @Override
  public void setMaxFieldSize(int a0) throws SQLException {
    ps.setMaxFieldSize(a0);
  }

  @Override
  public void setMaxRows(int a0) throws SQLException {
    ps.setMaxRows(a0);
  }

  @Override
  public void setNCharacterStream(int a0, java.io.Reader a1, long a2) throws SQLException {
    ps.setNCharacterStream(a0, a1, a2);
  }

  @Override
  public void setNCharacterStream(int a0, java.io.Reader a1) throws SQLException {
    ps.setNCharacterStream(a0, a1);
  }

  @Override
  public void setNClob(int a0, java.io.Reader a1, long a2) throws SQLException {
    ps.setNClob(a0, a1, a2);
  }

  @Override
  public void setNClob(int a0, java.io.Reader a1) throws SQLException {
    ps.setNClob(a0, a1);
  }

  @Override
  public void setNClob(int a0, java.sql.NClob a1) throws SQLException {
    ps.setNClob(a0, a1);
  }

  @Override
  public void setNString(int a0, String a1) throws SQLException {
    ps.setNString(a0, a1);
  }

  @Override
  public void setNull(int a0, int a1, String a2) throws SQLException {
    ps.setNull(a0, a1, a2);
  }

  @Override
  public void setNull(int a0, int a1) throws SQLException {
    ps.setNull(a0, a1);
  }

  @Override
  public void setObject(int a0, Object a1, int a2, int a3) throws SQLException {
    ps.setObject(a0, a1, a2, a3);
  }

  @Override
  public void setObject(int a0, Object a1, int a2) throws SQLException {
    ps.setObject(a0, a1, a2);
  }

  @Override
  public void setObject(int a0, Object a1, java.sql.SQLType a2, int a3) throws SQLException {
    ps.setObject(a0, a1, a2, a3);
  }

  @Override
  public void setObject(int a0, Object a1, java.sql.SQLType a2) throws SQLException {
    ps.setObject(a0, a1, a2);
  }

  @Override
  public void setObject(int a0, Object a1) throws SQLException {
    ps.setObject(a0, a1);
  }

  @Override
  public void setPoolable(boolean a0) throws SQLException {
    ps.setPoolable(a0);
  }

  @Override
  public void setQueryTimeout(int a0) throws SQLException {
    ps.setQueryTimeout(a0);
  }

  @Override
  public void setRef(int a0, java.sql.Ref a1) throws SQLException {
    ps.setRef(a0, a1);
  }

  @Override
  public void setRowId(int a0, java.sql.RowId a1) throws SQLException {
    ps.setRowId(a0, a1);
  }

  @Override
  public void setSQLXML(int a0, java.sql.SQLXML a1) throws SQLException {
    ps.setSQLXML(a0, a1);
  }

  @Override
  public void setShort(int a0, short a1) throws SQLException {
    ps.setShort(a0, a1);
  }

  @Override
  public void setString(int a0, String a1) throws SQLException {
    ps.setString(a0, a1);
  }

  @Override
  public void setTime(int a0, java.sql.Time a1, java.util.Calendar a2) throws SQLException {
    ps.setTime(a0, a1, a2);
  }

  @Override
  public void setTime(int a0, java.sql.Time a1) throws SQLException {
    ps.setTime(a0, a1);
  }

  @Override
  public void setTimestamp(int a0, java.sql.Timestamp a1, java.util.Calendar a2) throws SQLException {
    ps.setTimestamp(a0, a1, a2);
  }

  @Override
  public void setTimestamp(int a0, java.sql.Timestamp a1) throws SQLException {
    ps.setTimestamp(a0, a1);
  }

  @Override
  public void setURL(int a0, java.net.URL a1) throws SQLException {
    ps.setURL(a0, a1);
  }

  @Override
  public void setUnicodeStream(int a0, java.io.InputStream a1, int a2) throws SQLException {
    ps.setUnicodeStream(a0, a1, a2);
  }

  @Override
  public <T> T unwrap(Class<T> a0) throws SQLException {
    return ps.unwrap(a0);
  }
}
