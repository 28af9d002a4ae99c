package io.parlor.core.linking;

import io.parlor.core.store.GraphSeal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Session tokens: 256 random bits, handed out once, stored only as SHA-256, expiring, revocable.
 * Methods run on a store connection; thread-safe otherwise.
 */
public final class Sessions {
  private final SecureRandom random;
  private final Duration ttl;

  /** A new session's token (shown once) and expiry. */
  public record Issued(String token, Instant expiresAt) {}

  public Sessions(SecureRandom random, Duration ttl) {
    this.random = random;
    this.ttl = ttl;
  }

  public Issued create(Connection c, String personId, Instant now) throws SQLException {
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Instant expires = now.plus(ttl);
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO sessions(token_hash, person_id, expires_at) VALUES (?,?,?)")) {
      ps.setBytes(1, hash(token));
      ps.setString(2, GraphSeal.of(c).seal(personId));
      ps.setLong(3, expires.toEpochMilli());
      ps.executeUpdate();
    }
    return new Issued(token, expires);
  }

  /** The person of a live session. */
  public static Optional<String> personOf(Connection c, String token, Instant now) throws SQLException {
    if (token == null || token.isEmpty() || token.length() > 128) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT person_id FROM sessions WHERE token_hash = ? AND expires_at > ?")) {
      ps.setBytes(1, hash(token));
      ps.setLong(2, now.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(GraphSeal.of(c).open(rs.getString(1))) : Optional.empty();
      }
    }
  }

  public static void revoke(Connection c, String token) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE token_hash = ?")) {
      ps.setBytes(1, hash(token));
      ps.executeUpdate();
    }
  }

  public static int purge(Connection c, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE expires_at <= ?")) {
      ps.setLong(1, now.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  private static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
