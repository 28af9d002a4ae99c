package io.parlor.core.keys;

import io.parlor.core.store.Dialect;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The key log as a Merkle tree in the style of RFC 9162 (Certificate Transparency 2.0), section
 * 2.1: leaf {@code i} is the canonical bytes of the entry with seq {@code i + 1}
 * ({@link KeyLog#canonical}), hashed {@code SHA-256(0x00 || leaf)}; an inner node is
 * {@code SHA-256(0x01 || left || right)}; the tree of {@code n} leaves splits at the largest power
 * of two below {@code n}. A tree head commits to every entry before it, an inclusion proof shows
 * that an entry is in the tree a head names, and a consistency proof that a later head's tree
 * extends an earlier one's — so two networks that compare the heads they were shown can tell
 * whether the node showed them the same log.
 *
 * <p>Stored as its perfect subtrees ({@code key_log_tree(level, idx, hash)}: level 0 holds the
 * leaves' hashes, level {@code l} the hash of leaves {@code idx·2^l .. (idx+1)·2^l − 1}), appended
 * with each entry and never changed (triggers refuse UPDATE and DELETE). Any subtree the
 * algorithms need is a few of these: a root or proof reads about {@code 2·log2(n)} rows, in one
 * query.
 */
public final class MerkleTree {
  /** The root of the empty tree: SHA-256 of nothing. */
  private static final byte[] EMPTY_ROOT = sha256().digest();

  private MerkleTree() {}

  /** Creates the tree's table and its append-only triggers (idempotent). */
  static void createSchema(Statement st, Dialect dialect) throws SQLException {
    st.execute(dialect.ddl(
        "CREATE TABLE IF NOT EXISTS key_log_tree ("
            + " level INTEGER NOT NULL,"
            + " idx INTEGER NOT NULL,"
            + " hash BLOB NOT NULL,"
            + " PRIMARY KEY (level, idx))"));
    if (dialect == Dialect.POSTGRES) {
      st.execute(
          "CREATE OR REPLACE FUNCTION key_log_append_only() RETURNS trigger LANGUAGE plpgsql AS"
              + " $$ BEGIN RAISE EXCEPTION 'key_log is append-only'; END $$");
      st.execute("DROP TRIGGER IF EXISTS key_log_tree_no_change ON key_log_tree");
      st.execute(
          "CREATE TRIGGER key_log_tree_no_change BEFORE UPDATE OR DELETE ON key_log_tree"
              + " FOR EACH ROW EXECUTE FUNCTION key_log_append_only()");
    } else {
      st.execute(
          "CREATE TRIGGER IF NOT EXISTS key_log_tree_no_update BEFORE UPDATE ON key_log_tree"
              + " BEGIN SELECT RAISE(ABORT, 'key_log is append-only'); END");
      st.execute(
          "CREATE TRIGGER IF NOT EXISTS key_log_tree_no_delete BEFORE DELETE ON key_log_tree"
              + " BEGIN SELECT RAISE(ABORT, 'key_log is append-only'); END");
    }
  }

  /**
   * Builds the tree of the entries a store had before it kept one (schema migration 6), in the
   * migration's transaction.
   */
  public static void fill(Connection c, Dialect dialect) throws SQLException {
    try (Statement st = c.createStatement()) {
      createSchema(st, dialect);
    }
    long size = size(c);
    for (KeyLog.Entry e : KeyLog.entries(c, size + 1, Integer.MAX_VALUE)) {
      append(c, e.seq() - 1, leafHash(KeyLog.canonical(e)));
    }
  }

  /** How many leaves the stored tree has. */
  public static long size(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM key_log_tree WHERE level = 0");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Adds leaf {@code index} (the tree has {@code index} leaves before) and every perfect subtree
   * it completes, in the caller's transaction.
   */
  static void append(Connection c, long index, byte[] leafHash) throws SQLException {
    // the left siblings the new leaf completes: one per trailing one bit of index
    List<long[]> left = new ArrayList<>();
    for (int level = 0; ((index >>> level) & 1) == 1; level++) {
      left.add(new long[] {level, (index >>> level) - 1});
    }
    Map<Long, byte[]> known = read(c, left);
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO key_log_tree(level, idx, hash) VALUES (?,?,?)")) {
      byte[] node = leafHash;
      insert(ps, 0, index, node);
      for (int level = 0; ((index >>> level) & 1) == 1; level++) {
        byte[] sibling = known.get(key(level, (index >>> level) - 1));
        if (sibling == null) {
          throw new SQLException("key_log_tree: subtree (" + level + ", " + ((index >>> level) - 1) + ") missing");
        }
        node = nodeHash(sibling, node);
        insert(ps, level + 1, index >>> (level + 1), node);
      }
    }
  }

  private static void insert(PreparedStatement ps, int level, long idx, byte[] hash) throws SQLException {
    ps.setInt(1, level);
    ps.setLong(2, idx);
    ps.setBytes(3, hash);
    ps.executeUpdate();
  }

  /** The root hash of the first {@code size} leaves ({@code size} at most the stored tree's). */
  public static byte[] root(Connection c, long size) throws SQLException {
    return size == 0 ? EMPTY_ROOT.clone() : compute(c, nodes -> subtree(nodes, 0, size));
  }

  /**
   * The audit path of leaf {@code index} in the tree of the first {@code size} leaves (RFC 9162
   * 2.1.3.1), from the leaf's sibling up.
   */
  public static List<byte[]> inclusion(Connection c, long index, long size) throws SQLException {
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException("index " + index + " outside a tree of " + size);
    }
    return compute(c, nodes -> {
      List<byte[]> out = new ArrayList<>();
      path(nodes, index, 0, size, out);
      return out;
    });
  }

  /**
   * The proof that the tree of the first {@code second} leaves extends that of the first
   * {@code first} (RFC 9162 2.1.4.1); empty when they are the same size.
   */
  public static List<byte[]> consistency(Connection c, long first, long second) throws SQLException {
    if (first < 1 || first > second) {
      throw new IllegalArgumentException("sizes " + first + ", " + second);
    }
    return compute(c, nodes -> {
      List<byte[]> out = new ArrayList<>();
      if (first < second) {
        subproof(nodes, first, 0, second, true, out);
      }
      return out;
    });
  }

  // ---- the algorithms, over a source of perfect subtrees

  /** A perfect subtree's hash: level {@code l}, index {@code idx}. */
  @FunctionalInterface
  private interface Nodes {
    byte[] get(int level, long idx);
  }

  @FunctionalInterface
  private interface Computation<T> {
    T run(Nodes nodes);
  }

  /**
   * Runs {@code f} twice: once to learn which stored subtrees it reads (with placeholders), then,
   * after one query for all of them, for real.
   */
  private static <T> T compute(Connection c, Computation<T> f) throws SQLException {
    Set<long[]> wanted =
        new java.util.TreeSet<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    byte[] placeholder = new byte[32];
    f.run((level, idx) -> {
      wanted.add(new long[] {level, idx});
      return placeholder;
    });
    Map<Long, byte[]> known = read(c, new ArrayList<>(wanted));
    return f.run((level, idx) -> {
      byte[] h = known.get(key(level, idx));
      if (h == null) {
        throw new IllegalStateException("key_log_tree: subtree (" + level + ", " + idx + ") missing");
      }
      return h;
    });
  }

  /** MTH(D[start:end]). */
  private static byte[] subtree(Nodes nodes, long start, long end) {
    long n = end - start;
    if (Long.bitCount(n) == 1 && start % n == 0) {
      return nodes.get(Long.numberOfTrailingZeros(n), start / n);
    }
    long k = split(n);
    return nodeHash(subtree(nodes, start, start + k), subtree(nodes, start + k, end));
  }

  /** PATH(m, D[start:end]). */
  private static void path(Nodes nodes, long m, long start, long end, List<byte[]> out) {
    long n = end - start;
    if (n == 1) {
      return;
    }
    long k = split(n);
    if (m < k) {
      path(nodes, m, start, start + k, out);
      out.add(subtree(nodes, start + k, end));
    } else {
      path(nodes, m - k, start + k, end, out);
      out.add(subtree(nodes, start, start + k));
    }
  }

  /** SUBPROOF(m, D[start:end], b). */
  private static void subproof(Nodes nodes, long m, long start, long end, boolean whole, List<byte[]> out) {
    long n = end - start;
    if (m == n) {
      if (!whole) {
        out.add(subtree(nodes, start, end));
      }
      return;
    }
    long k = split(n);
    if (m <= k) {
      subproof(nodes, m, start, start + k, whole, out);
      out.add(subtree(nodes, start + k, end));
    } else {
      subproof(nodes, m - k, start + k, end, false, out);
      out.add(subtree(nodes, start, start + k));
    }
  }

  /** The largest power of two smaller than {@code n} (n at least 2). */
  private static long split(long n) {
    return Long.highestOneBit(n - 1);
  }

  private static Map<Long, byte[]> read(Connection c, List<long[]> wanted) throws SQLException {
    Map<Long, byte[]> out = new HashMap<>();
    for (int from = 0; from < wanted.size(); from += 100) {
      List<long[]> part = wanted.subList(from, Math.min(wanted.size(), from + 100));
      StringBuilder sql = new StringBuilder("SELECT level, idx, hash FROM key_log_tree WHERE ");
      for (int i = 0; i < part.size(); i++) {
        sql.append(i == 0 ? "" : " OR ").append("(level = ? AND idx = ?)");
      }
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        int p = 1;
        for (long[] w : part) {
          ps.setInt(p++, (int) w[0]);
          ps.setLong(p++, w[1]);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(key(rs.getInt(1), rs.getLong(2)), rs.getBytes(3));
          }
        }
      }
    }
    return out;
  }

  private static long key(long level, long idx) {
    return (level << 56) | idx;
  }

  // ---- hashing and verification (RFC 9162 2.1.3.2 and 2.1.4.2), pure

  /** {@code SHA-256(0x00 || leaf)}. */
  public static byte[] leafHash(byte[] leaf) {
    MessageDigest md = sha256();
    md.update((byte) 0);
    md.update(leaf);
    return md.digest();
  }

  /** {@code SHA-256(0x01 || left || right)}. */
  public static byte[] nodeHash(byte[] left, byte[] right) {
    MessageDigest md = sha256();
    md.update((byte) 1);
    md.update(left);
    md.update(right);
    return md.digest();
  }

  /** Whether {@code path} proves leaf {@code index} (hash {@code leafHash}) in the tree of {@code size} with {@code root}. */
  public static boolean verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> path, byte[] root) {
    if (index < 0 || index >= size) {
      return false;
    }
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash;
    for (byte[] p : path) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = nodeHash(p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = nodeHash(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  /**
   * Whether {@code proof} shows that the tree of {@code second} leaves with {@code secondRoot}
   * extends the tree of {@code first} leaves with {@code firstRoot}.
   */
  public static boolean verifyConsistency(
      long first, long second, byte[] firstRoot, byte[] secondRoot, List<byte[]> proof) {
    if (first < 1 || first > second) {
      return false;
    }
    if (first == second) {
      return proof.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
    }
    List<byte[]> path = new ArrayList<>(proof);
    if (Long.bitCount(first) == 1) {
      path.add(0, firstRoot);
    }
    if (path.isEmpty()) {
      return false;
    }
    long fn = first - 1;
    long sn = second - 1;
    while ((fn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
    }
    byte[] fr = path.get(0);
    byte[] sr = path.get(0);
    for (byte[] c : path.subList(1, path.size())) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(fr, firstRoot) && MessageDigest.isEqual(sr, secondRoot);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
