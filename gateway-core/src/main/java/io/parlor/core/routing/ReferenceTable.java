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
 * The reference table (contract part 2, section 1), {@code message_refs}: one row per delivered
 * message, keyed by its gateway id, saying how the destination network knows it ({@code
 * dest_network}, {@code dest_id}: the network's own id, or null when the network knows it by the
 * gateway id) and how its sender's network does ({@code source_network}, {@code source_id}),
 * between which two parties ({@code viewer} received it, {@code represents} sent it — party
 * keys, as in the other reply metadata). Replies, reactions, edits, deletes, read receipts and
 * reply context are translated through it.
 *
 * <p>Written once per delivered message, so it is laid out for cheap appends: gateway ids are
 * time-ordered, and the only other indexes every row pays for are {@code at} (also
 * time-ordered). A sender's own message is found through its dedupe key, which names its gateway
 * id ({@link #sent}); a network's own ids and the per-viewer order only have (partial) indexes
 * where they exist: rows with a {@code dest_id}, and rows of single-identity networks ({@code
 * platform = 1}, the only ones that read by watermark or anchor a typing indicator).
 *
 * <p>Metadata: purged after {@code policy.metadataRetention} ({@link #purge}), deleted with
 * either party by forget-me. Called on a store connection; not thread-safe.
 */
public final class ReferenceTable {
  private static final String COLUMNS =
      "gid, dest_network, dest_id, viewer, represents, source_network, source_id, at, read_at";

  private ReferenceTable() {}

  /**
   * A delivered message.
   *
   * @param gid the gateway's id of the message
   * @param network the destination network
   * @param networkMessageId how the destination network knows the message (its own id, else {@code gid})
   * @param viewer who received it
   * @param represents who sent it
   * @param sourceNetwork the sender's network
   * @param sourceId how the sender's network knows it
   * @param at when it was delivered
   * @param readAt when a read receipt for it was forwarded, else null
   */
  public record Leg(
      String gid,
      NetworkId network,
      String networkMessageId,
      PartyKey viewer,
      PartyKey represents,
      NetworkId sourceNetwork,
      MessageId sourceId,
      Instant at,
      Instant readAt) {}

  /**
   * Records a delivered message (a later delivery of the same message replaces the earlier one).
   *
   * @param platform whether the source or the destination network shows one sender identity
   *     (its rows are indexed per viewer, for watermarks and typing anchors)
   */
  public static void record(Connection c, Leg leg, boolean platform) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT OR REPLACE INTO message_refs(gid, dest_network, dest_id, viewer, represents,"
                + " source_network, source_id, at, platform) VALUES (?,?,?,?,?,?,?,?,?)")) {
      ps.setString(1, leg.gid());
      ps.setString(2, leg.network().value());
      ps.setString(3, leg.networkMessageId().equals(leg.gid()) ? null : leg.networkMessageId());
      ps.setString(4, leg.viewer().value());
      ps.setString(5, leg.represents().value());
      ps.setString(6, leg.sourceNetwork().value());
      ps.setString(7, leg.sourceId().value());
      ps.setLong(8, leg.at().toEpochMilli());
      ps.setInt(9, platform ? 1 : 0);
      ps.executeUpdate();
    }
  }

  /** The message {@code network} knows as {@code id}, if {@code viewer} received it. */
  public static Optional<Leg> received(Connection c, NetworkId network, String id, PartyKey viewer)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM message_refs WHERE dest_network = ? AND dest_id = ? AND viewer = ?"
                + " ORDER BY at DESC LIMIT 1")) {
      ps.setString(1, network.value());
      ps.setString(2, id);
      ps.setString(3, viewer.value());
      Optional<Leg> own = first(ps);
      if (own.isPresent()) {
        return own;
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM message_refs WHERE gid = ? AND dest_id IS NULL AND dest_network = ? AND viewer = ?")) {
      ps.setString(1, id);
      ps.setString(2, network.value());
      ps.setString(3, viewer.value());
      return first(ps);
    }
  }

  /**
   * The delivered message {@code sender} sent as {@code sourceId} on {@code sourceNetwork} to
   * {@code viewer}, found through its dedupe key (kept as long as the reference, see {@link
   * io.parlor.core.store.MessageTable#purgeDedupe}).
   */
  public static Optional<Leg> sent(
      Connection c, NetworkId sourceNetwork, MessageId sourceId, PartyKey sender, PartyKey viewer) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM message_refs WHERE gid ="
                + " (SELECT gid FROM dedupe WHERE source_network = ? AND source_id = ?)"
                + " AND represents = ? AND viewer = ?")) {
      ps.setString(1, sourceNetwork.value());
      ps.setString(2, sourceId.value());
      ps.setString(3, sender.value());
      ps.setString(4, viewer.value());
      return first(ps);
    }
  }

  /**
   * Messages {@code viewer} received on {@code network} until {@code watermark} and not yet read
   * (at most 1000). Only single-identity networks read by watermark.
   */
  public static List<Leg> unreadUntil(Connection c, NetworkId network, PartyKey viewer, Instant watermark)
      throws SQLException {
    List<Leg> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM message_refs WHERE platform = 1 AND viewer = ? AND at <= ?"
                + " AND dest_network = ? AND read_at IS NULL ORDER BY at LIMIT 1000")) {
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

  /** Notes that a read receipt for the message was forwarded; false when it already was. */
  public static boolean markRead(Connection c, Leg leg, Instant at) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE message_refs SET read_at = ? WHERE gid = ? AND read_at IS NULL")) {
      ps.setLong(1, at.toEpochMilli());
      ps.setString(2, leg.gid());
      return ps.executeUpdate() > 0;
    }
  }

  /**
   * The latest message {@code author} sent to {@code viewer} from {@code network}, as that
   * network knows it (what a single-identity platform anchors a typing indicator to).
   */
  public static Optional<MessageId> latestFrom(Connection c, NetworkId network, PartyKey author, PartyKey viewer)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT source_id FROM message_refs WHERE platform = 1 AND viewer = ? AND represents = ?"
                + " AND source_network = ? ORDER BY at DESC LIMIT 1")) {
      ps.setString(1, viewer.value());
      ps.setString(2, author.value());
      ps.setString(3, network.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(MessageId.of(rs.getString(1))) : Optional.empty();
      }
    }
  }

  /** Forgets messages delivered before {@code before}. */
  public static int purge(Connection c, Instant before) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM message_refs WHERE at < ?")) {
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
    String gid = rs.getString(1);
    String destId = rs.getString(3);
    long read = rs.getLong(9);
    Instant readAt = rs.wasNull() ? null : Instant.ofEpochMilli(read);
    return new Leg(
        gid, NetworkId.of(rs.getString(2)), destId == null ? gid : destId, new PartyKey(rs.getString(4)),
        new PartyKey(rs.getString(5)), NetworkId.of(rs.getString(6)), MessageId.of(rs.getString(7)),
        Instant.ofEpochMilli(rs.getLong(8)), readAt);
  }
}
