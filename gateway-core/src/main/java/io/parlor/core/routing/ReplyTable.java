package io.parlor.core.routing;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where replies go on networks that cannot show a relay handle (see {@link
 * io.parlor.spi.SenderPresentation}): pool numbers (number masking) and each viewer's most recent
 * conversation; the network's ids of delivered messages (reply context) are {@link
 * ReferenceTable}'s. Called on a store connection; not thread-safe.
 */
public final class ReplyTable {
  private ReplyTable() {}

  /**
   * The pool number that stands for {@code represents} in front of {@code viewer} on {@code
   * network}: the one already assigned, else a free one, else (pool exhausted for this viewer) the
   * least recently used one, which then stops reaching its previous counterpart.
   */
  public static Address poolNumber(
      Connection c, NetworkId network, PartyKey viewer, PartyKey represents, List<Address> pool, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT number FROM pool_numbers WHERE network = ? AND viewer = ? AND represents = ?")) {
      ps.setString(1, network.value());
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      ps.setString(3, GraphSeal.of(c).seal(represents.value()));
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          Address n = Address.of(rs.getString(1));
          upsertPool(c, network, viewer, n, represents, now);
          return n;
        }
      }
    }
    List<String> usedOldestFirst = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT number FROM pool_numbers WHERE network = ? AND viewer = ? ORDER BY last_used_at")) {
      ps.setString(1, network.value());
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          usedOldestFirst.add(rs.getString(1));
        }
      }
    }
    Address chosen =
        pool.stream()
            .filter(a -> !usedOldestFirst.contains(a.value()))
            .findFirst()
            .orElseGet(
                () ->
                    usedOldestFirst.stream()
                        .map(Address::of)
                        .filter(pool::contains)
                        .findFirst()
                        .orElse(pool.get(0)));
    upsertPool(c, network, viewer, chosen, represents, now);
    return chosen;
  }

  private static void upsertPool(
      Connection c, NetworkId network, PartyKey viewer, Address number, PartyKey represents, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "DELETE FROM pool_numbers WHERE network = ? AND viewer = ? AND represents = ? AND number <> ?")) {
      ps.setString(1, network.value());
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      ps.setString(3, GraphSeal.of(c).seal(represents.value()));
      ps.setString(4, number.value());
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO pool_numbers(network, viewer, number, represents, last_used_at) VALUES (?,?,?,?,?)"
                + " ON CONFLICT(network, viewer, number) DO UPDATE SET represents = excluded.represents,"
                + " last_used_at = excluded.last_used_at")) {
      ps.setString(1, network.value());
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      ps.setString(3, number.value());
      ps.setString(4, GraphSeal.of(c).seal(represents.value()));
      ps.setLong(5, now.toEpochMilli());
      ps.executeUpdate();
    }
  }

  /**
   * Notes that {@code viewer} wrote to the pool number {@code number}: a number in use by either
   * side lives {@code policy.threadTtl} after its last use (kept to the hour).
   */
  public static void poolUsed(Connection c, NetworkId network, PartyKey viewer, Address number, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE pool_numbers SET last_used_at = ? WHERE network = ? AND viewer = ? AND number = ?"
                + " AND last_used_at < ?")) {
      ps.setLong(1, now.toEpochMilli());
      ps.setString(2, network.value());
      ps.setString(3, GraphSeal.of(c).seal(viewer.value()));
      ps.setString(4, number.value());
      ps.setLong(5, now.toEpochMilli() - 3_600_000L);
      ps.executeUpdate();
    }
  }

  /** Who the pool number {@code number} stands for in front of {@code viewer}. */
  public static Optional<PartyKey> poolTarget(Connection c, NetworkId network, PartyKey viewer, Address number)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT represents FROM pool_numbers WHERE network = ? AND viewer = ? AND number = ?")) {
      ps.setString(1, network.value());
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      ps.setString(3, number.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new PartyKey(GraphSeal.of(c).open(rs.getString(1)))) : Optional.empty();
      }
    }
  }

  public static void touchRecent(Connection c, NetworkId network, PartyKey viewer, PartyKey represents, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO recent_conversations(network, viewer, represents, at) VALUES (?,?,?,?)"
                + " ON CONFLICT(network, viewer) DO UPDATE SET represents = excluded.represents, at = excluded.at"
                // the same conversation again within a minute: nothing to write (its age only
                // matters for expiry, counted in days)
                + " WHERE recent_conversations.represents <> excluded.represents"
                + " OR excluded.at - recent_conversations.at >= 60000")) {
      ps.setString(1, network.value());
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      ps.setString(3, GraphSeal.of(c).seal(represents.value()));
      ps.setLong(4, now.toEpochMilli());
      ps.executeUpdate();
    }
  }

  /** The viewer's most recent conversation on any network (replies from another linked account). */
  public static Optional<PartyKey> recentAnywhere(Connection c, PartyKey viewer) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT represents FROM recent_conversations WHERE viewer = ? ORDER BY at DESC LIMIT 1")) {
      ps.setString(1, GraphSeal.of(c).seal(viewer.value()));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new PartyKey(GraphSeal.of(c).open(rs.getString(1)))) : Optional.empty();
      }
    }
  }

  public static Optional<PartyKey> recent(Connection c, NetworkId network, PartyKey viewer) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT represents FROM recent_conversations WHERE network = ? AND viewer = ?")) {
      ps.setString(1, network.value());
      ps.setString(2, GraphSeal.of(c).seal(viewer.value()));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new PartyKey(GraphSeal.of(c).open(rs.getString(1)))) : Optional.empty();
      }
    }
  }

  /** Forgets reply metadata older than {@code before}: references and recent conversations. */
  public static int purge(Connection c, Instant before) throws SQLException {
    int n = ReferenceTable.purge(c, before);
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM recent_conversations WHERE at < ?")) {
      ps.setLong(1, before.toEpochMilli());
      n += ps.executeUpdate();
    }
    return n;
  }
}
