package io.parlor.core.store;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The social graph at rest: every person id, party key, account and handle the store writes
 * goes through {@link #seal}, so that a copy of the database alone does not show who is linked to
 * what or who talked to whom.
 *
 * <p>The seal is deterministic authenticated encryption in the SIV construction (Rogaway and
 * Shrimpton; RFC 5297 with HMAC-SHA256 as its PRF): the synthetic IV is an HMAC of the value,
 * truncated to 16 bytes, and the value is encrypted with AES-256-CTR from that IV; opening
 * decrypts and checks the IV again. Equal values seal equal, so sealed columns are
 * still looked up, joined and made unique by equality, and the node reads a sealed value back
 * with {@link #open}. It reveals equality and roughly the length, nothing else. The keys are
 * derived from the store's master key ({@code store.encryptionKey}, or for SQLite without one a
 * key file beside the store), never stored in the database; a sealed value names its key's
 * version ({@code s<version>.}), so that {@code ./parlor rotate-graph-key} can seal everything
 * again under the next version.
 *
 * <p>A connection that no store wraps (some unit tests) gets {@link #CLEAR}, which stores values
 * as they are. Thread-safe.
 */
public final class GraphSeal {
  private static final int IV = 16;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** Values as they are: for connections no store wraps. */
  public static final GraphSeal CLEAR = new GraphSeal();

  private final int version;
  private final String prefix;
  private final SecretKeySpec enc;
  private final SecretKeySpec siv;
  /** Keys the values' tags ({@link #tag}): unrelated to the seal's, so tags do not join sealed rows. */
  private final SecretKeySpec tagKey;
  private final ThreadLocal<Cipher> ciphers;
  private final ThreadLocal<Mac> macs;
  private final ThreadLocal<Mac> tagMacs;

  private GraphSeal() {
    this.version = 0;
    this.prefix = null;
    this.enc = null;
    this.siv = null;
    this.tagKey = null;
    this.ciphers = null;
    this.macs = null;
    this.tagMacs = null;
  }

  /**
   * @param master the store's master key (32 bytes); the seal's keys are derived from it
   * @param version the key version (1 and up); each version's keys are unrelated to another's
   */
  public GraphSeal(byte[] master, int version) {
    if (master.length != 32) {
      throw new IllegalArgumentException("the master key must be 32 bytes, not " + master.length);
    }
    if (version < 1) {
      throw new IllegalArgumentException("the key version starts at 1, not " + version);
    }
    this.version = version;
    this.prefix = "s" + version + ".";
    this.enc = new SecretKeySpec(derive(master, "parlor graph seal " + version + " aes"), "AES");
    this.siv = new SecretKeySpec(derive(master, "parlor graph seal " + version + " siv"), "HmacSHA256");
    this.tagKey = new SecretKeySpec(derive(master, "parlor graph seal " + version + " tag"), "HmacSHA256");
    this.ciphers = ThreadLocal.withInitial(() -> {
      try {
        return Cipher.getInstance("AES/CTR/NoPadding");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-CTR is not available", e);
      }
    });
    this.macs = ThreadLocal.withInitial(() -> mac(siv));
    this.tagMacs = ThreadLocal.withInitial(() -> mac(tagKey));
  }

  private static Mac mac(SecretKeySpec key) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(key);
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /** A 32-byte subkey of {@code master} for {@code label} (HMAC-SHA256). */
  public static byte[] derive(byte[] master, String label) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(master, "HmacSHA256"));
      return m.doFinal(label.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /** The seal of the store that owns {@code c}; {@link #CLEAR} for a connection no store wraps. */
  public static GraphSeal of(Connection c) {
    StoreCaches caches = StoreCaches.of(c);
    GraphSeal s = caches == null ? null : caches.find(GraphSeal.class);
    return s == null ? CLEAR : s;
  }

  /** {@code value} sealed (equal values seal equal); null stays null. */
  public String seal(String value) {
    if (value == null || prefix == null) {
      return value;
    }
    byte[] plain = value.getBytes(StandardCharsets.UTF_8);
    byte[] iv = Arrays.copyOf(macs.get().doFinal(plain), IV);
    try {
      Cipher cipher = ciphers.get();
      cipher.init(Cipher.ENCRYPT_MODE, enc, new IvParameterSpec(iv));
      byte[] out = Arrays.copyOf(iv, IV + plain.length);
      cipher.doFinal(plain, 0, plain.length, out, IV);
      return prefix + B64.encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR failed", e);
    }
  }

  /** The value {@link #seal} sealed; null stays null. */
  public String open(String sealed) throws SQLException {
    if (sealed == null || prefix == null) {
      return sealed;
    }
    if (!sealed.startsWith(prefix)) {
      throw new SQLException("a sealed value of the social graph is not under key version " + version
          + (sealed.matches("s\\d+\\..*") ? " (rotation not finished?)" : " (stored in clear?)"));
    }
    byte[] in;
    try {
      in = B64D.decode(sealed.substring(prefix.length()));
    } catch (IllegalArgumentException e) {
      throw new SQLException("a sealed value of the social graph is not base64url");
    }
    if (in.length < IV) {
      throw new SQLException("a sealed value of the social graph is too short");
    }
    byte[] plain;
    try {
      Cipher cipher = ciphers.get();
      cipher.init(Cipher.DECRYPT_MODE, enc, new IvParameterSpec(in, 0, IV));
      plain = cipher.doFinal(in, IV, in.length - IV);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR failed", e);
    }
    byte[] iv = Arrays.copyOf(macs.get().doFinal(plain), IV);
    if (!java.security.MessageDigest.isEqual(iv, Arrays.copyOf(in, IV))) {
      throw new SQLException("a sealed value of the social graph does not authenticate (another key?)");
    }
    return new String(plain, StandardCharsets.UTF_8);
  }

  /**
   * A keyed tag of {@code value} (HMAC-SHA256, 128 bits, base64url) under a key of this seal's
   * that nothing else uses: what a pseudonym is computed over, so that a copy of the database —
   * which holds the pseudonyms' own keys and the sealed values — can neither test a guessed
   * account against a pseudonym nor join a pseudonym to the sealed rows. {@link #CLEAR}: the value.
   */
  public String tag(String value) {
    if (prefix == null) {
      return value;
    }
    return B64.encodeToString(Arrays.copyOf(tagMacs.get().doFinal(value.getBytes(StandardCharsets.UTF_8)), 16));
  }

  /**
   * A conversation's delivery lane: 96 bits of an HMAC-SHA256 under this seal's tag key, in hex
   * ({@link #CLEAR}: of SHA-256).
   */
  public String lane(String conversation) {
    byte[] in = ("lane " + conversation).getBytes(StandardCharsets.UTF_8);
    try {
      byte[] h;
      if (prefix == null) {
        h = java.security.MessageDigest.getInstance("SHA-256").digest(conversation.getBytes(StandardCharsets.UTF_8));
      } else {
        h = tagMacs.get().doFinal(in);
      }
      return java.util.HexFormat.of().formatHex(h, 0, 12);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /**
   * {@code bytes} sealed (randomised: equal inputs seal differently), for values that are only
   * read back, never looked up (a key log account's salt): a version byte, a random IV, AES-256-CTR,
   * and an HMAC-SHA256 tag over all of it. {@link #CLEAR}: the bytes as they are.
   */
  public byte[] sealBytes(byte[] bytes) {
    if (prefix == null) {
      return bytes;
    }
    byte[] iv = new byte[IV];
    RANDOM.nextBytes(iv);
    try {
      Cipher cipher = ciphers.get();
      cipher.init(Cipher.ENCRYPT_MODE, enc, new IvParameterSpec(iv));
      byte[] out = new byte[1 + IV + bytes.length + IV];
      out[0] = (byte) version;
      System.arraycopy(iv, 0, out, 1, IV);
      cipher.doFinal(bytes, 0, bytes.length, out, 1 + IV);
      Mac m = tagMacs.get();
      m.update(out, 0, 1 + IV + bytes.length);
      System.arraycopy(m.doFinal(), 0, out, 1 + IV + bytes.length, IV);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR failed", e);
    }
  }

  /** The bytes {@link #sealBytes} sealed. */
  public byte[] openBytes(byte[] sealed) throws SQLException {
    if (prefix == null || sealed == null) {
      return sealed;
    }
    if (sealed.length < 1 + 2 * IV || sealed[0] != (byte) version) {
      throw new SQLException("sealed bytes of the social graph are not under key version " + version);
    }
    int n = sealed.length - 1 - 2 * IV;
    try {
      Mac m = tagMacs.get();
      m.update(sealed, 0, 1 + IV + n);
      if (!java.security.MessageDigest.isEqual(Arrays.copyOf(m.doFinal(), IV), Arrays.copyOfRange(sealed, 1 + IV + n, sealed.length))) {
        throw new SQLException("sealed bytes of the social graph do not authenticate (another key?)");
      }
      Cipher cipher = ciphers.get();
      cipher.init(Cipher.DECRYPT_MODE, enc, new IvParameterSpec(sealed, 1, IV));
      return cipher.doFinal(sealed, 1 + IV, n);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR failed", e);
    }
  }

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  /** {@link #open}, for callers that cannot throw: a value that does not open is a broken store. */
  public String openOrFail(String sealed) {
    try {
      return open(sealed);
    } catch (SQLException e) {
      throw new StoreException(e.getMessage(), e);
    }
  }

  /** A column the seal covers; {@code pair}: two sealed values with a space between (threads). */
  private record Column(String table, String column, boolean pair) {}

  /** Every column that holds a person id, party key, account, handle or a value naming one. */
  private static final java.util.List<Column> COLUMNS = java.util.List.of(
      new Column("people", "id", false),
      new Column("people", "handle", false),
      new Column("people", "display_name", false),
      new Column("accounts", "address", false),
      new Column("accounts", "person_id", false),
      new Column("sessions", "person_id", false),
      new Column("blocks", "person_id", false),
      new Column("blocks", "address", false),
      new Column("auth_codes", "address", false),
      new Column("auth_codes", "purpose", false),
      new Column("relay_handles", "represents", false),
      new Column("relay_handles", "viewer", false),
      new Column("pool_numbers", "viewer", false),
      new Column("pool_numbers", "represents", false),
      new Column("recent_conversations", "viewer", false),
      new Column("recent_conversations", "represents", false),
      new Column("message_refs", "viewer", false),
      new Column("message_refs", "represents", false),
      new Column("threads", "key", true),
      new Column("group_members", "person_id", false),
      new Column("groups", "party", false),
      new Column("media_links", "sender", false),
      new Column("messages", "conversation", false),
      new Column("messages", "sender", false),
      new Column("messages", "recipient", false),
      new Column("status_outbox", "account", false),
      new Column("key_log_accounts", "account", false),
      new Column("reports", "reporter", false),
      new Column("reports", "reported", false),
      new Column("holds", "party", false));

  /** The foreign keys to people(id) that a change of its sealed ids must defer (PostgreSQL names). */
  private static final String[] PEOPLE_FOREIGN_KEYS = {
    "accounts_person_id_fkey", "blocks_person_id_fkey", "sessions_person_id_fkey"};

  private static final String CHECK = "parlor social graph";

  /**
   * The seal of a store, at start (after its schema migrations, before anything else uses it).
   * The store records the version its graph is sealed under and a check value: a store sealed
   * under another key is refused (a lost key file, a changed {@code store.encryptionKey}); a store
   * whose graph is in clear — written before the seal, or with none — is sealed here, in one
   * transaction (on PostgreSQL under a lock, so that nodes starting together seal it once).
   *
   * @param master the master key, or null for none (values stay in clear: PostgreSQL in tests)
   * @param previous masters the store may still be sealed under (a SQLite store's key file, now
   *     that {@code store.encryptionKey} is set; a rotation's old key): a store sealed under one of
   *     them is sealed again under {@code master}, in the same transaction
   */
  static GraphSeal open(Connection c, Dialect dialect, byte[] master, java.util.List<byte[]> previous)
      throws SQLException {
    return inTransaction(c, dialect, () -> {
      int recorded = recorded(c);
      if (master == null) {
        if (recorded > 0) {
          throw new SQLException("the store's social graph is sealed (key version " + recorded
              + "): set store.encryptionKey to the key it was sealed with");
        }
        if (recorded < 0) {
          record(c, CLEAR);
        }
        return CLEAR;
      }
      if (recorded > 0) {
        GraphSeal seal = new GraphSeal(master, recorded);
        if (opens(c, seal)) {
          return seal;
        }
        for (byte[] p : previous) {
          GraphSeal old = new GraphSeal(p, recorded);
          if (opens(c, old)) {
            GraphSeal next = new GraphSeal(master, recorded + 1);
            resealAll(c, dialect, old, next);
            return next;
          }
        }
        throw new SQLException("the store's social graph was sealed under another key than this node's"
            + " (store.encryptionKey changed, or the key file beside the store is not the one it was made with)");
      }
      GraphSeal seal = new GraphSeal(master, 1);
      resealAll(c, dialect, CLEAR, seal);
      return seal;
    });
  }

  static GraphSeal open(Connection c, Dialect dialect, byte[] master) throws SQLException {
    return open(c, dialect, master, java.util.List.of());
  }

  /** Whether the store's graph is sealed under {@code master} (at its recorded version). */
  static boolean sealedUnder(Connection c, byte[] master) throws SQLException {
    int recorded = recorded(c);
    return recorded > 0 && opens(c, new GraphSeal(master, recorded));
  }

  private static boolean opens(Connection c, GraphSeal seal) throws SQLException {
    try {
      return CHECK.equals(seal.open(checkValue(c)));
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Key rotation ({@code ./parlor rotate-graph-key}), with every node of the store stopped: from
   * the store's key {@code oldKey} ({@code store.encryptionKey}, or a SQLite store's key file) to
   * {@code newKey}, seals the graph again (the next key version) and wraps the queued messages'
   * epoch keys again, in one transaction; returns the new version.
   */
  static int rotate(Connection c, Dialect dialect, byte[] oldKey, byte[] newKey) throws SQLException {
    return inTransaction(c, dialect, () -> {
      GraphSeal current = open(c, dialect, derive(oldKey, PayloadCipher.GRAPH_KEY_LABEL));
      if (current == CLEAR) {
        throw new SQLException("the store's social graph is not sealed (no store.encryptionKey)");
      }
      GraphSeal next = new GraphSeal(derive(newKey, PayloadCipher.GRAPH_KEY_LABEL), current.version + 1);
      resealAll(c, dialect, current, next);
      PayloadCipher.rewrap(c, oldKey, newKey);
      PayloadCipher.rewrapLogSigningSeed(c, oldKey, newKey);
      return next.version;
    });
  }

  private interface Work<T> {
    T run() throws SQLException;
  }

  private static <T> T inTransaction(Connection c, Dialect dialect, Work<T> work) throws SQLException {
    if (!c.getAutoCommit()) {
      return work.run(); // already in one (rotate calls open)
    }
    c.setAutoCommit(false);
    try {
      if (dialect == Dialect.POSTGRES) {
        try (java.sql.Statement st = c.createStatement()) {
          st.execute("SELECT pg_advisory_xact_lock(" + SEAL_LOCK + ")");
        }
      } else {
        try (java.sql.Statement st = c.createStatement()) {
          st.execute("PRAGMA defer_foreign_keys = ON"); // (the write lock comes with the first write)
        }
      }
      T out = work.run();
      c.commit();
      return out;
    } catch (Throwable e) {
      c.rollback(); // (an Error too: the finally below must not commit half a sealing)
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** Any advisory lock number will do, as long as every node takes the same. */
  static final long SEAL_LOCK = 0x7061726c6f73L;

  static int recorded(Connection c) throws SQLException {
    try (java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT version FROM graph_seal")) {
      return rs.next() ? rs.getInt(1) : -1;
    }
  }

  private static String checkValue(Connection c) throws SQLException {
    try (java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT check_value FROM graph_seal")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /**
   * Seals every covered value again, from {@code from} to {@code to}, and records {@code to}
   * (in the caller's transaction): the graph's first sealing, and key rotation. Safety events are
   * deleted: their pseudonyms are keyed by the seal (they hold an hour of fan-out counts).
   */
  private static void resealAll(Connection c, Dialect dialect, GraphSeal from, GraphSeal to) throws SQLException {
    try (java.sql.Statement st = c.createStatement()) {
      if (dialect == Dialect.POSTGRES) {
        // made deferrable once (a second pass in the same transaction, a rotation of a store
        // sealed as it opened, must not ALTER a table with deferred checks pending)
        for (String fk : PEOPLE_FOREIGN_KEYS) {
          boolean deferrable;
          try (java.sql.PreparedStatement ps = c.prepareStatement(
              "SELECT condeferrable FROM pg_constraint WHERE conname = ?")) {
            ps.setString(1, fk);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
              deferrable = !rs.next() || rs.getBoolean(1);
            }
          }
          if (!deferrable) {
            st.execute("ALTER TABLE " + fk.substring(0, fk.indexOf('_')) + " ALTER CONSTRAINT " + fk + " DEFERRABLE");
          }
        }
        st.execute("SET CONSTRAINTS ALL DEFERRED");
      }
      if (from == CLEAR) {
        st.execute("UPDATE groups SET party = 'group:' || id");
      }
      // each column in one pass: its distinct values' new forms go to a map with a key, which
      // the column's UPDATE looks each row up in (one UPDATE per distinct value would scan the
      // tables whose sealed columns have no index of their own once per value)
      st.execute("DROP TABLE IF EXISTS graph_seal_map");
      st.execute(dialect == Dialect.POSTGRES
          ? "CREATE TEMP TABLE graph_seal_map (old_value TEXT PRIMARY KEY, new_value TEXT NOT NULL) ON COMMIT DROP"
          : "CREATE TEMP TABLE graph_seal_map (old_value TEXT PRIMARY KEY, new_value TEXT NOT NULL)");
      for (Column col : COLUMNS) {
        java.util.List<String> values = new java.util.ArrayList<>();
        try (java.sql.ResultSet rs = st.executeQuery(
            "SELECT DISTINCT " + col.column + " FROM " + col.table + " WHERE " + col.column + " IS NOT NULL")) {
          while (rs.next()) {
            values.add(rs.getString(1));
          }
        }
        st.execute("DELETE FROM graph_seal_map");
        try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO graph_seal_map(old_value, new_value) VALUES (?,?)")) {
          int batch = 0;
          for (String v : values) {
            String sealed;
            if (col.pair) {
              int space = v.indexOf(' ');
              sealed = to.seal(from.open(v.substring(0, space))) + " " + to.seal(from.open(v.substring(space + 1)));
            } else {
              sealed = to.seal(from.open(v));
            }
            ps.setString(1, v);
            ps.setString(2, sealed);
            ps.addBatch();
            if (++batch % 1000 == 0) {
              ps.executeBatch();
            }
          }
          ps.executeBatch();
        }
        st.executeUpdate("UPDATE " + col.table + " SET " + col.column
            + " = (SELECT new_value FROM graph_seal_map WHERE old_value = " + col.table + "." + col.column + ")"
            + " WHERE " + col.column + " IS NOT NULL");
      }
      st.execute("DROP TABLE graph_seal_map");
      // the queued messages' lanes, keyed by the seal
      java.util.Map<Long, String> lanes = new java.util.HashMap<>();
      try (java.sql.ResultSet rs = st.executeQuery("SELECT seq, conversation FROM messages")) {
        while (rs.next()) {
          lanes.put(rs.getLong(1), to.lane(to.open(rs.getString(2))));
        }
      }
      try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE messages SET lane = ? WHERE seq = ?")) {
        for (java.util.Map.Entry<Long, String> e : lanes.entrySet()) {
          ps.setString(1, e.getValue());
          ps.setLong(2, e.getKey());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      // the key log's salts (read back only, sealed at random: row by row)
      java.util.Map<Long, byte[]> salts = new java.util.HashMap<>();
      try (java.sql.ResultSet rs = st.executeQuery("SELECT seq, salt FROM key_log_accounts")) {
        while (rs.next()) {
          salts.put(rs.getLong(1), rs.getBytes(2));
        }
      }
      try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE key_log_accounts SET salt = ? WHERE seq = ?")) {
        for (java.util.Map.Entry<Long, byte[]> e : salts.entrySet()) {
          ps.setBytes(1, to.sealBytes(from.openBytes(e.getValue())));
          ps.setLong(2, e.getKey());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      st.execute("DELETE FROM safety_events");
    }
    record(c, to);
  }

  private static void record(Connection c, GraphSeal seal) throws SQLException {
    try (java.sql.Statement st = c.createStatement()) {
      st.execute("DELETE FROM graph_seal");
    }
    try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO graph_seal(version, check_value) VALUES (?,?)")) {
      ps.setInt(1, seal.version);
      ps.setString(2, seal.seal(CHECK));
      ps.executeUpdate();
    }
  }

}
