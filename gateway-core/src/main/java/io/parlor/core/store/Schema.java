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
            + " sender TEXT NOT NULL,"
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
            + " handle TEXT UNIQUE,"
            + " allow_plaintext INTEGER NOT NULL DEFAULT 0,"
            + " default_timer INTEGER,"
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
    // Number masking: which pool number of a network stands for which counterpart in front of a
    // viewer (one number per (viewer, counterpart) pair).
    st.execute(
        "CREATE TABLE IF NOT EXISTS pool_numbers ("
            + " network TEXT NOT NULL,"
            + " viewer TEXT NOT NULL,"
            + " number TEXT NOT NULL,"
            + " represents TEXT NOT NULL,"
            + " last_used_at INTEGER NOT NULL,"
            + " PRIMARY KEY (network, viewer, number),"
            + " UNIQUE (network, viewer, represents))");
    // Reply context for networks with one sender identity: the network's id of a delivered
    // message -> the conversation it belongs to. Metadata: purged after the retention window.
    st.execute(
        "CREATE TABLE IF NOT EXISTS delivery_refs ("
            + " network TEXT NOT NULL,"
            + " network_message_id TEXT NOT NULL,"
            + " viewer TEXT NOT NULL,"
            + " represents TEXT NOT NULL,"
            + " source_network TEXT NOT NULL,"
            + " source_id TEXT NOT NULL,"
            + " at INTEGER NOT NULL,"
            + " PRIMARY KEY (network, network_message_id))");
    st.execute("CREATE INDEX IF NOT EXISTS delivery_refs_at ON delivery_refs(at)");
    // A viewer's most recent conversation on a network (where a reply without context goes).
    st.execute(
        "CREATE TABLE IF NOT EXISTS recent_conversations ("
            + " network TEXT NOT NULL,"
            + " viewer TEXT NOT NULL,"
            + " represents TEXT NOT NULL,"
            + " at INTEGER NOT NULL,"
            + " PRIMARY KEY (network, viewer))");
    // A person's blocked senders (account addresses or @handles), blocked on every linked network.
    st.execute(
        "CREATE TABLE IF NOT EXISTS blocks ("
            + " person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
            + " address TEXT NOT NULL,"
            + " PRIMARY KEY (person_id, address)) WITHOUT ROWID");
    // One-time codes proving control of an account: keyed hash only, short-lived.
    st.execute(
        "CREATE TABLE IF NOT EXISTS auth_codes ("
            + " address TEXT PRIMARY KEY,"
            + " purpose TEXT NOT NULL,"
            + " code_hash BLOB NOT NULL,"
            + " failures INTEGER NOT NULL,"
            + " expires_at INTEGER NOT NULL)");
    // Sessions: SHA-256 of the bearer token only.
    st.execute(
        "CREATE TABLE IF NOT EXISTS sessions ("
            + " token_hash BLOB PRIMARY KEY,"
            + " person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
            + " expires_at INTEGER NOT NULL)");
    // Thread records (undirected party pair): e2ee flag and last use, expire after inactivity.
    st.execute(
        "CREATE TABLE IF NOT EXISTS threads ("
            + " key TEXT PRIMARY KEY,"
            + " e2ee INTEGER NOT NULL,"
            + " last_used_at INTEGER NOT NULL) WITHOUT ROWID");
    // Safety metadata under keyed pseudonyms; keys rotate every retention window.
    st.execute(
        "CREATE TABLE IF NOT EXISTS pseudonym_keys ("
            + " epoch INTEGER PRIMARY KEY,"
            + " key BLOB NOT NULL)");
    st.execute(
        "CREATE TABLE IF NOT EXISTS safety_events ("
            + " at INTEGER NOT NULL,"
            + " network TEXT NOT NULL,"
            + " sender TEXT NOT NULL,"
            + " recipient TEXT NOT NULL,"
            + " size_bucket TEXT NOT NULL)");
    st.execute("CREATE INDEX IF NOT EXISTS safety_sender ON safety_events(sender, at)");
    st.execute("CREATE INDEX IF NOT EXISTS safety_at ON safety_events(at)");
    // Messages handed to networks that report receipts, awaiting one (ids only).
    st.execute(
        "CREATE TABLE IF NOT EXISTS receipt_waits ("
            + " gid TEXT PRIMARY KEY,"
            + " network TEXT NOT NULL,"
            + " network_message_id TEXT,"
            + " source_network TEXT NOT NULL,"
            + " source_id TEXT NOT NULL,"
            + " at INTEGER NOT NULL)");
    st.execute("CREATE INDEX IF NOT EXISTS receipt_waits_nmid ON receipt_waits(network, network_message_id)");
    // Statuses owed to source networks; deleted once handed over.
    st.execute(
        "CREATE TABLE IF NOT EXISTS status_outbox ("
            + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            + " network TEXT NOT NULL,"
            + " source_id TEXT NOT NULL,"
            + " status TEXT NOT NULL,"
            + " reason TEXT NOT NULL,"
            + " at INTEGER NOT NULL)");
    // public-key directory: append-only log of public keys (keys wiring)
    io.parlor.core.keys.KeyLog.createSchema(st);
  }
}
