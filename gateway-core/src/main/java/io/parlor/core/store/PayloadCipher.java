package io.parlor.core.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Crypto-shredding of queued messages ({@code store.encryptionKey}). A message's payload — its
 * envelope and its references — is stored sealed with AES-256-GCM under the key of the epoch it
 * was accepted in ({@code store.keyEpoch}, an hour by default), bound to its gateway id. Epoch
 * keys are random, kept in memory, and stored only wrapped (AES-256-GCM) by the master key, which
 * is in the config or the environment and never in the store. Once an epoch is over and none of
 * its messages is left — delivered, failed, expired or deleted — its key is deleted
 * ({@link #shred}): every copy of its messages that the database may still hold (PostgreSQL's
 * dead tuples and WAL, a backup) is ciphertext whose key is gone.
 *
 * <p>Thread-safe. The keys' SQL runs on the caller's store connection.
 */
public final class PayloadCipher {
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final byte VERSION = 1;

  private final SecretKeySpec master;
  private final long epochMillis;
  private final SecureRandom random = new SecureRandom();
  /** Unwrapped epoch keys that opened messages (any thread): never used to seal. */
  private final Map<Long, SecretKeySpec> keys = new ConcurrentHashMap<>();
  /**
   * The keys this node seals with, by epoch (writer thread only): loaded or created by a unit of
   * work, dropped by {@link #shred}. Kept apart from {@link #keys}, which a reader may fill from a
   * row a shred is deleting: sealing under that key would leave a message nobody can open.
   */
  private final Map<Long, SecretKeySpec> sealing = new java.util.HashMap<>();
  /**
   * Keys this node created, by epoch, with the write transaction that stored them ({@link
   * StoreCaches#transactions}): trusted once a later transaction finds their row. Until then a
   * unit of work that seals with one checks its row, and stores it again when the unit that
   * stored it was rolled back — a message is never sealed under a key that is not stored with it.
   * Writer thread only.
   */
  private final Map<Long, Long> unconfirmed = new java.util.HashMap<>();

  /**
   * @param masterKey 32 bytes (AES-256)
   * @param epoch how long one key seals newly accepted messages
   */
  public PayloadCipher(byte[] masterKey, Duration epoch) {
    if (masterKey.length != 32) {
      throw new IllegalArgumentException("the master key must be 32 bytes, not " + masterKey.length);
    }
    this.master = new SecretKeySpec(masterKey, "AES");
    this.epochMillis = epoch.toMillis();
  }

  /** The label of the social graph's key, derived from the master key ({@link GraphSeal}). */
  static final String GRAPH_KEY_LABEL = "parlor social graph";

  /** A 32-byte subkey of the master key for {@code label} (the social graph's seal). */
  byte[] subkey(String label) {
    return GraphSeal.derive(master.getEncoded(), label);
  }

  /**
   * The epoch a message accepted at {@code at} is sealed in: the epoch's start, in epoch
   * milliseconds (so that epochs keep their order when {@code store.keyEpoch} changes).
   */
  public long epochOf(Instant at) {
    return Math.floorDiv(at.toEpochMilli(), epochMillis) * epochMillis;
  }

  /** A sealed payload and the epoch whose key opens it. */
  public record Sealed(long epoch, byte[] bytes) {}

  /** Seals {@code envelope} and {@code refs} of message {@code gid} under the key of {@code at}'s epoch. */
  Sealed seal(Connection c, String gid, byte[] envelope, String refs, Instant at) throws SQLException {
    long epoch = epochOf(at);
    SecretKeySpec key = sealing.get(epoch);
    if (key == null) {
      key = load(c, epoch);
      if (key == null) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        key = new SecretKeySpec(raw, "AES");
        if (!store(c, epoch, key)) {
          key = load(c, epoch); // another node made the epoch's key first: everyone seals under it
          if (key == null) {
            throw new SQLException("the key of epoch " + epoch + " was stored and deleted at once");
          }
        }
      }
      sealing.put(epoch, key);
    } else if (unconfirmed.containsKey(epoch)) {
      boolean found;
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM epoch_keys WHERE epoch = ?")) {
        ps.setLong(1, epoch);
        try (ResultSet rs = ps.executeQuery()) {
          found = rs.next();
        }
      }
      if (!found) {
        if (!store(c, epoch, key)) { // the unit that stored it was rolled back
          key = load(c, epoch); // and another node stored its own since: everyone seals under that
          sealing.put(epoch, key);
          unconfirmed.remove(epoch);
        }
      } else if (unconfirmed.get(epoch) < StoreCaches.transactions(c)) {
        unconfirmed.remove(epoch); // committed: found by a later transaction
      }
    }
    byte[] r = refs == null ? new byte[0] : refs.getBytes(StandardCharsets.UTF_8);
    ByteBuffer plain = ByteBuffer.allocate(4 + envelope.length + r.length);
    plain.putInt(envelope.length).put(envelope).put(r);
    return new Sealed(epoch, encrypt(key, plain.array(), aad("message", gid)));
  }

  /** Stores the epoch's key; false when the epoch has one already (another node stored it first). */
  private boolean store(Connection c, long epoch, SecretKeySpec key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO epoch_keys(epoch, wrapped) VALUES (?,?) ON CONFLICT (epoch) DO NOTHING")) {
      ps.setLong(1, epoch);
      ps.setBytes(2, encrypt(master, key.getEncoded(), aad("epoch key", Long.toString(epoch))));
      if (ps.executeUpdate() == 0) {
        return false;
      }
    }
    unconfirmed.put(epoch, StoreCaches.transactions(c));
    return true;
  }

  /** The envelope and refs (null when none) that {@link #seal} sealed. */
  record Opened(byte[] envelope, String refs) {}

  Opened open(Connection c, String gid, long epoch, byte[] sealed) throws SQLException {
    SecretKeySpec key = keys.get(epoch);
    if (key == null) {
      key = load(c, epoch);
      if (key == null) {
        throw new SQLException("message " + gid + ": the key of its epoch " + epoch + " is gone");
      }
      keys.put(epoch, key);
    }
    ByteBuffer plain = ByteBuffer.wrap(decrypt(key, sealed, aad("message", gid), "message " + gid));
    byte[] envelope = new byte[plain.getInt()];
    plain.get(envelope);
    byte[] r = new byte[plain.remaining()];
    plain.get(r);
    return new Opened(envelope, r.length == 0 ? null : new String(r, StandardCharsets.UTF_8));
  }

  /**
   * Deletes the keys of epochs before {@code now}'s whose messages are all gone; returns how many.
   * Their messages, wherever a copy of them remains, cannot be opened again.
   */
  public int shred(Connection c, Instant now) throws SQLException {
    List<Long> done = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT epoch FROM epoch_keys WHERE epoch < ?"
            + " AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.epoch = epoch_keys.epoch)")) {
      // several nodes: one whole epoch after the key's own (another node whose clock is a little
      // behind may still be sealing under it); one node: as soon as its epoch is over
      ps.setLong(1, epochOf(now) - (StoreCaches.node(c) == null ? 0 : epochMillis));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          done.add(rs.getLong(1));
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM epoch_keys WHERE epoch = ?")) {
      for (long epoch : done) {
        ps.setLong(1, epoch);
        ps.executeUpdate();
        keys.remove(epoch);
        sealing.remove(epoch);
        unconfirmed.remove(epoch);
      }
    }
    return done.size();
  }

  /**
   * Forgets the keys of epochs {@link #shred} may have deleted by now (on the writer thread): a
   * node that does not run housekeeping keeps no key in memory that the store no longer has.
   */
  public void forgetShredded(Instant now) {
    long before = epochOf(now) - epochMillis;
    keys.keySet().removeIf(epoch -> epoch < before);
    sealing.keySet().removeIf(epoch -> epoch < before);
    unconfirmed.keySet().removeIf(epoch -> epoch < before);
  }

  /**
   * Checks that the master key opens the store's epoch keys (at start): a changed or mistyped
   * {@code store.encryptionKey} is refused before anything is accepted that could not be read.
   */
  void check(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM epoch_keys ORDER BY epoch LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        load(c, rs.getLong(1));
      }
    }
  }

  /**
   * Refuses a store that holds sealed messages when no key is configured to open them (at start):
   * otherwise they would fail every read of the queue.
   */
  static void checkNoneSealed(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM epoch_keys LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        throw new SQLException("the store holds sealed messages: set store.encryptionKey to the key they were sealed with");
      }
    }
  }

  /**
   * Wraps every stored epoch key again, from {@code oldMaster} to {@code newMaster} (key
   * rotation, in the caller's transaction); returns how many. A key the old master does not open
   * fails the whole rotation.
   */
  static int rewrap(Connection c, byte[] oldMaster, byte[] newMaster) throws SQLException {
    PayloadCipher old = new PayloadCipher(oldMaster, Duration.ofHours(1));
    PayloadCipher next = new PayloadCipher(newMaster, Duration.ofHours(1));
    List<Long> epochs = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM epoch_keys");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        epochs.add(rs.getLong(1));
      }
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE epoch_keys SET wrapped = ? WHERE epoch = ?")) {
      for (long epoch : epochs) {
        SecretKeySpec key = old.load(c, epoch);
        ps.setBytes(1, next.encrypt(next.master, key.getEncoded(), aad("epoch key", Long.toString(epoch))));
        ps.setLong(2, epoch);
        ps.executeUpdate();
      }
    }
    return epochs.size();
  }

  /**
   * The key log's signing seed of a store with a master key: stored only wrapped by it (one row),
   * so that it outlives a rotation of the master key (auditors keep the key they pinned). The
   * first start of a store stores {@code initial} (the seed derived from the master key, as
   * before the seed was stored); a node that finds the row uses it.
   */
  public static byte[] logSigningSeed(Connection c, byte[] master, byte[] initial) throws SQLException {
    PayloadCipher wrapper = new PayloadCipher(master, Duration.ofHours(1));
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO log_signing_key(id, wrapped) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")) {
      ps.setBytes(1, wrapper.encrypt(wrapper.master, initial, aad("log signing key", "1")));
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT wrapped FROM log_signing_key WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return decrypt(wrapper.master, rs.getBytes(1), aad("log signing key", "1"),
          "store.encryptionKey does not open the key log's signing key");
    }
  }

  /** Wraps the key log's signing seed again (rotation, in the caller's transaction). */
  static void rewrapLogSigningSeed(Connection c, byte[] oldMaster, byte[] newMaster) throws SQLException {
    PayloadCipher old = new PayloadCipher(oldMaster, Duration.ofHours(1));
    PayloadCipher next = new PayloadCipher(newMaster, Duration.ofHours(1));
    byte[] wrapped;
    try (PreparedStatement ps = c.prepareStatement("SELECT wrapped FROM log_signing_key WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return;
      }
      wrapped = rs.getBytes(1);
    }
    byte[] seed = decrypt(old.master, wrapped, aad("log signing key", "1"),
        "the store's key does not open the key log's signing key");
    try (PreparedStatement ps = c.prepareStatement("UPDATE log_signing_key SET wrapped = ? WHERE id = 1")) {
      ps.setBytes(1, next.encrypt(next.master, seed, aad("log signing key", "1")));
      ps.executeUpdate();
    } finally {
      java.util.Arrays.fill(seed, (byte) 0);
    }
  }

  private SecretKeySpec load(Connection c, long epoch) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT wrapped FROM epoch_keys WHERE epoch = ?")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        byte[] raw = decrypt(master, rs.getBytes(1), aad("epoch key", Long.toString(epoch)),
            "store.encryptionKey does not open the store's keys (a different key than the one they were stored with?)");
        return new SecretKeySpec(raw, "AES");
      }
    }
  }

  private static byte[] aad(String what, String id) {
    return ("parlor " + what + " " + id).getBytes(StandardCharsets.UTF_8);
  }

  private byte[] encrypt(SecretKeySpec key, byte[] plain, byte[] aad) {
    try {
      byte[] nonce = new byte[NONCE];
      random.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      byte[] out = new byte[1 + NONCE + cipher.getOutputSize(plain.length)];
      out[0] = VERSION;
      System.arraycopy(nonce, 0, out, 1, NONCE);
      cipher.doFinal(plain, 0, plain.length, out, 1 + NONCE);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  private static byte[] decrypt(SecretKeySpec key, byte[] sealed, byte[] aad, String what) throws SQLException {
    if (sealed == null || sealed.length < 1 + NONCE + TAG_BITS / 8 || sealed[0] != VERSION) {
      throw new SQLException(what + ": not a sealed value");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 1, NONCE));
      cipher.updateAAD(aad);
      return cipher.doFinal(sealed, 1 + NONCE, sealed.length - 1 - NONCE);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new SQLException(what + ": it does not authenticate", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }
}
