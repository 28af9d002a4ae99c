package io.parlor.core.store;

import java.sql.SQLException;
import java.sql.Statement;

/** The database schema. Only what routing and delivery need; nothing is kept after its use. */
final class Schema {
  private Schema() {}

  static void create(Statement st) throws SQLException {
    // Queued messages. A row lives from acceptance until delivery, failure or expiry: then it is
    // deleted (secure_delete overwrites the freed pages).
    st.execute(
        "CREATE TABLE IF NOT EXISTS messages ("
            + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            + " gid TEXT NOT NULL UNIQUE,"
            + " source_network TEXT NOT NULL,"
            + " source_id TEXT NOT NULL,"
            + " conversation TEXT NOT NULL,"
            + " recipient TEXT NOT NULL,"
            + " envelope BLOB NOT NULL,"
            + " deadline INTEGER NOT NULL,"
            + " created_at INTEGER NOT NULL)");
    st.execute("CREATE INDEX IF NOT EXISTS messages_recipient ON messages(recipient)");
    // (source network, message id) pairs already accepted, for a bounded window.
    st.execute(
        "CREATE TABLE IF NOT EXISTS dedupe ("
            + " source_network TEXT NOT NULL,"
            + " source_id TEXT NOT NULL,"
            + " seen_at INTEGER NOT NULL,"
            + " PRIMARY KEY (source_network, source_id)) WITHOUT ROWID");
    st.execute("CREATE INDEX IF NOT EXISTS dedupe_seen ON dedupe(seen_at)");
    st.execute(
        "CREATE TABLE IF NOT EXISTS people ("
            + " id TEXT PRIMARY KEY,"
            + " opt_in INTEGER NOT NULL,"
            + " reachable_by TEXT NOT NULL,"
            + " created_at INTEGER NOT NULL,"
            + " updated_at INTEGER NOT NULL)");
    st.execute(
        "CREATE TABLE IF NOT EXISTS accounts ("
            + " address TEXT PRIMARY KEY,"
            + " person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
            + " position INTEGER NOT NULL)");
    st.execute("CREATE INDEX IF NOT EXISTS accounts_person ON accounts(person_id, position)");
    // Relay handles: `represents` is the party a message to the handle reaches, `viewer` the only
    // party who may use it. Both are party keys (person:<id> or addr:<address>).
    st.execute(
        "CREATE TABLE IF NOT EXISTS relay_handles ("
            + " handle TEXT PRIMARY KEY,"
            + " represents TEXT NOT NULL,"
            + " viewer TEXT NOT NULL,"
            + " created_at INTEGER NOT NULL,"
            + " last_used_at INTEGER NOT NULL,"
            + " UNIQUE (represents, viewer))");
    st.execute("CREATE INDEX IF NOT EXISTS relay_viewer ON relay_handles(viewer)");
    // Statuses owed to source networks; deleted once handed over.
    st.execute(
        "CREATE TABLE IF NOT EXISTS status_outbox ("
            + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            + " network TEXT NOT NULL,"
            + " source_id TEXT NOT NULL,"
            + " status TEXT NOT NULL,"
            + " reason TEXT NOT NULL,"
            + " at INTEGER NOT NULL)");
  }
}
