package io.parlor.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The generated id of the connection's last INSERT (SQLite: its rowid; PostgreSQL: its identity). The store's connections are opened without the
 * driver's generated-keys support, which ran a newly compiled query after every INSERT; this reads
 * the same value through a prepared statement the connection caches.
 */
final class Rowids {
  private Rowids() {}

  static long last(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(Dialect.of(c).lastInsertId());
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("the last insert's id: no row");
      }
      return rs.getLong(1);
    }
  }
}
