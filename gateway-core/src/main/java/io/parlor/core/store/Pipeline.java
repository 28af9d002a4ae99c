package io.parlor.core.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Updates a unit of work does not need the outcome of (how many rows, a generated key): on
 * PostgreSQL's writer connection they are held back and sent with the next statement, so that a
 * unit costs fewer round trips to the server; elsewhere (SQLite, where a statement is a function
 * call; a reader's connection) they run at once.
 *
 * <p>A deferred update still belongs to its unit: it runs before anything the unit reads next (it
 * sees its own writes) and, at the latest, with the writer's transaction control when the unit
 * ends; should it fail, the unit fails and is rolled back, as if it had failed where it was
 * called. Use it only for updates whose failure no caller inside the unit catches: expected
 * failures (a unique key another node's commit won, SQL state 23505) are the unit's caller's to
 * handle, by running the unit again.
 */
public final class Pipeline {
  private Pipeline() {}

  /** Runs {@code ps} (an update with its parameters bound) now, or with the connection's next statement. */
  public static void update(PreparedStatement ps) throws SQLException {
    if (ps instanceof StatementCache.Deferrable d) {
      d.defer();
    } else {
      ps.executeUpdate();
    }
  }
}
