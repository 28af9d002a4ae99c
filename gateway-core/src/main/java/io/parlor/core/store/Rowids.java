package io.parlor.core.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The generated id of an INSERT, given back by the INSERT itself ({@code RETURNING}, on both
 * stores). The store's connections are opened without the driver's generated-keys support, which
 * ran a newly compiled query after every INSERT; and asking {@code SELECT last_insert_rowid()}
 * after it was a second statement for each of the two inserts of every message (issue 17).
 */
final class Rowids {
  private Rowids() {}

  /** {@code insert}, made to give back its generated {@code column}; run it with {@link #insert}. */
  static String returning(String insert, String column) {
    return insert + " RETURNING " + column;
  }

  /** Runs an insert prepared from {@link #returning}; returns the id it generated. */
  static long insert(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("the insert returned no id");
      }
      return rs.getLong(1);
    }
  }
}
