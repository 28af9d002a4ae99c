package io.parlor.core.store;

import java.sql.SQLException;
import java.sql.Statement;

/**
 * The database schema. Only what routing and delivery need; nothing is kept after its use.
 *
 * <p>{@link #create} makes the tables as the first released schema had them (version 0); the
 * numbered {@link #MIGRATIONS} then bring any store — new, or written by an older build — to
 * the current version, recorded in {@code PRAGMA user_version} (SQLite) or the one row of
 * {@code parlor_schema} (PostgreSQL). A migration runs once, in the same transaction as its
 * version bump; a store newer than this build is refused.
 *
 * <p>The SQL is written once, for SQLite, and {@link Dialect#ddl translated} for PostgreSQL.
 * Statements that move the data of an old SQLite store ({@link #sqliteOnly}) have nothing to move
 * on PostgreSQL, whose stores start at a version that already has the new shape. On PostgreSQL
 * the whole upgrade is one transaction (its DDL is transactional) under an advisory lock, so
 * nodes starting together on one database migrate it once.
 */
final class Schema {
  private Schema() {}

  /** Marks a data move only SQLite stores need (they may hold rows of an older shape). */
  private static final String SQLITE_ONLY = "/* sqlite only */ ";

  private static String sqliteOnly(String sql) {
    return SQLITE_ONLY + sql;
  }

  /** Marks the PostgreSQL form of a data move that SQLite does otherwise ({@link #sqliteOnly}). */
  private static final String POSTGRES_ONLY = "/* postgres only */ ";

  private static String postgresOnly(String sql) {
    return POSTGRES_ONLY + sql;
  }

  /** Any advisory lock number will do, as long as every node takes the same. */
  private static final long MIGRATION_LOCK = 0x7061726c6f72L; // "parlor"

  /** Runs schema SQL written for SQLite in the store's dialect. */
  @FunctionalInterface
  private interface Exec {
    void execute(String sql) throws SQLException;
  }

