package io.parlor.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The rowid of the connection's last INSERT. The store's connections are opened without the
 * driver's generated-keys support, which ran a newly compiled query after every INSERT; this reads
 * the same value through a prepared statement the connection caches.
 */
final class Rowids {
  private Rowids() {}

  static long last(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT last_insert_rowid()");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("last_insert_rowid() returned no row");
      }
      return rs.getLong(1);
    }
  }
}
