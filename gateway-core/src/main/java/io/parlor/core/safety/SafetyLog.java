package io.parlor.core.safety;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import io.parlor.core.store.StoreCaches;
import io.parlor.spi.envelope.NetworkId;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Safety from abuse using metadata only: for each pair that wrote it keeps who (sender and
 * recipient as keyed pseudonyms, never identifiers), on which network and when last (to the
 * minute, {@link #GRANULARITY_MS}) — never content, sizes or a row per message — for the
 * retention window, then purges it. The pseudonym key rotates every window
 * and old keys are deleted, so pseudonyms of different windows cannot be linked. The one rule
 * enforced from it: a sender may start conversations with at most {@code maxNewRecipientsPerHour}
 * new recipients an hour (fan-out to strangers). Called on a store connection; thread-safe
 * otherwise.
 */
public final class SafetyLog {
  private final Duration retention;
  private final int maxNewRecipientsPerHour;
  private final SecureRandom random;
  /**
   * The current window's key, cached (used on the store's writer thread only) once a later
   * transaction found it in the table ({@link StoreCaches#transactions}, as {@code PayloadCipher}
   * trusts its keys): a key whose unit of work rolled back is never cached, so that events are not
   * keyed by a key the table lacks (and another node's key, stored since, is the one used).
   */
  private long cachedEpoch = Long.MIN_VALUE;
  private byte[] cachedKey;
  /** The window whose key this node stored last, and the writer's transaction it stored it in. */
  private long storedEpoch = Long.MIN_VALUE;
  private long storedIn;

  /** How long safety metadata is kept ({@code policy.metadataRetention}): the window of every safety count. */
  public Duration retention() {
    return retention;
  }

  public SafetyLog(Duration retention, int maxNewRecipientsPerHour, SecureRandom random) {
    this.retention = retention;
    this.maxNewRecipientsPerHour = maxNewRecipientsPerHour;
    this.random = random;
  }

  /**
   * Whether {@code sender} writing to {@code recipient} (a recipient they have no conversation
   * with yet) would exceed the hourly fan-out limit.
   */
  public boolean fanOutExceeded(Connection c, PartyKey sender, PartyKey recipient, Instant now) throws SQLException {
    return fanOutExceeded(c, sender, recipient, now, 1.0);
  }

  /**
   * Whether {@code sender} writing to {@code recipient} would exceed the hourly fan-out limit
   * multiplied by {@code factor} (the trust of the sender's network).
   */
  public boolean fanOutExceeded(Connection c, PartyKey sender, PartyKey recipient, Instant now, double factor)
      throws SQLException {
    int max = Math.max(1, (int) (maxNewRecipientsPerHour * factor));
    String s = pseudonym(c, sender, now);
    String r = pseudonym(c, recipient, now);
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(DISTINCT recipient), max(CASE WHEN recipient = ? THEN 1 ELSE 0 END) FROM safety_events"
                + " WHERE sender = ? AND at > ?")) {
      ps.setString(1, r);
      ps.setString(2, s);
      ps.setLong(3, now.minus(Duration.ofHours(1)).toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) >= max && rs.getInt(2) != 1;
      }
    }
  }

  /**
   * The network group invitations are recorded under: not counted by {@link #unansweredFanOut}
   * (an invitee answers in the group, never to the inviter; groups have a rule of their own).
   */
  static final String GROUP_INVITATIONS = "parlor";

  /**
   * How many of the people a sender wrote to most recently the stranger rule looks at (the log
   * keeps one row per pair): twenty times its threshold, so that its cost per new conversation is
   * bounded (someone who writes to more people than that in a window is only ever under-counted).
   */
  static int scanned(int threshold) {
    return (int) Math.min(Integer.MAX_VALUE, 20L * threshold);
  }

  /** A share of the strangers written to that must answer, below which a sender is held: a fifth. */
  static final double MIN_ANSWERED = 0.2;

  /**
   * How many people {@code sender} wrote to within the current window when that is at least
   * {@code threshold} and fewer than a fifth of them wrote back (a spammer writing to strangers who
   * never answer), else 0. Recipients and answers are matched under the window's pseudonyms.
   *
   * @param since count only what happened since then (an operator released the sender), or null
   */
  public int unansweredFanOut(Connection c, PartyKey sender, Instant now, int threshold, Instant since)
      throws SQLException {
    String s = pseudonym(c, sender, now);
    long from = Math.max(now.minus(retention).toEpochMilli(), since == null ? 0 : since.toEpochMilli());
    int written;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT count(DISTINCT recipient) FROM (SELECT recipient FROM safety_events WHERE sender = ? AND at > ?"
            + " AND network <> ? ORDER BY at DESC LIMIT ?) recent")) {
      ps.setString(1, s);
      ps.setLong(2, from);
      ps.setString(3, GROUP_INVITATIONS);
      ps.setInt(4, scanned(threshold));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        written = rs.getInt(1);
      }
    }
    if (written < threshold) {
      return 0;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT count(DISTINCT e.recipient) FROM (SELECT sender, recipient FROM safety_events WHERE sender = ?"
            + " AND at > ? AND network <> ? ORDER BY at DESC LIMIT ?) e WHERE EXISTS (SELECT 1 FROM safety_events a"
            + " WHERE a.sender = e.recipient AND a.recipient = e.sender AND a.at > ?)")) {
      ps.setString(1, s);
      ps.setLong(2, from);
      ps.setString(3, GROUP_INVITATIONS);
      ps.setInt(4, scanned(threshold));
      ps.setLong(5, from);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) < written * MIN_ANSWERED ? written : 0;
      }
    }
  }

  /**
   * How stale a pair's time may be: a sender writing again within it leaves its row as it is (a
   * read, no write), so a conversation costs the log one write a minute, not one per message.
   * Every rule's window is an hour or longer, so a time a minute early changes no decision that
   * is not at its window's very edge.
   */
  static final long GRANULARITY_MS = 60_000;

  /**
   * Records that {@code sender} wrote to {@code recipient} on {@code network} at {@code now}: the
   * pair's row (under this window's pseudonyms) and the last time, nothing per message — not the
   * message's size, which no rule reads.
   */
  public void record(Connection c, NetworkId network, PartyKey sender, PartyKey recipient, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO safety_events(sender, recipient, network, at) VALUES (?,?,?,?)"
                + " ON CONFLICT(sender, recipient, network) DO UPDATE SET at = excluded.at"
                + " WHERE excluded.at - safety_events.at >= " + GRANULARITY_MS)) {
      ps.setString(1, pseudonym(c, sender, now));
      ps.setString(2, pseudonym(c, recipient, now));
      ps.setString(3, network.value());
      ps.setLong(4, now.toEpochMilli());
      io.parlor.core.store.Pipeline.update(ps); // with the unit's next statement (PostgreSQL)
    }
  }

  /** Deletes every event naming one of {@code parties}, under every key still held (forget me). */
  public static void forget(Connection c, java.util.List<PartyKey> parties) throws SQLException {
    java.util.List<byte[]> keys = new java.util.ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT key FROM pseudonym_keys")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          keys.add(rs.getBytes(1));
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM safety_events WHERE sender = ? OR recipient = ?")) {
      for (byte[] key : keys) {
        for (PartyKey p : parties) {
          String sealed = GraphSeal.of(c).tag(p.value());
          ps.setString(1, pseudonym(key, sealed));
          ps.setString(2, pseudonym(key, sealed));
          ps.addBatch();
        }
      }
      ps.executeBatch();
    }
  }

  /** Purges events older than the window and keys older than the previous window. */
  public int purge(Connection c, Instant now) throws SQLException {
    int n;
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM safety_events WHERE at < ?")) {
      ps.setLong(1, now.minus(retention).toEpochMilli());
      n = ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM pseudonym_keys WHERE epoch < ?")) {
      ps.setLong(1, epoch(now) - 1);
      n += ps.executeUpdate();
    }
    // a deleted key must not live on in this thread's keyed HMAC either
    MACS.remove();
    return n;
  }

  private long epoch(Instant now) {
    return now.toEpochMilli() / retention.toMillis();
  }

  private String pseudonym(Connection c, PartyKey party, Instant now) throws SQLException {
    // over the party's tag under the seal's keys: the window's key is in the database, the seal's
    // are not, so a copy of the database can neither test a guessed account against the
    // pseudonyms nor join them to the sealed rows
    return pseudonym(key(c, epoch(now)), GraphSeal.of(c).tag(party.value()));
  }

  private static String pseudonym(byte[] key, String sealedParty) {
    byte[] h = MACS.get().forKey(key).doFinal(sealedParty.getBytes(StandardCharsets.UTF_8));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(h, 16));
  }

  /**
   * One HMAC instance per thread, initialised again only when the key changes (once a window):
   * looking the algorithm up and keying it for every pseudonym showed in the writer's profile.
   */
  private static final ThreadLocal<KeyedMac> MACS = ThreadLocal.withInitial(KeyedMac::new);

  private static final class KeyedMac {
    private final Mac mac;
    private byte[] key;

    KeyedMac() {
      try {
        mac = Mac.getInstance("HmacSHA256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    Mac forKey(byte[] k) {
      if (k != key) {
        try {
          mac.init(new SecretKeySpec(k, "HmacSHA256"));
        } catch (InvalidKeyException e) {
          throw new IllegalStateException(e);
        }
        key = k;
      }
      return mac; // doFinal leaves it reset and keyed for the next use
    }
  }

  private synchronized byte[] key(Connection c, long epoch) throws SQLException {
    if (epoch == cachedEpoch) {
      return cachedKey;
    }
    long transaction = StoreCaches.transactions(c);
    byte[] found = load(c, epoch);
    if (found != null) {
      // committed (stored by another node, or by this one in a transaction that has ended and
      // was not rolled back, since the row is there): safe to keep. Not the key this transaction
      // stored, which a later unit of it (or this unit's second call) finds before the commit:
      // should the transaction roll back, the row is gone and the key must be stored again
      if (transaction >= 0 && (epoch != storedEpoch || transaction != storedIn)) {
        cachedKey = found;
        cachedEpoch = epoch;
      }
      return found;
    }
    byte[] key = new byte[32];
    random.nextBytes(key);
    // another node may store the window's key at the same moment: the first one stored is everyone's
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO pseudonym_keys(epoch, key) VALUES (?,?) ON CONFLICT (epoch) DO NOTHING")) {
      ps.setLong(1, epoch);
      ps.setBytes(2, key);
      if (ps.executeUpdate() == 0) {
        key = load(c, epoch);
      } else {
        storedEpoch = epoch;
        storedIn = transaction;
      }
    }
    return key; // not cached until a later transaction finds it committed
  }

  private static byte[] load(Connection c, long epoch) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT key FROM pseudonym_keys WHERE epoch = ?")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getBytes(1) : null;
      }
    }
  }
}
