package io.parlor.core.routing;

import io.parlor.core.linking.PartyKey;
import io.parlor.spi.envelope.MessageId;
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
 * The reference table (contract part 2, section 1): one row per delivered leg, saying how the
 * destination network knows the message ({@code network}, {@code network_message_id}: the
 * network's own id, else Parlor's id for the leg) and how its sender's network does ({@code
 * source_network}, {@code source_id}), between which two parties ({@code viewer} received it,
 * {@code represents} sent it — party keys, as in the other reply metadata). Replies, reactions,
 * edits, deletes, read receipts and reply context are translated through it.
 *
 * <p>Metadata: purged after {@code policy.metadataRetention} ({@link #purge}), deleted with
 * either party by forget-me. Called on a store connection; not thread-safe.
 */
public final class ReferenceTable {
  private static final String COLUMNS =
      "network, network_message_id, viewer, represents, source_network, source_id, at, read_at";

  private ReferenceTable() {}

  /**
   * A delivered leg.
   *
   * @param network the destination network
   * @param networkMessageId how the destination network knows the message
   * @param viewer who received it
   * @param represents who sent it
   * @param sourceNetwork the sender's network
   * @param sourceId how the sender's network knows it
   * @param at when it was delivered
   * @param readAt when a read receipt for it was forwarded, else null
   */
  public record Leg(
      NetworkId network,
      String networkMessageId,
      PartyKey viewer,
      PartyKey represents,
      NetworkId sourceNetwork,
      MessageId sourceId,
      Instant at,
      Instant readAt) {}

  /** Records a delivered leg (a later leg with the same network id replaces the earlier one). */
  public static void record(Connection c, Leg leg) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT OR REPLACE INTO delivery_refs(network, network_message_id, viewer, represents,"
                + " source_network, source_id, at) VALUES (?,?,?,?,?,?,?)")) {
      ps.setString(1, leg.network().value());
      ps.setString(2, leg.networkMessageId());
      ps.setString(3, leg.viewer().value());
      ps.setString(4, leg.represents().value());
      ps.setString(5, leg.sourceNetwork().value());
      ps.setString(6, leg.sourceId().value());
      ps.setLong(7, leg.at().toEpochMilli());
      ps.executeUpdate();
    }
  }

  /** The leg {@code network} knows as {@code id}, if {@code viewer} received it. */
  public static Optional<Leg> received(Connection c, NetworkId network, String id, PartyKey viewer)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM delivery_refs WHERE network = ? AND network_message_id = ? AND viewer = ?")) {
      ps.setString(1, network.value());
      ps.setString(2, id);
      ps.setString(3, viewer.value());
      return first(ps);
    }
  }

  /** The leg of the message {@code sender} sent as {@code sourceId} on {@code sourceNetwork} to {@code viewer}. */
  public static Optional<Leg> sent(
      Connection c, NetworkId sourceNetwork, MessageId sourceId, PartyKey sender, PartyKey viewer) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM delivery_refs WHERE source_network = ? AND source_id = ?"
                + " AND represents = ? AND viewer = ? ORDER BY at DESC LIMIT 1")) {
      ps.setString(1, sourceNetwork.value());
      ps.setString(2, sourceId.value());
      ps.setString(3, sender.value());
      ps.setString(4, viewer.value());
      return first(ps);
    }
  }

  /** Whether {@code sender} sent a delivered message as {@code sourceId} on {@code sourceNetwork}. */
  public static boolean sentBy(Connection c, NetworkId sourceNetwork, MessageId sourceId, PartyKey sender)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM delivery_refs WHERE source_network = ? AND source_id = ? AND represents = ? LIMIT 1")) {
      ps.setString(1, sourceNetwork.value());
      ps.setString(2, sourceId.value());
      ps.setString(3, sender.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Legs {@code viewer} received on {@code network} until {@code watermark} and not yet read (at most 1000). */
  public static List<Leg> unreadUntil(Connection c, NetworkId network, PartyKey viewer, Instant watermark)
      throws SQLException {
    List<Leg> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM delivery_refs WHERE viewer = ? AND at <= ? AND network = ?"
                + " AND read_at IS NULL ORDER BY at LIMIT 1000")) {
      ps.setString(1, viewer.value());
      ps.setLong(2, watermark.toEpochMilli());
      ps.setString(3, network.value());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(leg(rs));
        }
      }
    }
    return out;
  }

  /** Notes that a read receipt for the leg was forwarded; false when it already was. */
  public static boolean markRead(Connection c, Leg leg, Instant at) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE delivery_refs SET read_at = ? WHERE network = ? AND network_message_id = ? AND read_at IS NULL")) {
      ps.setLong(1, at.toEpochMilli());
      ps.setString(2, leg.network().value());
      ps.setString(3, leg.networkMessageId());
      return ps.executeUpdate() > 0;
    }
  }

  /**
   * The latest message {@code author} sent to {@code viewer} from {@code network}, as that
   * network knows it (what a platform anchors a typing indicator to).
   */
  public static Optional<MessageId> latestFrom(Connection c, NetworkId network, PartyKey author, PartyKey viewer)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT source_id FROM delivery_refs WHERE viewer = ? AND represents = ? AND source_network = ?"
                + " ORDER BY at DESC LIMIT 1")) {
      ps.setString(1, viewer.value());
      ps.setString(2, author.value());
      ps.setString(3, network.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(MessageId.of(rs.getString(1))) : Optional.empty();
      }
    }
  }

  /** Forgets legs delivered before {@code before}. */
  public static int purge(Connection c, Instant before) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM delivery_refs WHERE at < ?")) {
      ps.setLong(1, before.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  private static Optional<Leg> first(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(leg(rs)) : Optional.empty();
    }
  }

  private static Leg leg(ResultSet rs) throws SQLException {
    long read = rs.getLong(8);
    Instant readAt = rs.wasNull() ? null : Instant.ofEpochMilli(read);
    return new Leg(
        NetworkId.of(rs.getString(1)), rs.getString(2), new PartyKey(rs.getString(3)), new PartyKey(rs.getString(4)),
        NetworkId.of(rs.getString(5)), MessageId.of(rs.getString(6)), Instant.ofEpochMilli(rs.getLong(7)), readAt);
  }
}
