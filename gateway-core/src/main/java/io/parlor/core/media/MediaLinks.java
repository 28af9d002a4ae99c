package io.parlor.core.media;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.NetworkId;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Capability URLs for media held by a network ({@code GET /media/{token}}, contract part 2,
 * section 2): a token of 128 random bits that names nothing, minted when a message is delivered
 * and valid for {@code media.linkTtl} from then. The store keeps only the token's SHA-256 and
 * where the bytes are (the source network and its reference), never the bytes. Rows are purged
 * once expired and deleted with their sender by forget-me. Thread-safe; the SQL methods run on a
 * store connection.
 */
public final class MediaLinks {
  /** Tokens: 22 base64url characters (16 bytes). */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{22}");

  private final java.util.function.Supplier<URI> publicUrl;
  private final Duration ttl;
  private final SecureRandom random;
  private final Clock clock;

  /**
   * @param publicUrl the node's URL as recipients' networks reach it ({@code http.publicUrl}; known
   *     once the server is bound)
   * @param ttl how long a link works after delivery
   */
  public MediaLinks(java.util.function.Supplier<URI> publicUrl, Duration ttl, SecureRandom random, Clock clock) {
    this.publicUrl = publicUrl;
    this.ttl = ttl;
    this.random = random;
    this.clock = clock;
  }

  /** Where held media is: the source network and its adapter's reference, what we know of it. */
  public record Link(NetworkId network, String source, String mimeType, Long size, String sha256, Instant expiresAt) {
    @Override
    public String toString() {
      return "Link[network=" + network + "]";
    }
  }

  /** Mints a link for {@code media} (held by {@code network}) and returns its URL. */
  public String mint(Connection c, NetworkId network, Content.Media media, PartyKey sender) throws SQLException {
    byte[] t = new byte[16];
    random.nextBytes(t);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(t);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO media_links(token_hash, network, source, mime_type, size, sha256, sender, expires_at)"
                + " VALUES (?,?,?,?,?,?,?,?)")) {
      ps.setBytes(1, hash(token));
      ps.setString(2, network.value());
      ps.setString(3, media.source());
      ps.setString(4, media.mimeType());
      if (media.byteSize() == null) {
        ps.setNull(5, java.sql.Types.INTEGER);
      } else {
        ps.setLong(5, media.byteSize());
      }
      ps.setString(6, media.sha256());
      ps.setString(7, GraphSeal.of(c).seal(sender.value()));
      ps.setLong(8, clock.instant().plus(ttl).toEpochMilli());
      ps.executeUpdate();
    }
    String b = publicUrl.get().toString();
    return (b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/media/" + token;
  }

  /** The link of {@code token} if it exists and has not expired (one answer for both). */
  public static Optional<Link> find(Connection c, String token, Instant now) throws SQLException {
    if (token == null || !TOKEN.matcher(token).matches()) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT network, source, mime_type, size, sha256, expires_at FROM media_links WHERE token_hash = ?")) {
      ps.setBytes(1, hash(token));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getLong(6) <= now.toEpochMilli()) {
          return Optional.empty();
        }
        long size = rs.getLong(4);
        Long sizeOrNull = rs.wasNull() ? null : size;
        return Optional.of(
            new Link(NetworkId.of(rs.getString(1)), rs.getString(2), rs.getString(3), sizeOrNull, rs.getString(5),
                Instant.ofEpochMilli(rs.getLong(6))));
      }
    }
  }

  /** Forgets expired links. */
  public static int purge(Connection c, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM media_links WHERE expires_at <= ?")) {
      ps.setLong(1, now.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  /** Forgets every link to media {@code sender} sent (forget-me). */
  public static int forget(Connection c, PartyKey sender) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM media_links WHERE sender = ?")) {
      ps.setString(1, GraphSeal.of(c).seal(sender.value()));
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
