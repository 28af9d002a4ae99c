package io.parlor.core.routing;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import io.parlor.core.store.MessageTable;
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
 * <p>Written for every delivered message, so a row costs no random page: gateway ids are
 * time-ordered ({@link MessageTable#gidRange}), the key appends and the purge is a key range; a
 * sender's own message is found through its dedupe key, whose {@code seen_at} is the time its
 * gateway id starts with ({@link #sent}). Only rows that need them pay for the two other
 * (partial) indexes: a network's own ids ({@code dest_id IS NOT NULL}) and the per-viewer order
 * of single-identity networks ({@code platform = 1}: read watermarks, typing anchors).
 *
 * <p>Metadata: purged {@code policy.metadataRetention} after the message was accepted ({@link
 * #purge}), deleted with either party by forget-me. Called on a store connection; not
 * thread-safe.
 */
public final class ReferenceTable {
  private static final String COLUMNS =
      "gid, dest_network, dest_id, viewer, represents, source_network, source_id, at, read_at, group_id";

  private ReferenceTable() {}

  /**
   * A delivered message.
   *
   * @param gid the key: the message's gateway id (for a message queued before gateway ids were
   *     time-ordered, one of its acceptance time, see {@link #keyOf})
   * @param network the destination network
   * @param networkMessageId how the destination network knows the message (its own id, else {@code gid})
   * @param viewer who received it
   * @param represents who sent it
   * @param sourceNetwork the sender's network
   * @param sourceId how the sender's network knows it
   * @param at when it was delivered
   * @param readAt when a read receipt for it was forwarded, else null
   * @param groupId the group whose message it was, else null
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
      Instant readAt,
      String groupId) {}

  /**
   * Records a delivered message (a later delivery of the same message replaces the earlier one).
   *
   * @param platform whether the source or the destination network shows one sender identity
   *     (its rows are indexed per viewer, for watermarks and typing anchors)
   * @param endsAt when its message's timer ends (the reference goes then), or null: the retention
   *     window alone
   * @param readTimer a read-started timer's seconds still to be counted from the read receipt, or
   *     null
   */
  public static void record(Connection c, Leg leg, boolean platform, Instant endsAt, Long readTimer)
      throws SQLException {
    if (forgotten(c, leg.viewer()) || forgotten(c, leg.represents())) {
      // a person forgotten while their message (or one to them) was on its way: its delivery's
      // bookkeeping, committed after forget-me, keeps nothing naming them
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO message_refs(gid, dest_network, dest_id, viewer, represents,"
                + " source_network, source_id, at, platform, group_id, ends_at, read_timer)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                + " ON CONFLICT(gid) DO UPDATE SET dest_network = excluded.dest_network, dest_id = excluded.dest_id,"
                + " viewer = excluded.viewer, represents = excluded.represents, source_network = excluded.source_network,"
                + " source_id = excluded.source_id, at = excluded.at, read_at = NULL, platform = excluded.platform,"
                + " group_id = excluded.group_id, ends_at = excluded.ends_at, read_timer = excluded.read_timer")) {
      ps.setString(1, leg.gid());
      ps.setString(2, leg.network().value());
      ps.setString(3, leg.networkMessageId().equals(leg.gid()) ? null : leg.networkMessageId());
      ps.setString(4, GraphSeal.of(c).seal(leg.viewer().value()));
      ps.setString(5, GraphSeal.of(c).seal(leg.represents().value()));
      ps.setString(6, leg.sourceNetwork().value());
      ps.setString(7, leg.sourceId().value());
      ps.setLong(8, leg.at().toEpochMilli());
      ps.setInt(9, platform ? 1 : 0);
      ps.setString(10, leg.groupId());
      if (endsAt == null) {
        ps.setNull(11, java.sql.Types.BIGINT);
      } else {
        ps.setLong(11, endsAt.toEpochMilli());
      }
      if (readTimer == null) {
        ps.setNull(12, java.sql.Types.BIGINT);
      } else {
        ps.setLong(12, readTimer);
      }
      io.parlor.core.store.Pipeline.update(ps); // with the unit's next statement (PostgreSQL)
    }
  }

  /**
   * How many legs of the message {@code leg} belongs to were read: its legs share its gateway
   * id's time prefix (one millisecond of the key) and its source.
   */
  public static int readsOf(Connection c, Leg leg) throws SQLException {
    String[] range = MessageTable.gidRange(MessageTable.mintedAt(leg.gid()));
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FROM message_refs WHERE gid >= ? AND gid < ? AND source_network = ?"
                + " AND source_id = ? AND read_at IS NOT NULL")) {
      ps.setString(1, range[0]);
      ps.setString(2, range[1]);
      ps.setString(3, leg.sourceNetwork().value());
      ps.setString(4, leg.sourceId().value());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
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
      ps.setString(3, GraphSeal.of(c).seal(viewer.value()));
      Optional<Leg> own = first(ps, GraphSeal.of(c));
      if (own.isPresent()) {
        return own;
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM message_refs WHERE gid = ? AND dest_id IS NULL AND dest_network = ? AND viewer = ?")) {
      ps.setString(1, id);
      ps.setString(2, network.value());
      ps.setString(3, GraphSeal.of(c).seal(viewer.value()));
      return first(ps, GraphSeal.of(c));
    }
  }

  /**
   * The delivered message {@code sender} sent as {@code sourceId} on {@code sourceNetwork} to
   * {@code viewer}, found through its dedupe key (kept as long as references are); {@code sender}
   * null: whoever sent it (a source id names one message of its network).
   */
  public static Optional<Leg> sent(
      Connection c, NetworkId sourceNetwork, MessageId sourceId, PartyKey sender, PartyKey viewer) throws SQLException {
    java.util.OptionalLong seen = MessageTable.seenAt(c, sourceNetwork, sourceId);
    if (seen.isEmpty()) {
      return Optional.empty();
    }
    String[] range = MessageTable.gidRange(seen.getAsLong());
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM message_refs WHERE gid >= ? AND gid < ? AND source_network = ?"
                + " AND source_id = ? AND viewer = ?" + (sender == null ? "" : " AND represents = ?"))) {
      ps.setString(1, range[0]);
      ps.setString(2, range[1]);
      ps.setString(3, sourceNetwork.value());
      ps.setString(4, sourceId.value());
      ps.setString(5, GraphSeal.of(c).seal(viewer.value()));
      if (sender != null) {
        ps.setString(6, GraphSeal.of(c).seal(sender.value()));
      }
      return first(ps, GraphSeal.of(c));
    }
  }

  /**
   * The key a delivered message's reference is recorded under: its gateway id — unless the id is
   * not time-ordered (minted before issue 10 and queued over the upgrade), then one of the time
   * its dedupe key says it was accepted (of {@code at} when that is gone), so that the key range
   * of {@link #sent} and of {@link #purge} still finds it.
   */
  public static String keyOf(Connection c, String gid, NetworkId sourceNetwork, MessageId sourceId, Instant at)
      throws SQLException {
    long ms = at.toEpochMilli();
    if (gid.length() == 34 && gid.startsWith("g-")) {
      try {
        long minted = MessageTable.mintedAt(gid);
        if (minted <= ms + DRIFT && minted >= ms - OLDEST) {
          return gid;
        }
      } catch (NumberFormatException e) {
        // not ours: a key of its own below
      }
    }
    long accepted = MessageTable.seenAt(c, sourceNetwork, sourceId).orElse(ms);
    byte[] b = new byte[10];
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(b);
    return MessageTable.gidPrefix(accepted) + java.util.HexFormat.of().formatHex(b);
  }

  /** How far a delivery may seem to precede its acceptance (clock steps). */
  private static final long DRIFT = java.time.Duration.ofDays(1).toMillis();

  /** Longer than any message waits (delivery.maxAge is at most 30 days). */
  private static final long OLDEST = java.time.Duration.ofDays(400).toMillis();

  private static boolean forgotten(Connection c, io.parlor.core.linking.PartyKey party) throws SQLException {
    return party.isPerson() && io.parlor.core.linking.PeopleTable.find(c, party.personId()).isEmpty();
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
      ps.setString(1, GraphSeal.of(c).seal(viewer.value()));
      ps.setLong(2, watermark.toEpochMilli());
      ps.setString(3, network.value());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(leg(rs, GraphSeal.of(c)));
        }
      }
    }
    return out;
  }

  /**
   * Notes that the message was read at {@code at}; false when it already was. A read-started timer
   * starts then: the reference ends that long after {@code timerFrom} (the read, never later than
   * now), unless it ends earlier anyway.
   */
  public static boolean markRead(Connection c, Leg leg, Instant at, Instant timerFrom) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE message_refs SET read_at = ?,"
                + " ends_at = CASE WHEN read_timer IS NULL OR ends_at <= ? + read_timer * 1000 THEN ends_at"
                + " ELSE ? + read_timer * 1000 END, read_timer = NULL"
                + " WHERE gid = ? AND read_at IS NULL")) {
      ps.setLong(1, at.toEpochMilli());
      ps.setLong(2, timerFrom.toEpochMilli());
      ps.setLong(3, timerFrom.toEpochMilli());
      ps.setString(4, leg.gid());
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
      ps.setString(1, GraphSeal.of(c).seal(viewer.value()));
      ps.setString(2, GraphSeal.of(c).seal(author.value()));
      ps.setString(3, network.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(MessageId.of(rs.getString(1))) : Optional.empty();
      }
    }
  }

  /** Forgets the references of messages accepted before {@code before} (a key range). */
  public static int purge(Connection c, Instant before) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM message_refs WHERE gid < ?")) {
      ps.setString(1, MessageTable.gidPrefix(before.toEpochMilli()));
      return ps.executeUpdate();
    }
  }

  /** Deletes the references whose message has disappeared by {@code now} (its timer ended). */
  public static int purgeEnded(Connection c, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM message_refs WHERE ends_at <= ?")) {
      ps.setLong(1, now.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  private static Optional<Leg> first(PreparedStatement ps, GraphSeal g) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(leg(rs, g)) : Optional.empty();
    }
  }

  private static Leg leg(ResultSet rs, GraphSeal g) throws SQLException {
    String gid = rs.getString(1);
    String destId = rs.getString(3);
    long read = rs.getLong(9);
    Instant readAt = rs.wasNull() ? null : Instant.ofEpochMilli(read);
    return new Leg(
        gid, NetworkId.of(rs.getString(2)), destId == null ? gid : destId, new PartyKey(g.open(rs.getString(4))),
        new PartyKey(g.open(rs.getString(5))), NetworkId.of(rs.getString(6)), MessageId.of(rs.getString(7)),
        Instant.ofEpochMilli(rs.getLong(8)), readAt, rs.getString(10));
  }
}
