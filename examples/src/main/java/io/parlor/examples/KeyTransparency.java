package io.parlor.examples;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks Parlor's key log as a transparency log, with the JDK only and independently of the
 * gateway's code (the proofs are checked here by rebuilding the hashes from RFC 9162's
 * definitions of the audit path and the consistency proof, not by the gateway's algorithms).
 *
 * <ul>
 *   <li>A key answer ({@code GET /v1/networks/{id}/keys}) carries the key's {@code leaf}, its
 *       {@code inclusion} proof and a signed {@code treeHead}: {@link #verifyKeyAnswer} checks that
 *       the key is in the tree the head names and that the head is signed by the operator's key
 *       ({@code GET /v1/keys/signing-key}, pinned by the client).
 *   <li>A {@link Monitor} keeps the last head it verified and accepts a later one only with a
 *       consistency proof ({@code GET /v1/keys/consistency}): the log was only appended to.
 *   <li>Two networks that compare the heads they were shown ({@link #compare}) catch a node that
 *       shows them different logs: two signed heads of one size with different roots, or a
 *       consistency proof that does not verify, are a fork.
 * </ul>
 *
 * <pre>
 * leaf      = u64(seq) || str(network) || bin(accountCommitment) || str(scheme) || bin(publicKey) || u64(at)
 * leafHash  = SHA-256(0x00 || leaf);  node = SHA-256(0x01 || left || right)
 * tree head signature: Ed25519 over ASCII("parlor-key-log-tree-head-v1") || 0x00 || u64(treeSize)
 *                      || u64(timestamp) || rootHash
 * </pre>
 */
public final class KeyTransparency {
  private static final byte[] CONTEXT = "parlor-key-log-tree-head-v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private KeyTransparency() {}

  /** A signed tree head, decoded ({@code treeHead} in the answers, hex and base64 undone). */
  public record TreeHead(long treeSize, byte[] rootHash, long timestamp, byte[] signature) {}

  /** What two heads say of each other. */
  public enum Comparison {
    /** The same tree. */
    SAME,
    /** The larger tree extends the smaller one (the proof verified). */
    CONSISTENT,
    /** Different logs were shown: same size with different roots, or no valid consistency proof. */
    FORK
  }

  /** Thrown when the log misbehaves: a bad signature, a proof that does not verify, a fork. */
  public static final class LogMisbehaved extends Exception {
    private static final long serialVersionUID = 1L;

    public LogMisbehaved(String message) {
      super(message);
    }
  }

  /** The leaf hash of a key log entry. */
  public static byte[] leafHash(long seq, String network, byte[] accountCommitment, String scheme, byte[] publicKey, long at) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.writeBytes(KeyLogVerifier.canonical(seq, network, accountCommitment, scheme, publicKey, at));
    return sha256(out.toByteArray());
  }

  /** Whether {@code head} is signed by the Ed25519 key {@code signingKey} (32 raw bytes). */
  public static boolean verifySignature(byte[] signingKey, TreeHead head) {
    try {
      byte[] der = new byte[ED25519_SPKI_PREFIX.length + signingKey.length];
      System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
      System.arraycopy(signingKey, 0, der, ED25519_SPKI_PREFIX.length, signingKey.length);
      PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(ByteBuffer.allocate(CONTEXT.length + 17 + head.rootHash().length)
          .put(CONTEXT).put((byte) 0).putLong(head.treeSize()).putLong(head.timestamp()).put(head.rootHash()).array());
      return s.verify(head.signature());
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether {@code path} (the audit path, from the leaf's sibling up) leads from leaf
   * {@code index} with {@code leafHash} to {@code root} in a tree of {@code size} leaves.
   */
  public static boolean verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> path, byte[] root) {
    if (index < 0 || index >= size) {
      return false;
    }
    int[] left = {path.size()};
    byte[] r = climb(index, size, leafHash, path, left);
    return r != null && left[0] == 0 && MessageDigest.isEqual(r, root);
  }

  /** MTH of the tree of {@code n} leaves holding leaf {@code m}, from the path's last {@code left[0]} elements. */
  private static byte[] climb(long m, long n, byte[] leaf, List<byte[]> path, int[] left) {
    if (n == 1) {
      return leaf;
    }
    if (left[0] == 0) {
      return null;
    }
    long k = Long.highestOneBit(n - 1);
    byte[] sibling = path.get(--left[0]); // PATH(m, D[n]) ends with the top-level sibling
    if (m < k) {
      byte[] l = climb(m, k, leaf, path, left);
      return l == null ? null : node(l, sibling);
    }
    byte[] r = climb(m - k, n - k, leaf, path, left);
    return r == null ? null : node(sibling, r);
  }

  /**
   * Whether {@code proof} shows that the tree of {@code second} leaves ({@code secondRoot})
   * extends the tree of {@code first} leaves ({@code firstRoot}).
   */
  public static boolean verifyConsistency(long first, long second, byte[] firstRoot, byte[] secondRoot, List<byte[]> proof) {
    if (first < 1 || first > second) {
      return false;
    }
    if (first == second) {
      return proof.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
    }
    int[] left = {proof.size()};
    byte[][] r = subproof(first, second, true, proof, left, firstRoot);
    return r != null && left[0] == 0 && MessageDigest.isEqual(r[0], firstRoot) && MessageDigest.isEqual(r[1], secondRoot);
  }

  /**
   * SUBPROOF(m, D[n], whole) read backwards: the hashes of the old tree's part in this subtree and
   * of the subtree itself.
   */
  private static byte[][] subproof(long m, long n, boolean whole, List<byte[]> proof, int[] left, byte[] firstRoot) {
    if (m == n) {
      if (whole) {
        return new byte[][] {firstRoot, firstRoot}; // the old tree is this subtree: its root is known
      }
      if (left[0] == 0) {
        return null;
      }
      byte[] h = proof.get(--left[0]);
      return new byte[][] {h, h};
    }
    if (left[0] == 0) {
      return null;
    }
    long k = Long.highestOneBit(n - 1);
    byte[] sibling = proof.get(--left[0]);
    if (m <= k) {
      byte[][] r = subproof(m, k, whole, proof, left, firstRoot);
      return r == null ? null : new byte[][] {r[0], node(r[1], sibling)};
    }
    byte[][] r = subproof(m - k, n - k, false, proof, left, firstRoot);
    return r == null ? null : new byte[][] {node(sibling, r[0]), node(sibling, r[1])};
  }

  /**
   * Checks a key answer: the head is signed by {@code signingKey}, and the key (with its leaf's
   * fields) is in the head's tree.
   *
   * @throws LogMisbehaved naming what failed
   */
  public static void verifyKeyAnswer(
      byte[] signingKey, TreeHead head, long seq, String network, byte[] accountCommitment, String scheme,
      byte[] publicKey, long at, List<byte[]> inclusion) throws LogMisbehaved {
    if (!verifySignature(signingKey, head)) {
      throw new LogMisbehaved("the tree head is not signed by the log's key");
    }
    byte[] leaf = leafHash(seq, network, accountCommitment, scheme, publicKey, at);
    if (!verifyInclusion(seq - 1, head.treeSize(), leaf, inclusion, head.rootHash())) {
      throw new LogMisbehaved("the key is not in the tree the head names (inclusion proof fails)");
    }
  }

  /**
   * Compares two signed heads (both already verified), e.g. one a network saw and one another
   * network saw. {@code proof} is the consistency proof from the smaller tree to the larger one
   * (ignored when the sizes are equal).
   */
  public static Comparison compare(TreeHead a, TreeHead b, List<byte[]> proof) {
    if (a.treeSize() == b.treeSize()) {
      return MessageDigest.isEqual(a.rootHash(), b.rootHash()) ? Comparison.SAME : Comparison.FORK;
    }
    TreeHead small = a.treeSize() < b.treeSize() ? a : b;
    TreeHead large = small == a ? b : a;
    return verifyConsistency(small.treeSize(), large.treeSize(), small.rootHash(), large.rootHash(), proof)
        ? Comparison.CONSISTENT : Comparison.FORK;
  }

  /**
   * Follows one log over time, as a network's app or server would: pins the log's signing key,
   * keeps the last head it verified and accepts a newer one only with a valid consistency proof.
   * Not thread-safe.
   */
  public static final class Monitor {
    private final byte[] signingKey;
    private TreeHead last;

    public Monitor(byte[] signingKey) {
      this.signingKey = signingKey.clone();
    }

    /** The last head accepted, or null. */
    public TreeHead last() {
      return last;
    }

    /**
     * Accepts {@code head} after the last one: signed, not smaller, and consistent with it
     * ({@code proof} from the last head's size to this one's).
     *
     * @throws LogMisbehaved when the head is not signed, goes back, or forks from the last one
     */
    public void accept(TreeHead head, List<byte[]> proof) throws LogMisbehaved {
      if (!verifySignature(signingKey, head)) {
        throw new LogMisbehaved("the tree head is not signed by the log's key");
      }
      if (last != null) {
        if (head.treeSize() < last.treeSize()) {
          throw new LogMisbehaved("the log went back from " + last.treeSize() + " to " + head.treeSize() + " entries");
        }
        if (last.treeSize() > 0 && compare(last, head, proof) == Comparison.FORK) {
          throw new LogMisbehaved("fork: the head of " + head.treeSize() + " entries does not extend the one of "
              + last.treeSize());
        }
      }
      last = head;
    }
  }

  private static byte[] node(byte[] left, byte[] right) {
    byte[] in = new byte[1 + left.length + right.length];
    in[0] = 1;
    System.arraycopy(left, 0, in, 1, left.length);
    System.arraycopy(right, 0, in, 1 + left.length, right.length);
    return sha256(in);
  }

  private static byte[] sha256(byte[] in) {
    return KeyLogVerifier.sha256(in);
  }
}
