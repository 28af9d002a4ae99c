package io.parlor.core.routing;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * Thread records: one per pair of parties (either direction), remembering only whether the thread
 * has carried end-to-end encrypted content (then it never falls back to a plaintext leg unless both
 * sides allow it), the disappearing-messages timer each side set, and when it was last used
 * (records expire after inactivity). Not thread-safe (store connection).
 */
public final class ThreadTable {
  private static final long TOUCH_GRANULARITY_MS = 3_600_000L;

  private ThreadTable() {}

  /** The undirected key of the thread between {@code a} and {@code b}. */
  public static String key(PartyKey a, PartyKey b) {
    // a space cannot occur in a party key (addresses and person ids have no whitespace)
    return a.value().compareTo(b.value()) <= 0 ? a.value() + " " + b.value() : b.value() + " " + a.value();
  }

  /**
   * A thread's key as the store keeps it: each party key sealed ({@link
   * GraphSeal}), in the order of the clear keys, so that a party's threads are
   * still found by the sealed party alone (forget-me).
   */
  static String stored(Connection c, String key) {
    GraphSeal g = GraphSeal.of(c);
    int space = key.indexOf(' ');
    return g.seal(key.substring(0, space)) + " " + g.seal(key.substring(space + 1));
  }

  /**
   * Whether message {@code gid} is still queued and, if so, the {@link #e2ee} flag of thread
   * {@code key}: the two questions a delivery attempt on a shared store asks, in one statement.
   * Empty when the message is no longer queued.
   */
  private static java.util.Optional<Boolean> e2eeIfQueued(Connection c, String gid, String key) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT (SELECT e2ee FROM threads WHERE key = ?) FROM messages WHERE gid = ?")) {
      ps.setString(1, stored(c, key));
      ps.setString(2, gid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? java.util.Optional.of(rs.getInt(1) != 0) : java.util.Optional.empty();
      }
    }
  }

  /**
   * {@link #e2eeIfQueued} for several delivery attempts at once ({@code gids[i]} in thread
   * {@code keys[i]}): the flag by gid, for the gids still queued only. On PostgreSQL one statement.
   */
  public static java.util.Map<String, Boolean> e2eeIfQueued(Connection c, List<String> gids, List<String> keys)
      throws SQLException {
    java.util.Map<String, Boolean> out = new java.util.HashMap<>();
    if (gids.size() > 1 && io.parlor.core.store.Dialect.of(c) == io.parlor.core.store.Dialect.POSTGRES) {
      String[] stored = new String[keys.size()];
      for (int i = 0; i < stored.length; i++) {
        stored[i] = stored(c, keys.get(i));
      }
      // two index lookups by = ANY (a join with unnest() was planned as a scan of the queue)
      java.util.Set<String> queued = new java.util.HashSet<>();
      java.util.Set<String> e2ee = new java.util.HashSet<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT 0, gid FROM messages WHERE gid = ANY(?)"
          + " UNION ALL SELECT 1, key FROM threads WHERE key = ANY(?) AND e2ee <> 0")) {
        ps.setArray(1, c.createArrayOf("text", gids.toArray()));
        ps.setArray(2, c.createArrayOf("text", stored));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            (rs.getInt(1) == 0 ? queued : e2ee).add(rs.getString(2));
          }
        }
      }
      for (int i = 0; i < gids.size(); i++) {
        if (queued.contains(gids.get(i))) {
          out.put(gids.get(i), e2ee.contains(stored[i]));
        }
      }
      return out;
    }
    for (int i = 0; i < gids.size(); i++) {
      java.util.Optional<Boolean> e2ee = e2eeIfQueued(c, gids.get(i), keys.get(i));
      if (e2ee.isPresent()) {
        out.put(gids.get(i), e2ee.get());
      }
    }
    return out;
  }

  /** Whether the thread {@code key} (see {@link #key}) has carried end-to-end encrypted messages. */
  public static boolean e2ee(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT e2ee FROM threads WHERE key = ?")) {
      ps.setString(1, stored(c, key));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getInt(1) != 0;
      }
    }
  }

  /**
   * The timer each side of a thread set, in seconds: null when that side set none (their default
   * applies), 0 when they turned it off; {@code threadDefault} the operator's default when the
   * thread was made (null: none); {@code exists} false when there is no thread yet.
   */
  public record Timers(Long first, Long second, Long threadDefault, boolean exists, boolean e2ee) {
    /** No thread yet: a new one starts with the operator's {@code defaultSeconds} (null: none). */
    public static Timers fresh(Long defaultSeconds) {
      return new Timers(null, null, defaultSeconds, false, false);
    }

    /** {@code party}'s setting in the thread between {@code a} and {@code b}. */
    public Long of(PartyKey party, PartyKey a, PartyKey b) {
      return isFirst(party, a, b) ? first : second;
    }
  }

  private static boolean isFirst(PartyKey party, PartyKey a, PartyKey b) {
    PartyKey first = a.value().compareTo(b.value()) <= 0 ? a : b;
    return party.equals(first);
  }

  /**
   * The timers the two sides set, or {@link Timers#fresh} when there is no thread yet; with the
   * thread's {@link #e2ee} flag, read in the same statement (each is a round trip on PostgreSQL).
   */
  public static Timers timers(Connection c, PartyKey a, PartyKey b, Long defaultSeconds) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT timer_first, timer_second, timer_default, e2ee FROM threads WHERE key = ?")) {
      ps.setString(1, stored(c, key(a, b)));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? timers(rs) : Timers.fresh(defaultSeconds);
      }
    }
  }

  /** A thread's row: its first four columns are {@link #timers}'s. */
  private static Timers timers(ResultSet rs) throws SQLException {
    long first = rs.getLong(1);
    Long f = rs.wasNull() ? null : first;
    long second = rs.getLong(2);
    Long s = rs.wasNull() ? null : second;
    long dflt = rs.getLong(3);
    Long d = rs.wasNull() ? null : dflt;
    return new Timers(f, s, d, true, rs.getInt(4) != 0);
  }

  /**
   * What a message's acceptance reads: whether its dedupe key is stored ({@code seen}), its
   * thread, and the handle its sender already has in front of its recipient.
   */
  public record Lookups(boolean seen, Timers thread, java.util.Optional<RelayTable.Shown> shown, long threadUsedAt) {
    /**
     * Whether {@link #touch} of this thread for a message at {@code now} would change nothing: the
     * thread exists, is marked encrypted if {@code encrypted}, and was last used within the
     * touch's granularity (exactly what the upsert's own condition leaves alone). The thread's
     * flag only ever goes up and a unit of work does not delete threads, so what was read at the
     * start of the unit still holds when it would touch.
     */
    public boolean touchChangesNothing(boolean encrypted, Instant now) {
      return thread.exists() && (!encrypted || thread.e2ee())
          && now.toEpochMilli() - threadUsedAt <= TOUCH_GRANULARITY_MS;
    }
  }

  /**
   * The reads a message's acceptance makes, in one statement (one round trip on PostgreSQL):
   * whether message {@code id} from {@code source} was accepted already (its dedupe key, as
   * {@code MessageTable.seen}), {@link #timers} of the thread of {@code sender} and
   * {@code recipient}, and the relay handle that already stands for the sender in front of the
   * recipient ({@link RelayTable#shown}).
   *
   * <p>On SQLite, three statements instead: in the node the joined one took 35–50 µs per
   * message, the three together about 10 µs (both timed on the writer under {@code
   * bench/vs-nginx}'s load; docs/benchmarks.md). In a stand-alone test on a copy of the
   * node's database the joined one took 7 µs; why it costs more in the node is not found.
   */
  public static Lookups forMessage(Connection c, io.parlor.spi.envelope.NetworkId source,
      io.parlor.spi.envelope.MessageId id, PartyKey sender, PartyKey recipient, Long defaultSeconds)
      throws SQLException {
    if (io.parlor.core.store.Dialect.of(c) == io.parlor.core.store.Dialect.SQLITE) {
      boolean seen = io.parlor.core.store.MessageTable.seen(c, source, id);
      Timers t = Timers.fresh(defaultSeconds);
      long usedAt = Long.MIN_VALUE;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT timer_first, timer_second, timer_default, e2ee, last_used_at FROM threads WHERE key = ?")) {
        ps.setString(1, stored(c, key(sender, recipient)));
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            t = timers(rs);
            usedAt = rs.getLong(5);
          }
        }
      }
      return new Lookups(seen, t, RelayTable.find(c, sender, recipient), usedAt);
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT t.timer_first, t.timer_second, t.timer_default, t.e2ee, t.key, r.handle, r.last_used_at,"
            + " (" + io.parlor.core.store.MessageTable.SEEN + "), t.last_used_at"
            + " FROM (SELECT 1 AS one) o LEFT JOIN threads t ON t.key = ?"
            + " LEFT JOIN relay_handles r ON r.represents = ? AND r.viewer = ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, source.value());
      ps.setString(2, id.value());
      ps.setString(3, stored(c, key(sender, recipient)));
      ps.setString(4, g.seal(sender.value()));
      ps.setString(5, g.seal(recipient.value()));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("a left join of one row gave none");
        }
        rs.getString(5);
        Timers t = rs.wasNull() ? Timers.fresh(defaultSeconds) : timers(rs);
        String handle = rs.getString(6);
        java.util.Optional<RelayTable.Shown> shown = handle == null ? java.util.Optional.empty()
            : java.util.Optional.of(new RelayTable.Shown(io.parlor.spi.envelope.Address.of(handle), rs.getLong(7)));
        rs.getInt(8);
        boolean seen = !rs.wasNull();
        return new Lookups(seen, t, shown, t.exists() ? rs.getLong(9) : Long.MIN_VALUE);
      }
    }
  }

  /**
   * Sets {@code party}'s timer in its thread with {@code other} (0: off), making the thread
   * (with {@code defaultSeconds} for the other side) when there is none yet.
   */
  public static void setTimer(Connection c, PartyKey party, PartyKey other, long seconds, Long defaultSeconds, Instant now)
      throws SQLException {
    String column = isFirst(party, party, other) ? "timer_first" : "timer_second";
    touch(c, key(party, other), false, defaultSeconds, now);
    try (PreparedStatement ps = c.prepareStatement("UPDATE threads SET " + column + " = ? WHERE key = ?")) {
      ps.setLong(1, seconds);
      ps.setString(2, stored(c, key(party, other)));
      ps.executeUpdate();
    }
  }

  /** Records use of the thread; {@code encrypted} marks it end-to-end encrypted for good. */
  public static void touch(Connection c, String key, boolean encrypted, Instant now) throws SQLException {
    touch(c, key, encrypted, null, now);
  }

  /**
   * Records use of the thread; {@code encrypted} marks it end-to-end encrypted for good. A new
   * thread keeps the operator's {@code policy.defaultThreadTimer} of the time ({@code
   * defaultSeconds}; null: none).
   */
  public static void touch(Connection c, String key, boolean encrypted, Long defaultSeconds, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO threads(key, e2ee, last_used_at, timer_default) VALUES (?,?,?,?)"
                + " ON CONFLICT(key) DO UPDATE SET"
                + " e2ee = CASE WHEN excluded.e2ee > threads.e2ee THEN excluded.e2ee ELSE threads.e2ee END,"
                + " last_used_at = excluded.last_used_at"
                + " WHERE excluded.e2ee > threads.e2ee"
                + " OR excluded.last_used_at - threads.last_used_at > " + TOUCH_GRANULARITY_MS)) {
      ps.setString(1, stored(c, key));
      ps.setInt(2, encrypted ? 1 : 0);
      ps.setLong(3, now.toEpochMilli());
      if (defaultSeconds == null) {
        ps.setNull(4, java.sql.Types.BIGINT);
      } else {
        ps.setLong(4, defaultSeconds);
      }
      io.parlor.core.store.Pipeline.update(ps); // with the unit's next statement (PostgreSQL)
    }
  }

  /** Forgets threads and relay handles unused since {@code before}. */
  public static int expireIdle(Connection c, Instant before) throws SQLException {
    int n = 0;
    for (String sql :
        new String[] {"DELETE FROM threads WHERE last_used_at < ?",
            // a group's addresses live as long as the group (they are deleted with it), however
            // quiet it is: a member's app keeps writing to the one it was given
            "DELETE FROM relay_handles WHERE last_used_at < ?"
                + " AND NOT EXISTS (SELECT 1 FROM groups WHERE groups.party = relay_handles.represents)",
            // a pool number stands for its counterpart as a relay handle does, and goes like one
            "DELETE FROM pool_numbers WHERE last_used_at < ?"
                + " AND NOT EXISTS (SELECT 1 FROM groups WHERE groups.party = pool_numbers.represents)"}) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setLong(1, before.toEpochMilli());
        n += ps.executeUpdate();
      }
    }
    return n;
  }
}
