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

  /**
   * {@code insert}, made to give back its generated {@code column} where the database can in the
   * same round trip (PostgreSQL: {@code RETURNING}); run it with {@link #insert}.
   */
  static String returning(Connection c, String insert, String column) {
    return Dialect.of(c) == Dialect.POSTGRES ? insert + " RETURNING " + column : insert;
  }

  /** Runs an insert prepared from {@link #returning}; returns the id it generated. */
  static long insert(Connection c, PreparedStatement ps) throws SQLException {
    if (Dialect.of(c) == Dialect.POSTGRES) {
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("the insert returned no id");
        }
        return rs.getLong(1);
      }
    }
    ps.executeUpdate();
    return last(c);
  }

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