  /** Each migration's statements; migration {@code i} brings version {@code i} to {@code i + 1}. */
  private static final String[][] MIGRATIONS = {
    // 1: envelope v2 (conversations: references, grades, read receipts, preferences, media links)
    {
      // the canonical references of a queued message (replyTo, content target); null for none
      "ALTER TABLE messages ADD COLUMN refs TEXT",
      // how the delivered content was graded (native / fallback) and, for read statuses, the
      // account of the message's sender on that network
      "ALTER TABLE status_outbox ADD COLUMN grade TEXT",
      "ALTER TABLE status_outbox ADD COLUMN account TEXT",
      "ALTER TABLE receipt_waits ADD COLUMN grade TEXT",
      "ALTER TABLE people ADD COLUMN read_receipts INTEGER NOT NULL DEFAULT 1",
      "ALTER TABLE people ADD COLUMN reaction_fallback INTEGER NOT NULL DEFAULT 1",
      "ALTER TABLE people ADD COLUMN show_as TEXT NOT NULL DEFAULT 'relay'",
      "ALTER TABLE people ADD COLUMN display_name TEXT",
      // the reference table: one row per delivered message, keyed by its gateway id — how the
      // destination network knows it (dest_id: its own id; null when it knows the gateway id)
      // and how its sender's network does; read_at once a read receipt was forwarded. Written
      // for every delivered message, so nothing on it costs a random page per row: gateway ids
      // are time-ordered (the key appends, the purge is a key range), and a message is found
      // from its sender's id through its dedupe key, whose seen_at is the time in its gateway id
      "CREATE TABLE message_refs ("
          + " gid TEXT PRIMARY KEY,"
          + " dest_network TEXT NOT NULL,"
          + " dest_id TEXT,"
          + " viewer TEXT NOT NULL,"
          + " represents TEXT NOT NULL,"
          + " source_network TEXT NOT NULL,"
          + " source_id TEXT NOT NULL,"
          + " at INTEGER NOT NULL,"
          + " read_at INTEGER,"
          + " platform INTEGER NOT NULL) WITHOUT ROWID",
      "CREATE INDEX message_refs_dest ON message_refs(dest_network, dest_id) WHERE dest_id IS NOT NULL",
      "CREATE INDEX message_refs_viewer ON message_refs(viewer, at) WHERE platform = 1",
      // version 0's delivery_refs (reply context of single-identity networks) moves over, under
      // gateway ids of its delivery time, which its dedupe keys now carry
      sqliteOnly("INSERT INTO message_refs(gid, dest_network, dest_id, viewer, represents, source_network, source_id, at, platform)"
          + " SELECT 'g-' || printf('%012x', at) || lower(hex(randomblob(10))), network, network_message_id,"
          + " viewer, represents, source_network, source_id, at, 1 FROM delivery_refs"),
      sqliteOnly("INSERT OR REPLACE INTO dedupe(source_network, source_id, seen_at)"
          + " SELECT source_network, source_id, at FROM message_refs"),
      "DROP TABLE delivery_refs",
      // replies from any linked account: a person's most recent conversation on any network
      "CREATE INDEX recent_viewer ON recent_conversations(viewer, at)",
      // capability URLs for media held by a network: SHA-256 of the token only
      "CREATE TABLE media_links ("
          + " token_hash BLOB PRIMARY KEY,"
          + " network TEXT NOT NULL,"
          + " source TEXT NOT NULL,"
          + " mime_type TEXT NOT NULL,"
          + " size INTEGER,"
          + " sha256 TEXT,"
          + " sender TEXT NOT NULL,"
          + " expires_at INTEGER NOT NULL) WITHOUT ROWID",
      "CREATE INDEX media_links_expiry ON media_links(expires_at)",
    },
    // 2: small groups (contract part 2, section 5)
    {
      // a group lives as long as it has members; its default disappearing timer, if any
      "CREATE TABLE groups ("
          + " id TEXT PRIMARY KEY,"
          + " name TEXT NOT NULL,"
          + " timer_seconds INTEGER,"
          + " created_at INTEGER NOT NULL) WITHOUT ROWID",
      // members (state 'member') and pending invitations (state 'invited'); role admin or member
      "CREATE TABLE group_members ("
          + " group_id TEXT NOT NULL,"
          + " person_id TEXT NOT NULL,"
          + " role TEXT NOT NULL,"
          + " state TEXT NOT NULL,"
          + " at INTEGER NOT NULL,"
          + " PRIMARY KEY (group_id, person_id)) WITHOUT ROWID",
      "CREATE INDEX group_members_person ON group_members(person_id)",
      // a group message's legs still under way, for the one status its sender gets; deleted
      // with that status
      "CREATE TABLE group_sends ("
          + " source_network TEXT NOT NULL,"
          + " source_id TEXT NOT NULL,"
          + " group_id TEXT NOT NULL,"
          + " pending INTEGER NOT NULL,"
          + " delivered INTEGER NOT NULL,"
          + " failed INTEGER NOT NULL,"
          + " PRIMARY KEY (source_network, source_id)) WITHOUT ROWID",
      "ALTER TABLE status_outbox ADD COLUMN members TEXT",
      // the group a delivered leg belongs to (null outside groups: one byte a row): a reply by
      // a single-identity network's reply context goes back to the group
      "ALTER TABLE message_refs ADD COLUMN group_id TEXT",
    },
    // 3: group safety. A person's block of a group is a group_members row in state 'BLOCKED'
    // with the group's name as it was then (what the blocker is shown; nothing later); a group
    // keeps how its invitations were answered in the current window (policy.metadataRetention)
    // — counts only, no one named
    {
      "ALTER TABLE group_members ADD COLUMN blocked_name TEXT",
      "ALTER TABLE groups ADD COLUMN invites_answered INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE groups ADD COLUMN invites_refused INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE groups ADD COLUMN invites_since INTEGER NOT NULL DEFAULT 0",
    },
    // 4: crypto-shredding (store.encryptionKey): a queued message's payload sealed under its
    // epoch's key (epoch null: stored as it is); epoch keys stored only wrapped by the master
    // key, deleted once their messages are gone
    {
      "CREATE TABLE epoch_keys (epoch INTEGER PRIMARY KEY, wrapped BLOB NOT NULL)",
      "ALTER TABLE messages ADD COLUMN epoch INTEGER",
      "CREATE INDEX messages_epoch ON messages(epoch) WHERE epoch IS NOT NULL",
    },
    // 5: several nodes on one database (PostgreSQL). A queued message's lane is a hash of its
    // conversation (no identifier in it): a node delivers a lane only while it holds the lane's
    // lease, renewed every few seconds, so one node at a time delivers a conversation, in order.
    // Nodes say when they were last seen (the admin status lists them); a status in the outbox
    // belongs to the node that wrote it (null: any), which alone reports it.
    {
      "ALTER TABLE messages ADD COLUMN lane TEXT",
      "CREATE INDEX messages_lane ON messages(lane, seq)",
      "CREATE TABLE leases (lane TEXT PRIMARY KEY, node TEXT NOT NULL, until INTEGER NOT NULL,"
          + " fence INTEGER NOT NULL)",
      "CREATE INDEX leases_node ON leases(node)",
      "CREATE TABLE nodes (name TEXT PRIMARY KEY, started INTEGER NOT NULL, seen INTEGER NOT NULL)",
      "ALTER TABLE status_outbox ADD COLUMN node TEXT",
    },
    // 6: the key log is also a Merkle tree (RFC 9162 style): its perfect subtrees' hashes, append
    // only, built for the entries already there by the data step (MerkleTree.fill)
    {},
    // 7: a thread's disappearing-messages timer, as each side set it (seconds; 0: off; null: not
    // set, their default applies); `first` is the party whose key sorts first; `timer_default` the
    // operator's default when the thread was made
    {
      "ALTER TABLE threads ADD COLUMN timer_first INTEGER",
      "ALTER TABLE threads ADD COLUMN timer_second INTEGER",
      "ALTER TABLE threads ADD COLUMN timer_default INTEGER",
      // a reference lives no longer than its message: until its timer ends (epoch ms; null: the
      // retention window alone), and for a read-started timer its seconds, counted from the read
      "ALTER TABLE message_refs ADD COLUMN ends_at INTEGER",
      "ALTER TABLE message_refs ADD COLUMN read_timer INTEGER",
      "CREATE INDEX message_refs_ends ON message_refs(ends_at) WHERE ends_at IS NOT NULL",
      // a block of a sender known only by what was shown (a relay handle, a pool number): the
      // row names the sender's party ("=" + party key) and keeps what the blocker saw, to show
      "ALTER TABLE blocks ADD COLUMN shown TEXT",
    },
    // 8: the social graph at rest (GraphSeal): every column naming a person, a party, an account
    // or a handle holds it sealed; the store records the key version it is sealed under and a
    // check value. The data step is GraphSeal.open at start, which seals a graph still in clear.
    // A group's party key, sealed, so that a row representing a group is found without its text
    {
      "ALTER TABLE groups ADD COLUMN party TEXT",
      "UPDATE groups SET party = 'group:' || id", // (sealed by the data step when the store has a key)
      "CREATE INDEX groups_party ON groups(party)",
      "CREATE TABLE graph_seal (version INTEGER NOT NULL, check_value TEXT NOT NULL)",
    },
    // 9: the key log's signing seed, with store.encryptionKey: stored wrapped by it, so that a
    // rotation of the key keeps the signing key auditors pinned (its first value is the seed the
    // key derived before: nothing changes for them at the upgrade)
    {
      "CREATE TABLE log_signing_key (id INTEGER PRIMARY KEY, wrapped BLOB NOT NULL)",
    },
    // 10: reports and holds (issue 14). A report names who reported whom (sealed party keys),
    // when, the reported message's network and a reason — no content; purged after
    // policy.metadataRetention. A hold stops a sender (sealed party) until an operator decides:
    // the operator sees it by a random id, with counts only.
    {
      "CREATE TABLE reports ("
          + " at INTEGER NOT NULL,"
          + " reporter TEXT NOT NULL,"
          + " reported TEXT NOT NULL,"
          + " network TEXT NOT NULL,"
          + " reason TEXT NOT NULL)",
      "CREATE INDEX reports_reported ON reports(reported, at)",
      "CREATE INDEX reports_at ON reports(at)",
      "CREATE TABLE holds ("
          + " party TEXT PRIMARY KEY,"
          + " id TEXT NOT NULL UNIQUE,"
          + " reason TEXT NOT NULL,"
          + " state TEXT NOT NULL,"
          + " reports INTEGER NOT NULL,"
          + " since INTEGER NOT NULL,"
          + " decided_at INTEGER)",
    },
    // 11: the safety log keeps one row per pair (sender, recipient, network, under the window's
    // pseudonyms) with the last time the sender wrote, not one row per message, and no size: no
    // rule reads a message count or a size, so they were metadata kept for nothing (and the row
    // per message was 8 % of the writer's time under load, issue 17). The rows of the old shape
    // become their pairs, each with its latest time.
    {
      "CREATE TABLE safety_pairs ("
          + " sender TEXT NOT NULL,"
          + " recipient TEXT NOT NULL,"
          + " network TEXT NOT NULL,"
          + " at INTEGER NOT NULL,"
          + " PRIMARY KEY (sender, recipient, network)) WITHOUT ROWID",
      // SQLite: row by row into the new key, keeping the later time (a GROUP BY would sort the whole
      // table first, and the store keeps its temporary data in memory)
      sqliteOnly("INSERT INTO safety_pairs(sender, recipient, network, at)"
          + " SELECT sender, recipient, network, at FROM safety_events WHERE true"
          + " ON CONFLICT(sender, recipient, network) DO UPDATE SET"
          + " at = CASE WHEN excluded.at > safety_pairs.at THEN excluded.at ELSE safety_pairs.at END"),
      // PostgreSQL (one statement may not update a row twice): grouped
      postgresOnly("INSERT INTO safety_pairs(sender, recipient, network, at)"
          + " SELECT sender, recipient, network, max(at) FROM safety_events GROUP BY sender, recipient, network"),
      "DROP TABLE safety_events",
      "ALTER TABLE safety_pairs RENAME TO safety_events",
      "CREATE INDEX safety_sender ON safety_events(sender, at)",
      "CREATE INDEX safety_at ON safety_events(at)",
    },
    // 12: several nodes on one database: a counter every node reads before its caches of people
    // and holds answer, moved after each commit that changed them (StoreCaches), so that a node
    // routes by another's committed change at once, not when its notification arrives. A sequence:
    // moving it takes no lock and is never rolled back. SQLite stores (one node) need none.
    {
      postgresOnly("CREATE SEQUENCE IF NOT EXISTS cache_version"),
    },
  };

