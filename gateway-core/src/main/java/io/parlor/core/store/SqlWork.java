package io.parlor.core.store;

import java.sql.Connection;
import java.sql.SQLException;

/** A unit of work run on a store connection, inside a transaction the store owns. */
@FunctionalInterface
public interface SqlWork<T> {
  T run(Connection c) throws SQLException;
}
