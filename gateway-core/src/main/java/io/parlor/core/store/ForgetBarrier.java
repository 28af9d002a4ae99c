package io.parlor.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * On a database several writers share (PostgreSQL: the nodes', and each node's second writer for
 * deliveries' bookkeeping, {@link Store#writeConcurrently}), a forget-me must not race with a
 * delivery that writes a reference naming the person: the delivery could read the person as
 * still there, and commit its row after forget-me deleted the others. Every transaction of
 * bookkeeping holds this lock shared (taken with its BEGIN); a forget-me takes it exclusive, so it
 * waits for the bookkeeping under way, and the bookkeeping after it sees the person gone. On
 * SQLite one writer does everything in turn: nothing to do.
 */
public final class ForgetBarrier {
  private ForgetBarrier() {}

  /** The advisory lock's key ("parlor" and 3). */
  static final long KEY = 0x7061726c6f72L + 3;

  /** The statement a bookkeeping transaction begins with (PostgreSQL). */
  static final String SHARED = "SELECT pg_advisory_xact_lock_shared(" + KEY + ")";

  /** Called by a forget-me's unit before it reads anything: waits for the bookkeeping under way. */
  public static void exclusive(Connection c) throws SQLException {
    if (Dialect.of(c) != Dialect.POSTGRES) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(" + KEY + ")");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
    }
  }
}
