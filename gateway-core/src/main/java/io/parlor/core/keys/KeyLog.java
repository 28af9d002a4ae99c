package io.parlor.core.keys;

import io.parlor.core.store.GraphSeal;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The public-key directory's append-only, hash-chained log (privacy rule 5: public keys only).
 * SQL on a store connection; stateless, not tied to a thread (the connection is the caller's).
 *
 * <p>Each entry is hashed over its predecessor's hash:
 *
 * <pre>
 * entry_hash = SHA-256(prev_hash || canonical(seq, network, account_commitment, scheme, public_key, at))
 * canonical  = u64(seq) || str(network) || bin(account_commitment) || str(scheme) || bin(public_key) || u64(at)
 *   u64 = 8 bytes big-endian; str = u32 big-endian length || UTF-8; bin = u32 big-endian length || bytes
 * account_commitment = SHA-256(salt(16 random bytes) || UTF-8 "network:account")
 * prev_hash of seq 1 = 32 zero bytes; at = epoch milliseconds
 * </pre>
 *
 * <p>The log binds an entry to its account through a salted commitment instead of the address
 * itself, so the log can be handed to every network (and kept forever) without revealing anyone's
 * account, and a person who is forgotten leaves no address behind: the address and salt live in
 * {@code key_log_accounts}, which {@link #forget} deletes, while {@code key_log} stays intact and
 * verifiable. Triggers refuse every UPDATE and DELETE on {@code key_log}.
 *
 * <p>The same entries are the leaves of a Merkle tree ({@link MerkleTree}, appended in the same
 * transaction), whose signed heads and proofs let networks check that they all see one log.
 */
public final class KeyLog {
  /** Length of every hash in the log. */
  public static final int HASH_BYTES = 32;
  /** Length of an account commitment's salt. */
  public static final int SALT_BYTES = 16;

  private static final byte[] GENESIS = new byte[HASH_BYTES];
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String COLUMNS =
      "l.seq, l.network, l.account_commitment, l.scheme, l.public_key, l.prev_hash, l.entry_hash, l.at,"
          + " a.account, a.salt";

  private KeyLog() {}

  /**
   * One log entry. {@code account} and {@code accountSalt} are null when the account was
   * forgotten (or withheld from the reader); the entry still verifies.
   *
   * @param at epoch milliseconds
   */
  public record Entry(
      long seq,
      String network,
      byte[] accountCommitment,
      String scheme,
      byte[] publicKey,
      byte[] prevHash,
      byte[] entryHash,
      long at,
      String account,
      byte[] accountSalt) {

    public Entry {
      accountCommitment = accountCommitment.clone();
      publicKey = publicKey.clone();
      prevHash = prevHash.clone();
      entryHash = entryHash.clone();
      accountSalt = accountSalt == null ? null : accountSalt.clone();
    }

    @Override
    public byte[] accountCommitment() {
      return accountCommitment.clone();
    }

    @Override
    public byte[] publicKey() {
      return publicKey.clone();
    }

    @Override
    public byte[] prevHash() {
      return prevHash.clone();
    }

    @Override
    public byte[] entryHash() {
      return entryHash.clone();
    }

    @Override
    public byte[] accountSalt() {
      return accountSalt == null ? null : accountSalt.clone();
    }

    /** The same entry without the account and its salt (as other networks see it). */
    public Entry withoutAccount() {
      return new Entry(seq, network, accountCommitment, scheme, publicKey, prevHash, entryHash, at, null, null);
    }

    @Override
    public String toString() {
      return "KeyLog.Entry[seq=" + seq + ", network=" + network + ", scheme=" + scheme + "]";
    }
  }

  /** The head of the log: seq 0 and 32 zero bytes when empty. */
  public record Head(long seq, byte[] entryHash) {
    public Head {
      entryHash = entryHash.clone();
    }

    @Override
    public byte[] entryHash() {
      return entryHash.clone();
    }
  }

  /** Creates the log's tables and append-only triggers (idempotent), on SQLite. */
  public static void createSchema(Statement st) throws SQLException {
    createSchema(st, io.parlor.core.store.Dialect.SQLITE);
  }

  /** Creates the log's tables and append-only triggers (idempotent). */
  public static void createSchema(Statement st, io.parlor.core.store.Dialect dialect) throws SQLException {
    // Append-only: public keys only, chained by hash; no address in it (account_commitment).
    st.execute(dialect.ddl(
        "CREATE TABLE IF NOT EXISTS key_log ("
            + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            + " network TEXT NOT NULL,"
            + " account_commitment BLOB NOT NULL,"
            + " scheme TEXT NOT NULL,"
            + " public_key BLOB NOT NULL,"
            + " prev_hash BLOB NOT NULL,"
            + " entry_hash BLOB NOT NULL UNIQUE,"
            + " at INTEGER NOT NULL)"));
    if (dialect == io.parlor.core.store.Dialect.POSTGRES) {
      st.execute(
          "CREATE OR REPLACE FUNCTION key_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
              + " $$ BEGIN RAISE EXCEPTION 'key_log is append-only'; END $$");
      // (DROP and CREATE rather than CREATE OR REPLACE TRIGGER, which needs PostgreSQL 14)
      st.execute("DROP TRIGGER IF EXISTS key_log_no_change ON key_log");
      st.execute(
          "CREATE TRIGGER key_log_no_change BEFORE UPDATE OR DELETE ON key_log"
              + " FOR EACH ROW EXECUTE FUNCTION key_log_append_only()");
    } else {
      st.execute(
          "CREATE TRIGGER IF NOT EXISTS key_log_no_update BEFORE UPDATE ON key_log"
              + " BEGIN SELECT RAISE(ABORT, 'key_log is append-only'); END");
      st.execute(
          "CREATE TRIGGER IF NOT EXISTS key_log_no_delete BEFORE DELETE ON key_log"
              + " BEGIN SELECT RAISE(ABORT, 'key_log is append-only'); END");
    }
    // Which account an entry is for: the address and the commitment's salt. Deleted when the
    // person is forgotten; the log entry then stays verifiable but names nobody.
    st.execute(dialect.ddl(
        "CREATE TABLE IF NOT EXISTS key_log_accounts ("
            + " seq INTEGER PRIMARY KEY REFERENCES key_log(seq),"
            + " account TEXT NOT NULL,"
            + " salt BLOB NOT NULL)"));
    st.execute("CREATE INDEX IF NOT EXISTS key_log_accounts_account ON key_log_accounts(account, seq)");
  }

  /**
   * Appends {@code publicKey} as the current key of {@code account} for {@code scheme}.
   *
   * @param network the publishing network; {@code account} must be on it
   * @throws PublicKeys.RefusedKey when the key is not an acceptable public key (nothing stored)
   * @throws IllegalArgumentException when {@code account} is not an account on {@code network}
   */
  public static Entry append(
      Connection c, NetworkId network, Address account, String scheme, byte[] publicKey, Instant at)
      throws SQLException {
    if (account.kind() != Address.Kind.ACCOUNT || !account.network().orElseThrow().equals(network)) {
      throw new IllegalArgumentException("account: must be a network:account address on network " + network);
    }
    byte[] key = PublicKeys.normalize(scheme, publicKey);
    Head head = head(c);
    long seq = head.seq() + 1;
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] commitment = accountCommitment(salt, account.value());
    long atMs = at.toEpochMilli();
    byte[] hash = entryHash(head.entryHash(), seq, network.value(), commitment, scheme, key, atMs);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO key_log(seq, network, account_commitment, scheme, public_key, prev_hash, entry_hash, at)"
                + " VALUES (?,?,?,?,?,?,?,?)")) {
      ps.setLong(1, seq);
      ps.setString(2, network.value());
      ps.setBytes(3, commitment);
      ps.setString(4, scheme);
      ps.setBytes(5, key);
      ps.setBytes(6, head.entryHash());
      ps.setBytes(7, hash);
      ps.setLong(8, atMs);
      ps.executeUpdate();
    }
    MerkleTree.append(c, seq - 1, MerkleTree.leafHash(canonical(seq, network.value(), commitment, scheme, key, atMs)));
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO key_log_accounts(seq, account, salt) VALUES (?,?,?)")) {
      ps.setLong(1, seq);
      ps.setString(2, GraphSeal.of(c).seal(account.value()));
      ps.setBytes(3, GraphSeal.of(c).sealBytes(salt));
      ps.executeUpdate();
    }
    return new Entry(
        seq, network.value(), commitment, scheme, key, head.entryHash(), hash, atMs, account.value(), salt);
  }

  /** The latest entry, or seq 0 with the genesis hash when the log is empty. */
  public static Head head(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT seq, entry_hash FROM key_log ORDER BY seq DESC LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? new Head(rs.getLong(1), rs.getBytes(2)) : new Head(0, GENESIS);
    }
  }

  /** The current (latest) key of {@code account} for {@code scheme}. */
  public static Optional<Entry> current(Connection c, Address account, String scheme) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM key_log_accounts a JOIN key_log l ON l.seq = a.seq"
                + " WHERE a.account = ? AND l.scheme = ? ORDER BY l.seq DESC LIMIT 1")) {
      ps.setString(1, GraphSeal.of(c).seal(account.value()));
      ps.setString(2, scheme);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs, GraphSeal.of(c))) : Optional.empty();
      }
    }
  }

  /** Up to {@code limit} entries from {@code fromSeq} on, in order, with accounts where known. */
  public static List<Entry> entries(Connection c, long fromSeq, int limit) throws SQLException {
    List<Entry> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM key_log l LEFT JOIN key_log_accounts a ON a.seq = l.seq"
                + " WHERE l.seq >= ? ORDER BY l.seq LIMIT ?")) {
      ps.setLong(1, fromSeq);
      ps.setInt(2, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs, GraphSeal.of(c)));
        }
      }
    }
    return out;
  }

  /**
   * Forgets which entries belong to {@code accounts} (a person is forgotten): deletes their
   * addresses and salts; the entries stay in the chain, naming nobody, and their keys are no longer
   * anyone's current key.
   *
   * @return rows deleted
   */
  public static int forget(Connection c, Collection<Address> accounts) throws SQLException {
    int n = 0;
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM key_log_accounts WHERE account = ?")) {
      for (Address a : accounts) {
        ps.setString(1, GraphSeal.of(c).seal(a.value()));
        n += ps.executeUpdate();
      }
    }
    return n;
  }

  private static Entry read(ResultSet rs, GraphSeal g) throws SQLException {
    return new Entry(
        rs.getLong(1), rs.getString(2), rs.getBytes(3), rs.getString(4), rs.getBytes(5), rs.getBytes(6),
        rs.getBytes(7), rs.getLong(8), g.open(rs.getString(9)), g.openBytes(rs.getBytes(10)));
  }

  /**
   * Whether {@code entries} form an unbroken chain: consecutive seqs, each hash recomputes, each
   * entry names its predecessor's hash, an entry with seq 1 starts from the genesis hash, and
   * every account given with its salt matches its commitment.
   */
  public static boolean verifyChain(List<Entry> entries) {
    return verifyChain(entries, null);
  }

  /**
   * Like {@link #verifyChain(List)}, and the first entry must name {@code prevHashOfFirst} (the
   * hash of the entry before it, known from an earlier read); null to skip that check.
   */
  public static boolean verifyChain(List<Entry> entries, byte[] prevHashOfFirst) {
    Entry prev = null;
    for (Entry e : entries) {
      byte[] expectedPrev =
          prev != null ? prev.entryHash : e.seq == 1 ? GENESIS : prevHashOfFirst;
      if (prev != null && e.seq != prev.seq + 1) {
        return false;
      }
      if (e.seq < 1 || e.prevHash.length != HASH_BYTES
          || (expectedPrev != null && !MessageDigest.isEqual(expectedPrev, e.prevHash))) {
        return false;
      }
      byte[] h = entryHash(e.prevHash, e.seq, e.network, e.accountCommitment, e.scheme, e.publicKey, e.at);
      if (!MessageDigest.isEqual(h, e.entryHash)) {
        return false;
      }
      if (e.account != null && e.accountSalt != null
          && !MessageDigest.isEqual(accountCommitment(e.accountSalt, e.account), e.accountCommitment)) {
        return false;
      }
      prev = e;
    }
    return true;
  }

  /** {@code SHA-256(prevHash || canonical(...))}. */
  public static byte[] entryHash(
      byte[] prevHash, long seq, String network, byte[] accountCommitment, String scheme, byte[] publicKey,
      long at) {
    MessageDigest md = sha256();
    md.update(prevHash);
    md.update(canonical(seq, network, accountCommitment, scheme, publicKey, at));
    return md.digest();
  }

  /** The canonical bytes of an entry's fields (see the class comment). */
  public static byte[] canonical(
      long seq, String network, byte[] accountCommitment, String scheme, byte[] publicKey, long at) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    out.writeBytes(ByteBuffer.allocate(8).putLong(seq).array());
    lengthPrefixed(out, network.getBytes(StandardCharsets.UTF_8));
    lengthPrefixed(out, accountCommitment);
    lengthPrefixed(out, scheme.getBytes(StandardCharsets.UTF_8));
    lengthPrefixed(out, publicKey);
    out.writeBytes(ByteBuffer.allocate(8).putLong(at).array());
    return out.toByteArray();
  }

  /** The canonical bytes of {@code e}: its leaf in the Merkle tree ({@link MerkleTree}). */
  public static byte[] canonical(Entry e) {
    return canonical(e.seq, e.network, e.accountCommitment, e.scheme, e.publicKey, e.at);
  }

  /** {@code SHA-256(salt || UTF-8 account)}. */
  public static byte[] accountCommitment(byte[] salt, String account) {
    MessageDigest md = sha256();
    md.update(salt);
    md.update(account.getBytes(StandardCharsets.UTF_8));
    return md.digest();
  }

  private static void lengthPrefixed(ByteArrayOutputStream out, byte[] b) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
    out.writeBytes(b);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Genesis hash (32 zero bytes): the prev_hash of seq 1. */
  public static byte[] genesis() {
    return GENESIS.clone();
  }

  static boolean sameKey(Entry e, byte[] key) {
    return Arrays.equals(e.publicKey, key);
  }
}
