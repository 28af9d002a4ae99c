package io.parlor.core.store;

import java.sql.Connection;
import java.sql.SQLException;

/** A unit of work run on a store connection, inside a transaction the store owns. */
@FunctionalInterface
public interface SqlWork<T> {
  T run(Connection c) throws SQLException;

  /**
   * Marks {@code work} as safe to run again after a rollback: everything it changes is in the
   * database, or in memory in a way that a rolled-back run and a second run leave as one run would
   * (a cache told by {@link StoreCaches.AfterTransaction}, a key {@link PayloadCipher} stores again
   * when its row is gone). The writer then runs it with no savepoint of its own: when a unit of its
   * batch fails, the units run since the last commit point are rolled back and run once more
   * without the failed one ({@link GroupCommitWriter}). Unmarked units each end such a run.
   */
  static <T> SqlWork<T> rerunnable(SqlWork<T> work) {
    return work instanceof Rerunnable<T> ? work : new Rerunnable<>(work);
  }

  /** See {@link #rerunnable}. */
  record Rerunnable<T>(SqlWork<T> work) implements SqlWork<T> {
    @Override
    public T run(Connection c) throws SQLException {
      return work.run(c);
    }
  }
}
