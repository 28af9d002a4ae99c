package io.parlor.core.linking;

import io.parlor.core.store.GraphSeal;
import io.parlor.spi.envelope.Address;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One-time codes proving control of an account: 6 digits, valid 10 minutes, stored only as an
 * HMAC under a key that lives in this process's memory (a copy of the database cannot be brute
 * forced, and codes do not outlive a restart), compared in constant time; 5 wrong tries lock the
 * code, after which even the right code is refused. Methods run on a store connection; the key is
 * immutable, so the object is thread-safe.
 */
public final class OneTimeCodes {
  public static final Duration VALIDITY = Duration.ofMinutes(10);
  public static final int MAX_FAILURES = 5;

  /** What a code proves, once verified. */
  public record Purpose(String value) {
    public static final Purpose SIGN_IN = new Purpose("signin");

    public static Purpose link(String personId) {
      return new Purpose("link:" + personId);
    }
  }

  /** Result of a verification. */
  public enum Check {
    OK,
    WRONG,
    LOCKED,
    NONE
  }

  private final byte[] key = new byte[32];
  private final SecureRandom random;

  public OneTimeCodes(SecureRandom random) {
    this.random = random;
    random.nextBytes(key);
  }

  /**
   * Several nodes: the key that hashes codes is derived from {@code shared} (the store's master
   * key, the same on every node), so that a code sent by one node is checked by any other.
   */
  public OneTimeCodes(SecureRandom random, byte[] shared) {
    this.random = random;
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(shared, "HmacSHA256"));
      System.arraycopy(mac.doFinal("parlor one-time codes".getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0, key, 0, 32);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Creates (or replaces) the code for {@code address}; returns the plaintext to send. */
  public String issue(Connection c, Address address, Purpose purpose, Instant now) throws SQLException {
    String code = String.format("%06d", random.nextInt(1_000_000));
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO auth_codes(address, purpose, code_hash, failures, expires_at) VALUES (?,?,?,0,?)"
                + " ON CONFLICT(address) DO UPDATE SET purpose = excluded.purpose, code_hash = excluded.code_hash,"
                + " failures = 0, expires_at = excluded.expires_at")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(address.value()));
      ps.setString(2, g.seal(purpose.value()));
      ps.setBytes(3, hash(address, code));
      ps.setLong(4, now.plus(VALIDITY).toEpochMilli());
      ps.executeUpdate();
    }
    return code;
  }

  /** Checks {@code code} for {@code address} and {@code purpose}; a correct code is consumed. */
  public Check verify(Connection c, Address address, Purpose purpose, String code, Instant now) throws SQLException {
    byte[] stored;
    int failures;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT code_hash, failures FROM auth_codes WHERE address = ? AND purpose = ? AND expires_at > ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(address.value()));
      ps.setString(2, g.seal(purpose.value()));
      ps.setLong(3, now.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Check.NONE;
        }
        stored = rs.getBytes(1);
        failures = rs.getInt(2);
      }
    }
    if (failures >= MAX_FAILURES) {
      return Check.LOCKED;
    }
    boolean ok = code != null && code.matches("\\d{6}") && MessageDigest.isEqual(stored, hash(address, code));
    if (ok) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM auth_codes WHERE address = ?")) {
        ps.setString(1, GraphSeal.of(c).seal(address.value()));
        ps.executeUpdate();
      }
      return Check.OK;
    }
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE auth_codes SET failures = failures + 1 WHERE address = ?")) {
      ps.setString(1, GraphSeal.of(c).seal(address.value()));
      ps.executeUpdate();
    }
    return failures + 1 >= MAX_FAILURES ? Check.LOCKED : Check.WRONG;
  }

  /** Deletes expired codes. */
  public static int purge(Connection c, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM auth_codes WHERE expires_at <= ?")) {
      ps.setLong(1, now.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  private byte[] hash(Address address, String code) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(address.value().getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return mac.doFinal(code.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }
}
