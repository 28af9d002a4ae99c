package io.parlor.core.keys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs the key log's tree heads with the operator's Ed25519 key (never a user's: the directory
 * holds public keys only). The key comes from a 32-byte seed: derived from
 * {@code store.encryptionKey} when the store has one (every node of a cluster then signs with the
 * same key, and nothing of it is in the database), else read from a file beside the SQLite store,
 * made once with mode 600. Its public key is published ({@code GET /v1/keys/signing-key}) so that
 * anyone can check a head.
 *
 * <pre>
 * signed = ASCII("parlor-key-log-tree-head-v1") || 0x00 || u64(treeSize) || u64(timestamp) || rootHash
 * </pre>
 *
 * Thread-safe.
 */
public final class LogSigner {
  /** Bytes of an Ed25519 public key, and of a seed. */
  public static final int KEY_BYTES = 32;
  private static final byte[] CONTEXT = "parlor-key-log-tree-head-v1".getBytes(StandardCharsets.US_ASCII);
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo, before the 32 raw bytes (RFC 8410). */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private final PrivateKey privateKey;
  private final byte[] publicKey;

  /** A signed tree head: the tree's size and root at {@code timestamp} (epoch ms), signed. */
  public record TreeHead(long treeSize, byte[] rootHash, long timestamp, byte[] signature) {
    public TreeHead {
      rootHash = rootHash.clone();
      signature = signature.clone();
    }

    @Override
    public byte[] rootHash() {
      return rootHash.clone();
    }

    @Override
    public byte[] signature() {
      return signature.clone();
    }

    @Override
    public String toString() {
      return "TreeHead[size=" + treeSize + ", root=" + HexFormat.of().formatHex(rootHash) + ", at=" + timestamp + "]";
    }
  }

  private LogSigner(byte[] seed) {
    if (seed.length != KEY_BYTES) {
      throw new IllegalArgumentException("seed: " + KEY_BYTES + " bytes");
    }
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      // the JDK's generator draws the 32-byte private key from the random source: give it the seed
      g.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
        private static final long serialVersionUID = 1L;

        @Override
        public void nextBytes(byte[] bytes) {
          System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
        }
      });
      KeyPair pair = g.generateKeyPair();
      this.privateKey = pair.getPrivate();
      this.publicKey = raw(pair.getPublic());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable", e);
    }
  }

  /** A signer from a 32-byte seed. */
  public static LogSigner fromSeed(byte[] seed) {
    return new LogSigner(seed.clone());
  }

  /** The signer whose seed is {@code HMAC-SHA256(masterKey, "parlor key log signing key v1")}. */
  public static LogSigner derivedFrom(byte[] masterKey) {
    byte[] seed = derivedSeed(masterKey);
    try {
      return new LogSigner(seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** The seed {@link #derivedFrom} derives from {@code masterKey}. */
  public static byte[] derivedSeed(byte[] masterKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(masterKey, "HmacSHA256"));
      return mac.doFinal("parlor key log signing key v1".getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /**
   * The signer whose seed is in {@code file} (32 bytes), made with 32 random bytes and mode 600
   * when missing.
   *
   * @throws IOException when the file cannot be read or made, or does not hold 32 bytes
   */
  public static LogSigner fromFile(Path file) throws IOException {
    byte[] seed;
    try {
      seed = io.parlor.core.store.KeyFile.readOrCreate(file, KEY_BYTES, true);
    } catch (IOException e) {
      throw new IOException(e.getMessage().replace("not a key", "not a key log signing key"), e);
    }
    try {
      return new LogSigner(seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** The public key, 32 raw bytes (RFC 8032). */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** Hex SHA-256 of the raw public key: the key's short name. */
  public String keyId() {
    return keyId(publicKey);
  }

  /** Hex SHA-256 of a raw public key. */
  public static String keyId(byte[] rawPublicKey) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(rawPublicKey));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Signs the head of a tree of {@code treeSize} leaves with {@code rootHash}, at {@code timestamp}. */
  public TreeHead sign(long treeSize, byte[] rootHash, long timestamp) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(signed(treeSize, timestamp, rootHash));
      return new TreeHead(treeSize, rootHash, timestamp, s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** Whether {@code head} is signed by the holder of {@code rawPublicKey}. */
  public static boolean verify(byte[] rawPublicKey, TreeHead head) {
    try {
      PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki(rawPublicKey)));
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(signed(head.treeSize(), head.timestamp(), head.rootHash()));
      return s.verify(head.signature());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** The bytes a tree head's signature covers. */
  static byte[] signed(long treeSize, long timestamp, byte[] rootHash) {
    return ByteBuffer.allocate(CONTEXT.length + 1 + 16 + rootHash.length)
        .put(CONTEXT).put((byte) 0).putLong(treeSize).putLong(timestamp).put(rootHash).array();
  }

  private static byte[] spki(byte[] raw) {
    if (raw.length != KEY_BYTES) {
      throw new IllegalArgumentException("public key: " + KEY_BYTES + " bytes");
    }
    byte[] der = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + raw.length);
    System.arraycopy(raw, 0, der, SPKI_PREFIX.length, raw.length);
    return der;
  }

  private static byte[] raw(PublicKey key) {
    byte[] der = key.getEncoded();
    return Arrays.copyOfRange(der, der.length - KEY_BYTES, der.length);
  }

  @Override
  public String toString() {
    return "LogSigner[" + keyId() + "]";
  }
}
