package io.parlor.core.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.core.store.Dialect;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The key log's Merkle tree against the reference vectors of Certificate Transparency (RFC 6962's
 * reference implementation; RFC 9162 keeps the same tree), and its proofs in every shape of tree
 * up to 40 leaves. In-memory SQLite: no files.
 */
class MerkleTreeTest {
  private static final HexFormat HEX = HexFormat.of();
  /** The CT reference leaves (their data, hashed with the 0x00 prefix). */
  private static final String[] CT_LEAVES = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"
  };
  /** The CT reference roots of the trees of 0..8 of those leaves. */
  private static final String[] CT_ROOTS = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };

  Connection c;

  @BeforeEach
  void open() throws SQLException {
    c = DriverManager.getConnection("jdbc:sqlite::memory:");
    try (Statement st = c.createStatement()) {
      MerkleTree.createSchema(st, Dialect.SQLITE);
      MerkleTree.createSchema(st, Dialect.SQLITE); // idempotent
    }
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  private List<byte[]> appendCtLeaves() throws SQLException {
    List<byte[]> hashes = new ArrayList<>();
    for (int i = 0; i < CT_LEAVES.length; i++) {
      byte[] h = MerkleTree.leafHash(HEX.parseHex(CT_LEAVES[i]));
      MerkleTree.append(c, i, h);
      hashes.add(h);
    }
    return hashes;
  }

  private static List<String> hex(List<byte[]> hashes) {
    return hashes.stream().map(HEX::formatHex).toList();
  }

  @Test
  void rootsAndProofsMatchCertificateTransparencysReferenceVectors() throws Exception {
    List<byte[]> leaves = appendCtLeaves();
    for (int n = 0; n <= 8; n++) {
      assertEquals(CT_ROOTS[n], HEX.formatHex(MerkleTree.root(c, n)), "root of " + n + " leaves");
    }
    assertEquals(8, MerkleTree.size(c));
    // inclusion: leaf 0 and leaf 5 of 8
    assertEquals(
        List.of("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        hex(MerkleTree.inclusion(c, 0, 8)));
    assertEquals(
        List.of("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        hex(MerkleTree.inclusion(c, 5, 8)));
    assertTrue(MerkleTree.verifyInclusion(5, 8, leaves.get(5), MerkleTree.inclusion(c, 5, 8),
        HEX.parseHex(CT_ROOTS[8])));
    // consistency: 1 → 8, 6 → 8, 2 → 5, and a tree with itself
    assertEquals(hex(MerkleTree.inclusion(c, 0, 8)), hex(MerkleTree.consistency(c, 1, 8)));
    assertEquals(
        List.of("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        hex(MerkleTree.consistency(c, 6, 8)));
    assertEquals(
        List.of("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        hex(MerkleTree.consistency(c, 2, 5)));
    assertEquals(List.of(), MerkleTree.consistency(c, 3, 3));
  }

  /** Reference MTH computed naively from the list (RFC 9162 2.1.1). */
  private static byte[] mth(List<byte[]> leaves) {
    if (leaves.size() == 1) {
      return leaves.get(0);
    }
    int k = Integer.highestOneBit(leaves.size() - 1);
    return MerkleTree.nodeHash(mth(leaves.subList(0, k)), mth(leaves.subList(k, leaves.size())));
  }

  @Test
  void everyProofInEveryTreeUpTo40LeavesVerifiesAndNothingElseDoes() throws Exception {
    List<byte[]> leaves = new ArrayList<>();
    List<byte[]> roots = new ArrayList<>();
    roots.add(MerkleTree.root(c, 0));
    for (int i = 0; i < 40; i++) {
      byte[] h = MerkleTree.leafHash(new byte[] {(byte) i, (byte) (i * 7)});
      MerkleTree.append(c, i, h);
      leaves.add(h);
      roots.add(MerkleTree.root(c, i + 1));
      assertArrayEquals(mth(leaves), roots.get(i + 1), "root of " + (i + 1));
    }
    for (int n = 1; n <= 40; n++) {
      for (int m = 0; m < n; m++) {
        List<byte[]> path = MerkleTree.inclusion(c, m, n);
        assertTrue(MerkleTree.verifyInclusion(m, n, leaves.get(m), path, roots.get(n)), m + " in " + n);
        if (n > 1) {
          assertFalse(MerkleTree.verifyInclusion(m, n, leaves.get((m + 1) % n), path, roots.get(n)),
              "another leaf at " + m + " in " + n);
        }
        if (!path.isEmpty()) {
          byte[] bad = path.get(0).clone();
          bad[0] ^= 1;
          List<byte[]> tampered = new ArrayList<>(path);
          tampered.set(0, bad);
          assertFalse(MerkleTree.verifyInclusion(m, n, leaves.get(m), tampered, roots.get(n)));
        }
      }
      for (int m = 1; m <= n; m++) {
        List<byte[]> proof = MerkleTree.consistency(c, m, n);
        assertTrue(MerkleTree.verifyConsistency(m, n, roots.get(m), roots.get(n), proof), m + " → " + n);
        if (m < n) {
          // the same proof against another first tree (a fork) fails
          assertFalse(MerkleTree.verifyConsistency(m, n, roots.get(m - 1 == 0 ? m + 1 : m - 1), roots.get(n), proof),
              "forked " + m + " → " + n);
        }
      }
    }
  }

  @Test
  void theTreeIsAppendOnly() throws Exception {
    appendCtLeaves();
    try (Statement st = c.createStatement()) {
      assertThrows(SQLException.class, () -> st.execute("UPDATE key_log_tree SET hash = x'00' WHERE level = 0"));
      assertThrows(SQLException.class, () -> st.execute("DELETE FROM key_log_tree"));
    }
    assertEquals(CT_ROOTS[8], HEX.formatHex(MerkleTree.root(c, 8)));
  }
}
