package io.parlor.core.routing;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import io.parlor.spi.envelope.Address;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * Relay handles ({@code ~xxxx}): one per (represented party, viewer) pair. A message the viewer
 * sends to the handle reaches the represented party; nobody else can use it. Called on a store
 * connection; not thread-safe.
 */
public final class RelayTable {
  private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();
  private static final int LENGTH = 10; // 50 random bits
  private static final long TOUCH_GRANULARITY_MS = 3_600_000L;

  /** A relay handle's two ends. */
  public record Relay(Address handle, PartyKey represents, PartyKey viewer) {}

  private final SecureRandom random;

  public RelayTable(SecureRandom random) {
    this.random = random;
  }

  public Optional<Relay> find(Connection c, Address handle) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT represents, viewer FROM relay_handles WHERE handle = ?")) {
      ps.setString(1, handle.value());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Relay(handle, new PartyKey(GraphSeal.of(c).open(rs.getString(1))), new PartyKey(GraphSeal.of(c).open(rs.getString(2)))));
      }
    }
  }

  /** Whether {@code represents} has a handle shown to {@code viewer}, i.e. wrote to them first. */
  public boolean exists(Connection c, PartyKey represents, PartyKey viewer) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM relay_handles WHERE represents = ? AND viewer = ?")) {
      ps.setString(1, GraphSeal.of(c).seal(represents.value()));
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** A handle already shown to its viewer, with when it was last used (epoch milliseconds). */
  public record Shown(Address handle, long lastUsedAt) {}

  /** The handle {@code represents} already has in front of {@code viewer}, if any. */
  public Optional<Shown> shown(Connection c, PartyKey represents, PartyKey viewer) throws SQLException {
    return find(c, represents, viewer);
  }

  /** As {@link #shown}. */
  static Optional<Shown> find(Connection c, PartyKey represents, PartyKey viewer) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT handle, last_used_at FROM relay_handles WHERE represents = ? AND viewer = ?")) {
      ps.setString(1, GraphSeal.of(c).seal(represents.value()));
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new Shown(Address.of(rs.getString(1)), rs.getLong(2))) : Optional.empty();
      }
    }
  }

  /**
   * The handle that stands for {@code represents} in front of {@code viewer}: {@code shown}, which
   * the caller looked up for this pair in the same unit of work, or a newly minted one.
   */
  public Address handleFor(Connection c, PartyKey represents, PartyKey viewer, Optional<Shown> shown, Instant now)
      throws SQLException {
    if (shown.isPresent()) {
      // last use is kept to the hour: enough to expire idle handles, one write less per message
      if (now.toEpochMilli() - shown.get().lastUsedAt() > TOUCH_GRANULARITY_MS) {
        touch(c, shown.get().handle(), now);
      }
      return shown.get().handle();
    }
    while (true) {
      Address h = Address.of("~" + randomString());
      try (PreparedStatement ps =
          c.prepareStatement(
              // only a clash of random handles is retried; a pair that already has a handle (a
              // caller passing a stale `shown`) fails on UNIQUE(represents, viewer) instead of looping
              "INSERT INTO relay_handles(handle, represents, viewer, created_at, last_used_at)"
                  + " VALUES (?,?,?,?,?) ON CONFLICT(handle) DO NOTHING")) {
        ps.setString(1, h.value());
        ps.setString(2, GraphSeal.of(c).seal(represents.value()));
        ps.setString(3, GraphSeal.of(c).seal(viewer.value()));
        ps.setLong(4, now.toEpochMilli());
        ps.setLong(5, now.toEpochMilli());
        if (ps.executeUpdate() == 1) {
          return h;
        }
      }
    }
  }

  /**
   * Notes that the viewer of {@code handle} wrote to it: a handle in use by either side lives
   * {@code policy.threadTtl} after its last use (kept to the hour, like {@link #handleFor}).
   */
  public static void used(Connection c, Address handle, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE relay_handles SET last_used_at = ? WHERE handle = ? AND last_used_at < ?")) {
      ps.setLong(1, now.toEpochMilli());
      ps.setString(2, handle.value());
      ps.setLong(3, now.toEpochMilli() - TOUCH_GRANULARITY_MS);
      ps.executeUpdate();
    }
  }

  private static void touch(Connection c, Address handle, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE relay_handles SET last_used_at = ? WHERE handle = ?")) {
      ps.setLong(1, now.toEpochMilli());
      ps.setString(2, handle.value());
      ps.executeUpdate();
    }
  }

  private String randomString() {
    char[] out = new char[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
      out[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    return new String(out);
  }
}
