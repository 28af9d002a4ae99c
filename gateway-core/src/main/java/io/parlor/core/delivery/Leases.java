package io.parlor.core.delivery;

import io.parlor.core.store.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SQL for lane leases: several nodes on one database share delivery by conversation. A node
 * delivers a lane (a conversation's hash, {@link io.parlor.core.store.MessageTable#lane}) only
 * while its row here names the node and {@code until} has not passed; the node renews all its
 * leases every few seconds. A lease whose node stopped renewing it expires, and another node
 * takes it over; {@code fence} counts the owners a lease has had. Called on a store connection.
 */
public final class Leases {
  private Leases() {}

  /**
   * Claims each lane that has no lease, or whose lease expired, or that is already this node's
   * (a restarted node takes its own back at once); returns the lanes claimed with their fence.
   */
  public static Map<String, Long> claim(Connection c, Iterable<String> lanes, String node, Instant now, Instant until)
      throws SQLException {
    Map<String, Long> claimed = new LinkedHashMap<>();
    // a new lease, else an expired one (or this node's own) taken over; a live lease of another
    // node is left alone without being locked (an upsert would lock it until this commit, and
    // two nodes' batches could then wait on each other)
    try (PreparedStatement insert = c.prepareStatement(
            "INSERT INTO leases(lane, node, until, fence) VALUES (?,?,?,1) ON CONFLICT (lane) DO NOTHING RETURNING fence");
        PreparedStatement takeOver = c.prepareStatement(
            "UPDATE leases SET node = ?, until = ?, fence = fence + 1 WHERE lane = ? AND (until <= ? OR node = ?)"
                + " RETURNING fence")) {
      for (String lane : lanes) {
        insert.setString(1, lane);
        insert.setString(2, node);
        insert.setLong(3, until.toEpochMilli());
        try (ResultSet rs = insert.executeQuery()) {
          if (rs.next()) {
            claimed.put(lane, rs.getLong(1));
            continue;
          }
        }
        takeOver.setString(1, node);
        takeOver.setLong(2, until.toEpochMilli());
        takeOver.setString(3, lane);
        takeOver.setLong(4, now.toEpochMilli());
        takeOver.setString(5, node);
        try (ResultSet rs = takeOver.executeQuery()) {
          if (rs.next()) {
            claimed.put(lane, rs.getLong(1));
          }
        }
      }
    }
    return claimed;
  }

  /**
   * Claims up to {@code limit} lanes that have queued messages and nobody delivering them: lanes
   * whose lease expired (their node died or lost the database), taken with {@code FOR UPDATE
   * SKIP LOCKED} so that nodes looking at once share them out instead of queueing on each other,
   * then lanes that never had a lease (their accepting node stopped before claiming them).
   */
  public static Map<String, Long> claimIdle(Connection c, String node, Instant now, Instant until, int limit)
      throws SQLException {
    List<String> expired = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT lane FROM leases WHERE until <= ?"
            + " AND EXISTS (SELECT 1 FROM messages WHERE messages.lane = leases.lane)"
            + " ORDER BY until LIMIT ?" + skipLocked(c))) {
      ps.setLong(1, now.toEpochMilli());
      ps.setInt(2, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          expired.add(rs.getString(1));
        }
      }
    }
    Map<String, Long> claimed = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE leases SET node = ?, until = ?, fence = fence + 1 WHERE lane = ? AND until <= ? RETURNING fence")) {
      for (String lane : expired) {
        ps.setString(1, node);
        ps.setLong(2, until.toEpochMilli());
        ps.setString(3, lane);
        ps.setLong(4, now.toEpochMilli());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            claimed.put(lane, rs.getLong(1));
          }
        }
      }
    }
    if (claimed.size() >= limit) {
      return claimed;
    }
    List<String> free = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT DISTINCT lane FROM messages WHERE lane IS NOT NULL"
            + " AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.lane = messages.lane) LIMIT ?")) {
      ps.setInt(1, limit - claimed.size());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          free.add(rs.getString(1));
        }
      }
    }
    claimed.putAll(claim(c, free, node, now, until));
    return claimed;
  }

  /** {@code FOR UPDATE SKIP LOCKED} where the database has row locks (SQLite locks the whole file). */
  private static String skipLocked(Connection c) {
    return Dialect.of(c) == Dialect.POSTGRES ? " FOR UPDATE SKIP LOCKED" : "";
  }

  /** Renews every lease this node holds; returns their lanes (a lane missing was taken over). */
  public static Set<String> renew(Connection c, String node, Instant until) throws SQLException {
    Set<String> held = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("UPDATE leases SET until = ? WHERE node = ? RETURNING lane")) {
      ps.setLong(1, until.toEpochMilli());
      ps.setString(2, node);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          held.add(rs.getString(1));
        }
      }
    }
    return held;
  }

  /** What {@link #release} found. */
  public enum Release {
    /** The lease is gone: the lane had no message left. */
    RELEASED,
    /** The lane has messages (new ones, or ones still being finished): the lease stays. */
    BUSY,
    /** Another node holds the lease now. */
    NOT_MINE
  }

  /** Gives up this node's lease of {@code lane} if no message of it is queued. */
  public static Release release(Connection c, String lane, String node) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM leases WHERE lane = ? AND node = ?"
            + " AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.lane = leases.lane)")) {
      ps.setString(1, lane);
      ps.setString(2, node);
      if (ps.executeUpdate() > 0) {
        return Release.RELEASED;
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT node FROM leases WHERE lane = ?")) {
      ps.setString(1, lane);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1).equals(node) ? Release.BUSY : Release.NOT_MINE;
      }
    }
  }

  /** Gives up every lease of {@code node} (a node that drains hands its lanes over at once). */
  public static int releaseAll(Connection c, String node) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM leases WHERE node = ?")) {
      ps.setString(1, node);
      return ps.executeUpdate();
    }
  }

  /** Deletes leases that expired before {@code before} on lanes with nothing queued (housekeeping). */
  public static int purgeExpired(Connection c, Instant before) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM leases WHERE until < ?"
            + " AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.lane = leases.lane)")) {
      ps.setLong(1, before.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  /** A node of the cluster as the admin status lists it. */
  public record NodeInfo(String name, Instant started, Instant seen, long leases) {}

  /** The nodes seen since {@code since}, with how many live leases each holds. */
  public static List<NodeInfo> nodes(Connection c, Instant since, Instant now) throws SQLException {
    List<NodeInfo> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT name, started, seen,"
            + " (SELECT count(*) FROM leases WHERE leases.node = nodes.name AND leases.until > ?)"
            + " FROM nodes WHERE seen >= ? ORDER BY name")) {
      ps.setLong(1, now.toEpochMilli());
      ps.setLong(2, since.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new NodeInfo(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)),
              Instant.ofEpochMilli(rs.getLong(3)), rs.getLong(4)));
        }
      }
    }
    return out;
  }

  /** Records that {@code node} is alive (started at {@code started}). */
  public static void seen(Connection c, String node, Instant started, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO nodes(name, started, seen) VALUES (?,?,?)"
            + " ON CONFLICT (name) DO UPDATE SET started = excluded.started, seen = excluded.seen")) {
      ps.setString(1, node);
      ps.setLong(2, started.toEpochMilli());
      ps.setLong(3, now.toEpochMilli());
      ps.executeUpdate();
    }
  }

  /** Forgets nodes not seen since {@code before} (housekeeping). */
  public static int purgeNodes(Connection c, Instant before) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM nodes WHERE seen < ?")) {
      ps.setLong(1, before.toEpochMilli());
      return ps.executeUpdate();
    }
  }
}