  /** The schema version this build writes. */
  static final int VERSION = MIGRATIONS.length;

  /** Creates missing tables, then applies every migration the store has not had yet. */
  static void createAndMigrate(java.sql.Connection c, Dialect dialect) throws SQLException {
    if (dialect == Dialect.POSTGRES) {
      createAndMigratePostgres(c);
    } else {
      createAndMigrateSqlite(c);
    }
  }

  /** The migration (its index in {@link #MIGRATIONS}) that adds lanes: its data step is {@link #fillLanes}. */
  private static final int LANES = 4;
  /** The migration that adds the key log's Merkle tree, all in its data step. */
  private static final int KEY_TREE = 5;

  /**
   * Gives the messages queued before schema version 5 their lane (a hash, computed here, in the
   * migration's transaction).
   */
  private static void fillLanes(java.sql.Connection c) throws SQLException {
    java.util.Map<Long, String> lanes = new java.util.HashMap<>();
    try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT seq, conversation FROM messages WHERE lane IS NULL");
        java.sql.ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        // (in clear: a store this old has no seal yet; sealing it computes every lane again)
        lanes.put(rs.getLong(1), MessageTable.lane(GraphSeal.CLEAR, rs.getString(2)));
      }
    }
    try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE messages SET lane = ? WHERE seq = ?")) {
      for (java.util.Map.Entry<Long, String> e : lanes.entrySet()) {
        ps.setString(1, e.getValue());
        ps.setLong(2, e.getKey());
        ps.executeUpdate();
      }
    }
  }

  private static void createAndMigrateSqlite(java.sql.Connection c) throws SQLException {
    int version;
    try (Statement st = c.createStatement()) {
      try (java.sql.ResultSet rs = st.executeQuery("PRAGMA user_version")) {
        version = rs.next() ? rs.getInt(1) : 0;
      }
      if (version == 0) {
        // a later version has every table of version 0 (or dropped it on purpose)
        create(st::execute, Dialect.SQLITE, st);
      }
    }
    if (version > VERSION) {
      throw new SQLException(
          "the store is at schema version " + version + ", newer than this build's " + VERSION
              + ": run a newer build, or restore the store from before the upgrade");
    }
    for (int v = version; v < VERSION; v++) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String sql : MIGRATIONS[v]) {
          if (!sql.startsWith(POSTGRES_ONLY)) {
            st.execute(sql);
          }
        }
        if (v == LANES) {
          fillLanes(c);
        }
        if (v == KEY_TREE) {
          io.parlor.core.keys.MerkleTree.fill(c, Dialect.SQLITE);
        }
        st.execute("PRAGMA user_version = " + (v + 1));
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw new SQLException("schema migration " + (v + 1) + " failed: " + e.getMessage(), e);
      } finally {
        c.setAutoCommit(auto);
      }
    }
  }

  /**
   * PostgreSQL: everything in one transaction under an advisory lock (a second node starting at
   * the same time waits, then finds the schema current).
   */
  private static void createAndMigratePostgres(java.sql.Connection c) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
      st.execute("CREATE TABLE IF NOT EXISTS parlor_schema (version INTEGER NOT NULL)");
      int version;
      try (java.sql.ResultSet rs = st.executeQuery("SELECT version FROM parlor_schema")) {
        version = rs.next() ? rs.getInt(1) : -1;
      }
      if (version < 0) {
        st.execute("INSERT INTO parlor_schema(version) VALUES (0)");
        version = 0;
        create(sql -> st.execute(Dialect.POSTGRES.ddl(sql)), Dialect.POSTGRES, st);
      }
      if (version > VERSION) {
        throw new SQLException(
            "the store is at schema version " + version + ", newer than this build's " + VERSION
                + ": run a newer build, or restore the database from before the upgrade");
      }
      for (int v = version; v < VERSION; v++) {
        for (String sql : MIGRATIONS[v]) {
          if (!sql.startsWith(SQLITE_ONLY)) {
            try {
              st.execute(Dialect.POSTGRES.ddl(sql));
            } catch (SQLException e) {
              throw new SQLException("schema migration " + (v + 1) + " failed: " + e.getMessage(), e);
            }
          }
        }
        if (v == LANES) {
          fillLanes(c);
        }
        if (v == KEY_TREE) {
          io.parlor.core.keys.MerkleTree.fill(c, Dialect.POSTGRES);
        }
      }
      st.execute("UPDATE parlor_schema SET version = " + VERSION);
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /**
   * Rewrites the schema version as it is: a write that reaches the disk (SQLite: page 1 of the
   * file), which succeeds only when the store can write.
   */
  static void rewriteVersion(java.sql.Connection c, Dialect dialect) throws SQLException {
    if (dialect == Dialect.POSTGRES) {
      try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE parlor_schema SET version = version")) {
        ps.executeUpdate();
      }
      return;
    }
    int version;
    try (java.sql.PreparedStatement ps = c.prepareStatement("PRAGMA user_version");
        java.sql.ResultSet rs = ps.executeQuery()) {
      version = rs.next() ? rs.getInt(1) : 0;
    }
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA user_version = " + version);
    }
  }

  /** The tables as schema version 0 had them. */
  private static void create(Exec st, Dialect dialect, Statement raw) throws SQLException {
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
    // (Replaced by message_refs in migration 1.)
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
    io.parlor.core.keys.KeyLog.createSchema(raw, dialect);
  }
}
