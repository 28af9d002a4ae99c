package io.parlor.core.store;

import io.parlor.core.linking.PartyKey;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import io.parlor.spi.json.EnvelopeJson;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** SQL for queued messages and dedupe keys. Called on a store connection; not thread-safe. */
public final class MessageTable {
  private static final String SELECT =
      "SELECT seq, gid, source_network, source_id, conversation, sender, recipient, envelope, deadline, refs, epoch"
          + " FROM messages";

  private MessageTable() {}

  /**
   * The lookup of a message's dedupe key (network, then id): a row when it was already accepted.
   * Ingress also asks it as a subquery of its other lookups ({@code ThreadTable.forMessage}).
   */
  public static final String SEEN = "SELECT 1 FROM dedupe WHERE source_network = ? AND source_id = ?";

  /** Whether (network, id) was already accepted. */
  public static boolean seen(Connection c, NetworkId network, MessageId id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SEEN)) {
      ps.setString(1, network.value());
      ps.setString(2, id.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Inserts the message and its dedupe key; returns it with its sequence number (see
   * {@link #insertLeg}). On PostgreSQL's writer both inserts go with the unit's next statement
   * ({@link Pipeline}); should another node have stored the same key meanwhile, the unique key
   * fails the unit there (SQL state 23505) and the caller's second try finds the message seen.
   */
  public static StoredMessage insert(Connection c, StoredMessage m, Instant now) throws SQLException {
    if (Dialect.of(c) == Dialect.POSTGRES) {
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO dedupe(source_network, source_id, seen_at) VALUES (?,?,?)")) {
        ps.setString(1, m.sourceNetwork().value());
        ps.setString(2, m.sourceId().value());
        ps.setLong(3, now.toEpochMilli());
        Pipeline.update(ps);
      }
    } else {
      remember(c, m.sourceNetwork(), m.sourceId(), now);
    }
    return insertLeg(c, m, now);
  }

  /**
   * The message's dedupe key was stored by another unit since this one checked ({@link #seen}):
   * another node accepted the same message at the same moment. The unit is rolled back and the
   * message answered as a duplicate.
   */
  public static final class AlreadySeenException extends SQLException {
    AlreadySeenException() {
      super("the message was accepted at the same moment by another node", "23505");
    }

    /** Whether {@code t}, or a cause of it, is one. */
    public static boolean in(Throwable t) {
      for (Throwable x = t; x != null; x = x.getCause()) {
        if (x instanceof AlreadySeenException) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Inserts the dedupe key of an accepted message (a group message's, once for all its legs).
   * Throws {@link AlreadySeenException} when the key is there already (when two nodes take the
   * same message at once, the second waits for the first's commit and finds its key).
   */
  public static void remember(Connection c, NetworkId network, MessageId id, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO dedupe(source_network, source_id, seen_at) VALUES (?,?,?) ON CONFLICT DO NOTHING")) {
      ps.setString(1, network.value());
      ps.setString(2, id.value());
      ps.setLong(3, now.toEpochMilli());
      if (ps.executeUpdate() == 0) {
        throw new AlreadySeenException();
      }
    }
  }

  private static final String INSERT = "INSERT INTO messages(gid, source_network, source_id, conversation, sender,"
      + " recipient, envelope, deadline, created_at, refs, epoch, lane) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";

  /**
   * Inserts one queued delivery without a dedupe key; returns it with its sequence number. On
   * PostgreSQL's writer the insert goes with the unit's next statement ({@link Pipeline}) and the
   * sequence number is not known ({@link StoredMessage#SEQ_UNKNOWN}): nothing needs it there, as
   * the nodes sharing the store read a lane's messages, with their numbers, from the store.
   */
  public static StoredMessage insertLeg(Connection c, StoredMessage m, Instant now) throws SQLException {
    if (Dialect.of(c) == Dialect.POSTGRES) {
      try (PreparedStatement ps = c.prepareStatement(INSERT)) {
        if (ps instanceof StatementCache.Deferrable) {
          bind(c, ps, m, now);
          Pipeline.update(ps);
          return withSeq(m, StoredMessage.SEQ_UNKNOWN);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(Rowids.returning(INSERT, "seq"))) {
      bind(c, ps, m, now);
      return withSeq(m, Rowids.insert(ps));
    }
  }

  private static StoredMessage withSeq(StoredMessage m, long seq) {
    return new StoredMessage(
        m.gid(), seq, m.sourceNetwork(), m.sourceId(), m.conversation(),
        m.sender(), m.recipient(), m.envelope(), m.deadline(), m.refs());
  }

  private static void bind(Connection c, PreparedStatement ps, StoredMessage m, Instant now) throws SQLException {
    ps.setString(12, lane(GraphSeal.of(c), m.conversation()));
    ps.setString(1, m.gid());
    ps.setString(2, m.sourceNetwork().value());
    ps.setString(3, m.sourceId().value());
    GraphSeal g = GraphSeal.of(c);
    ps.setString(4, g.seal(m.conversation()));
    ps.setString(5, g.seal(m.sender().value()));
    ps.setString(6, g.seal(m.recipient().value()));
    byte[] envelope = EnvelopeJson.writeStored(m.envelope());
    String refs = m.refs().toJson();
    PayloadCipher cipher = cipher(c);
    if (cipher != null) {
      // sealed under the epoch's key: the row, and every copy the database keeps of it, is
      // ciphertext that nobody can open once the key is shredded
      PayloadCipher.Sealed sealed = cipher.seal(c, m.gid(), envelope, refs, now);
      ps.setBytes(7, sealed.bytes());
      ps.setNull(10, java.sql.Types.VARCHAR);
      ps.setLong(11, sealed.epoch());
    } else {
      ps.setBytes(7, envelope);
      ps.setString(10, refs);
      ps.setNull(11, java.sql.Types.BIGINT);
    }
    ps.setLong(8, m.deadline().toEpochMilli());
    ps.setLong(9, now.toEpochMilli());
  }

  /**
   * When (network, id) was accepted, if its dedupe key is still kept: the time its gateway id
   * starts with ({@link #gidRange}).
   */
  public static java.util.OptionalLong seenAt(Connection c, NetworkId network, MessageId id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT seen_at FROM dedupe WHERE source_network = ? AND source_id = ?")) {
      ps.setString(1, network.value());
      ps.setString(2, id.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? java.util.OptionalLong.of(rs.getLong(1)) : java.util.OptionalLong.empty();
      }
    }
  }

  /**
   * The gateway ids minted at {@code epochMillis}: {@code [from, to)}. A gateway id is "g-", 12
   * hex digits of the epoch milliseconds it was accepted at (its dedupe key's {@code seen_at}),
   * then 20 random hex digits; so ids sort by time, and the keys they index append.
   */
  public static String[] gidRange(long epochMillis) {
    return new String[] {gidPrefix(epochMillis), gidPrefix(epochMillis + 1)};
  }

  /**
   * The epoch milliseconds a time-ordered gateway id was minted at (see {@link #gidRange}).
   *
   * @throws NumberFormatException when {@code gid} does not carry a time
   */
  public static long mintedAt(String gid) {
    return Long.parseLong(gid.substring(2, 14), 16);
  }

  /** "g-" and the 12 hex digits of {@code epochMillis}: every gateway id minted before it sorts below it. */
  public static String gidPrefix(long epochMillis) {
    return "g-" + java.util.HexFormat.of().toHexDigits(epochMillis).substring(4);
  }

  /** The messages (network, id) still queued — one, or a group message's legs not yet delivered — found through its dedupe key. */
  public static List<StoredMessage> queued(Connection c, NetworkId network, MessageId id)
      throws SQLException {
    java.util.OptionalLong seen = seenAt(c, network, id);
    if (seen.isEmpty()) {
      return List.of();
    }
    String[] range = gidRange(seen.getAsLong());
    try (PreparedStatement ps =
        c.prepareStatement(SELECT + " WHERE gid >= ? AND gid < ? AND source_network = ? AND source_id = ?")) {
      ps.setString(1, range[0]);
      ps.setString(2, range[1]);
      ps.setString(3, network.value());
      ps.setString(4, id.value());
      List<StoredMessage> out = new ArrayList<>();
      readRows(c, ps, out);
      return out;
    }
  }

  /** Deletes a message; false when it was already gone. */
  public static boolean delete(Connection c, String gid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM messages WHERE gid = ?")) {
      ps.setString(1, gid);
      return ps.executeUpdate() > 0;
    }
  }

  /**
   * Deletes queued message {@code gid} that a delete for everyone takes back before delivery.
   * Throws {@link LeftQueueException} when the row was gone by then: its delivery ended at the same
   * moment on another writer (another node, or this node's bookkeeping writer), whose commit this
   * waited for — the unit is rolled back and run again, and then finds the message delivered.
   */
  public static void takeBack(Connection c, String gid) throws SQLException {
    if (!delete(c, gid)) {
      throw new LeftQueueException();
    }
  }

  /** See {@link #takeBack}: SQL state 40001, as a serialization failure, to be run again. */
  public static final class LeftQueueException extends SQLException {
    LeftQueueException() {
      super("the message taken back left the queue at the same moment", "40001");
    }
  }

  /** The channel on which PostgreSQL tells every node that a lane has a new message. */
  public static final String LANE_CHANNEL = "parlor_lane";

  /**
   * A conversation's lane: the unit of delivery leases. A keyed hash ({@link GraphSeal#lane}), so
   * that the leases table and the notifications between nodes name no one, and a copy of the
   * database cannot test whether two accounts are talking.
   */
  public static String lane(GraphSeal seal, String conversation) {
    return seal.lane(conversation);
  }

  /**
   * PostgreSQL: tells the nodes, when this transaction commits, that {@code lane} has a new
   * message (the node holding the lane's lease reads it at once). A rolled-back unit tells nobody.
   */
  public static void notifyLane(Connection c, String lane) throws SQLException {
    if (Dialect.of(c) != Dialect.POSTGRES) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify('" + LANE_CHANNEL + "', ?)")) {
      ps.setString(1, lane);
      ps.executeQuery().close();
    }
  }

  /** Most ids {@link #ofLane} sends to PostgreSQL with its query; with more, it lists the lane first. */
  static final int MAX_KNOWN_SENT = 1_000;

  /**
   * Queued messages of {@code lane} not in {@code known}, oldest first, at most {@code limit}.
   * On PostgreSQL the known ids go with the query (one round trip). Otherwise, or with more than
   * {@link #MAX_KNOWN_SENT} of them, the lane's ids are listed first (small rows) and whole rows
   * are read only from the oldest one not known — the ones already held are usually the lane's
   * oldest, so a backlogged lane read again for its newest message does not send its whole
   * backlog again.
   */
  public static List<StoredMessage> ofLane(Connection c, String lane, java.util.Set<String> known, int limit)
      throws SQLException {
    if (Dialect.of(c) == Dialect.POSTGRES && known.size() <= MAX_KNOWN_SENT) {
      // one round trip rather than two: the ids not to read go with the query
      List<StoredMessage> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE lane = ? AND gid <> ALL(?) ORDER BY seq LIMIT ?")) {
        ps.setString(1, lane);
        ps.setArray(2, c.createArrayOf("text", known.toArray()));
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(readRow(c, rs));
          }
        }
      }
      return out;
    }
    long from = -1;
    try (PreparedStatement ps = c.prepareStatement("SELECT seq, gid FROM messages WHERE lane = ? ORDER BY seq")) {
      ps.setString(1, lane);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!known.contains(rs.getString(2))) {
            from = rs.getLong(1);
            break;
          }
        }
      }
    }
    List<StoredMessage> out = new ArrayList<>();
    if (from < 0) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE lane = ? AND seq >= ? ORDER BY seq")) {
      ps.setString(1, lane);
      ps.setLong(2, from);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next() && out.size() < limit) {
          if (!known.contains(rs.getString(2))) {
            out.add(readRow(c, rs));
          }
        }
      }
    }
    return out;
  }

  /**
   * {@link #ofLane} for several lanes at once: each lane's queued messages not in {@code known},
   * at most {@code limit} of each lane, oldest first. On PostgreSQL one round trip for all the
   * lanes (each read by its own index range); otherwise, or with more than
   * {@link #MAX_KNOWN_SENT} known ids, one {@link #ofLane} per lane.
   */
  public static List<StoredMessage> ofLanes(
      Connection c, java.util.Collection<String> lanes, java.util.Set<String> known, int limit) throws SQLException {
    if (lanes.size() == 1) {
      return ofLane(c, lanes.iterator().next(), known, limit);
    }
    List<StoredMessage> out = new ArrayList<>();
    if (Dialect.of(c) == Dialect.POSTGRES && known.size() <= MAX_KNOWN_SENT) {
      try (PreparedStatement ps = c.prepareStatement("SELECT x.* FROM unnest(?::text[]) AS l(lane) CROSS JOIN LATERAL ("
          + SELECT + " WHERE lane = l.lane AND gid <> ALL(?) ORDER BY seq LIMIT ?) x ORDER BY x.seq")) {
        ps.setArray(1, c.createArrayOf("text", lanes.toArray()));
        ps.setArray(2, c.createArrayOf("text", known.toArray()));
        ps.setInt(3, limit);
        readRows(c, ps, out);
      }
      return out;
    }
    for (String lane : lanes) {
      out.addAll(ofLane(c, lane, known, limit));
    }
    out.sort(java.util.Comparator.comparingLong(StoredMessage::seq));
    return out;
  }

  /** Queued messages with {@code afterSeq < seq <= upToSeq}, oldest first, at most {@code limit}. */
  public static List<StoredMessage> page(Connection c, long afterSeq, long upToSeq, int limit) throws SQLException {
    List<StoredMessage> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(SELECT + " WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?")) {
      ps.setLong(1, afterSeq);
      ps.setLong(2, upToSeq);
      ps.setInt(3, limit);
      readRows(c, ps, out);
    }
    return out;
  }

  /** Queued messages addressed to {@code recipient}. */
  public static List<StoredMessage> forRecipient(Connection c, PartyKey recipient) throws SQLException {
    List<StoredMessage> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE recipient = ? ORDER BY seq")) {
      ps.setString(1, GraphSeal.of(c).seal(recipient.value()));
      readRows(c, ps, out);
    }
    return out;
  }

  /** The store's payload cipher, or null when payloads are stored as they are. */
  private static PayloadCipher cipher(Connection c) {
    StoreCaches caches = StoreCaches.of(c);
    return caches == null ? null : caches.find(PayloadCipher.class);
  }

  private static void readRows(Connection c, PreparedStatement ps, List<StoredMessage> out) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(readRow(c, rs));
      }
    }
  }

  private static StoredMessage readRow(Connection c, ResultSet rs) throws SQLException {
    byte[] envelope = rs.getBytes(8);
    String refs = rs.getString(10);
    long epoch = rs.getLong(11);
    if (!rs.wasNull()) {
      PayloadCipher cipher = cipher(c);
      if (cipher == null) {
        throw new SQLException("message " + rs.getString(2) + " is sealed, and store.encryptionKey is not set");
      }
      PayloadCipher.Opened opened = cipher.open(c, rs.getString(2), epoch, envelope);
      envelope = opened.envelope();
      refs = opened.refs();
    }
    // rows written before envelope v2 carry no "v" and no refs: read as version 1
    Envelope e = EnvelopeJson.readStored(envelope);
    GraphSeal g = GraphSeal.of(c);
    return new StoredMessage(
        rs.getString(2), rs.getLong(1), NetworkId.of(rs.getString(3)),
        MessageId.of(rs.getString(4)), g.open(rs.getString(5)), new PartyKey(g.open(rs.getString(6))),
        new PartyKey(g.open(rs.getString(7))), e, Instant.ofEpochMilli(rs.getLong(9)),
        MessageRefs.fromJson(refs));
  }

  /** The highest seq queued (0 when none). */
  public static long maxSeq(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(max(seq), 0) FROM messages")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Queued messages with {@code afterSeq < seq <= upToSeq} whose deadline is not after {@code now}, oldest first. */
  public static List<StoredMessage> expiredAfter(Connection c, long afterSeq, long upToSeq, Instant now, int limit)
      throws SQLException {
    List<StoredMessage> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(SELECT + " WHERE seq > ? AND seq <= ? AND deadline <= ? ORDER BY seq LIMIT ?")) {
      ps.setLong(1, afterSeq);
      ps.setLong(2, upToSeq);
      ps.setLong(3, now.toEpochMilli());
      ps.setInt(4, limit);
      readRows(c, ps, out);
    }
    return out;
  }

  public static long count(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM messages")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Forgets dedupe keys older than {@code before}, except those of messages still queued (a
   * redelivery of a message that waits longer than the window stays a duplicate, and an edit or
   * delete still finds it). The caller keeps keys as long as references (an edit, delete or
   * reply names a delivered message by its sender's id: the key leads to the reference).
   */
  public static int purgeDedupe(Connection c, Instant before) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "DELETE FROM dedupe WHERE seen_at < ? AND NOT EXISTS (SELECT 1 FROM messages m"
                + " WHERE m.gid >= 'g-' || " + Dialect.of(c).hex12("dedupe.seen_at")
                + " AND m.gid < 'g-' || " + Dialect.of(c).hex12("dedupe.seen_at + 1")
                + " AND m.source_network = dedupe.source_network AND m.source_id = dedupe.source_id)")) {
      ps.setLong(1, before.toEpochMilli());
      return ps.executeUpdate();
    }
  }
}
