package io.parlor.examples;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Verifies entries of Parlor's key log ({@code GET /v1/keys/log}) with the JDK only, independently
 * of the gateway's code: a network that keeps the last verified head can tell that the log was
 * only appended to, that a {@code keyId} it was given is in it, and that entries naming its own
 * accounts commit to them.
 *
 * <pre>
 * entryHash = SHA-256(prevHash || u64(seq) || str(network) || bin(accountCommitment) || str(scheme)
 *                     || bin(publicKey) || u64(at))
 *   u64 = 8 bytes big-endian; str = u32 big-endian length || UTF-8; bin = u32 big-endian length || bytes
 * accountCommitment = SHA-256(accountSalt || UTF-8 account); prevHash of seq 1 = 32 zero bytes
 * </pre>
 */
public final class KeyLogVerifier {
  private KeyLogVerifier() {}

  /**
   * One entry as the log endpoint returns it (hex and base64 decoded). {@code account} and
   * {@code accountSalt} are null unless the entry is the caller's own.
   */
  public record Entry(
      long seq,
      String network,
      byte[] accountCommitment,
      String scheme,
      byte[] publicKey,
      long at,
      byte[] prevHash,
      byte[] entryHash,
      String account,
      byte[] accountSalt) {}

  /** The entry hash the fields must have. */
  public static byte[] entryHash(
      byte[] prevHash, long seq, String network, byte[] accountCommitment, String scheme, byte[] publicKey, long at) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(prevHash);
    out.writeBytes(canonical(seq, network, accountCommitment, scheme, publicKey, at));
    return sha256(out.toByteArray());
  }

  /**
   * An entry's fields as the log encodes them (what {@code entryHash} hashes after the previous
   * hash, and the leaf of the log's Merkle tree).
   */
  static byte[] canonical(long seq, String network, byte[] accountCommitment, String scheme, byte[] publicKey, long at) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(8).putLong(seq).array());
    lengthPrefixed(out, network.getBytes(StandardCharsets.UTF_8));
    lengthPrefixed(out, accountCommitment);
    lengthPrefixed(out, scheme.getBytes(StandardCharsets.UTF_8));
    lengthPrefixed(out, publicKey);
    out.writeBytes(ByteBuffer.allocate(8).putLong(at).array());
    return out.toByteArray();
  }

  /** {@code SHA-256(salt || UTF-8 account)}. */
  public static byte[] accountCommitment(byte[] salt, String account) {
    byte[] a = account.getBytes(StandardCharsets.UTF_8);
    byte[] in = new byte[salt.length + a.length];
    System.arraycopy(salt, 0, in, 0, salt.length);
    System.arraycopy(a, 0, in, salt.length, a.length);
    return sha256(in);
  }

  /**
   * Whether {@code entries} chain: consecutive seqs, every hash recomputes, each entry names its
   * predecessor's hash ({@code prevHashOfFirst} for the first one; 32 zero bytes when it is seq
   * 1), and every given account matches its commitment.
   */
  public static boolean verify(List<Entry> entries, byte[] prevHashOfFirst) {
    byte[] expectedPrev = prevHashOfFirst;
    long expectedSeq = -1;
    for (Entry e : entries) {
      if (expectedSeq < 0 && e.seq() == 1) {
        expectedPrev = new byte[32];
      }
      if ((expectedSeq >= 0 && e.seq() != expectedSeq)
          || (expectedPrev != null && !MessageDigest.isEqual(expectedPrev, e.prevHash()))) {
        return false;
      }
      byte[] h = entryHash(e.prevHash(), e.seq(), e.network(), e.accountCommitment(), e.scheme(), e.publicKey(), e.at());
      if (!MessageDigest.isEqual(h, e.entryHash())) {
        return false;
      }
      if (e.account() != null && e.accountSalt() != null
          && !MessageDigest.isEqual(accountCommitment(e.accountSalt(), e.account()), e.accountCommitment())) {
        return false;
      }
      expectedPrev = e.entryHash();
      expectedSeq = e.seq() + 1;
    }
    return true;
  }

  private static void lengthPrefixed(ByteArrayOutputStream out, byte[] b) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
    out.writeBytes(b);
  }

  static byte[] sha256(byte[] in) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(in);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
