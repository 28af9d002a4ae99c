package io.parlor.core.store;

import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Statuses owed to source networks. Written in the same transaction that removes the message, so
 * a crash cannot lose a status; deleted once handed over. Not thread-safe (store connection).
 */
public final class StatusOutbox {
  private StatusOutbox() {}

  /** A status waiting to be reported. */
  public record Entry(long id, NetworkId network, StatusReport report) {}

  public static Entry add(Connection c, NetworkId network, StatusReport r) throws SQLException {
    if (Dialect.of(c) == Dialect.POSTGRES) {
      // on the writer's pipelined connection with an id taken from the sequence beforehand: the
      // insert needs no answer, so it goes with the unit's next statement (Pipeline)
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO status_outbox(network, source_id, status, reason, at, grade, account, members, node, id)"
              + " VALUES (?,?,?,?,?,?,?,?,?,?)")) {
        if (ps instanceof StatementCache.Deferrable) {
          long id = StoreCaches.of(c).get(Ids.class, Ids::new).next(c);
          bind(c, ps, r, network);
          ps.setLong(10, id);
          Pipeline.update(ps);
          return new Entry(id, network, r);
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(Rowids.returning(
            "INSERT INTO status_outbox(network, source_id, status, reason, at, grade, account, members, node)"
                + " VALUES (?,?,?,?,?,?,?,?,?)", "id"))) {
      bind(c, ps, r, network);
      return new Entry(Rowids.insert(ps), network, r);
    }
  }

  /**
   * Status ids taken from PostgreSQL's sequence {@link #BLOCK} at a time (one round trip per
   * block, not per status), shared by the store's writers. Ids a rolled-back unit took are not
   * used again. They are unique, not in commit order across writers; nothing needs them to be
   * (a status is reported when its transaction commits, and removed by its id).
   */
  private static final class Ids {
    static final int BLOCK = 256;
    private final java.util.ArrayDeque<Long> free = new java.util.ArrayDeque<>();

    long next(Connection c) throws SQLException {
      synchronized (this) {
        Long id = free.pollFirst();
        if (id != null) {
          return id;
        }
      }
      // refilled outside the lock: the query also sends the unit's deferred updates, which may
      // wait for the other writer's transaction, which may be here waiting for an id
      List<Long> block = new ArrayList<>(BLOCK);
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT nextval(pg_get_serial_sequence('status_outbox', 'id')) FROM generate_series(1, " + BLOCK + ")");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          block.add(rs.getLong(1));
        }
      }
      synchronized (this) {
        free.addAll(block.subList(1, block.size()));
        return block.get(0);
      }
    }
  }

  private static void bind(Connection c, PreparedStatement ps, StatusReport r, NetworkId network) throws SQLException {
    ps.setString(9, StoreCaches.node(c)); // the node that reports it (null: one node owns the store)
    ps.setString(1, network.value());
    ps.setString(2, r.id().value());
    ps.setString(3, r.status().name());
    ps.setString(4, r.reason());
    ps.setLong(5, r.at().toEpochMilli());
    ps.setString(6, r.as() == null ? null : r.as().name());
    ps.setString(7, r.account() == null ? null : GraphSeal.of(c).seal(r.account().value()));
    ps.setString(8, r.members() == null ? null
        : r.members().delivered() + " " + r.members().failed() + " " + r.members().pending() + " " + r.members().read());
  }

  /** "delivered failed pending read", as {@link #add} writes it. */
  private static StatusReport.Members members(String s) {
    if (s == null) {
      return null;
    }
    String[] p = s.split(" ");
    return new StatusReport.Members(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]),
        p.length > 3 ? Integer.parseInt(p[3]) : 0);
  }

  /** Deletes reported statuses: one batch, which PostgreSQL's driver sends in one round trip. */
  public static void remove(Connection c, java.util.Collection<Long> ids) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM status_outbox WHERE id = ?")) {
      for (long id : ids) {
        ps.setLong(1, id);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * The statuses this node owes: on a store one node owns, all of them; when several share it,
   * those this node wrote (another node's are its own to report, or adopted once it is gone,
   * {@link #adopt}).
   */
  public static List<Entry> all(Connection c) throws SQLException {
    List<Entry> out = new ArrayList<>();
    String node = StoreCaches.node(c);
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, network, source_id, status, reason, at, grade, account, members FROM status_outbox"
            + (node == null ? "" : " WHERE node = ? OR node IS NULL") + " ORDER BY id")) {
      if (node != null) {
        ps.setString(1, node);
      }
      readEntries(ps, out, GraphSeal.of(c));
    }
    return out;
  }

  /**
   * Makes this node the owner of the statuses of nodes not seen since {@code before} (they died
   * and did not come back); returns them, to be reported.
   */
  public static List<Entry> adopt(Connection c, java.time.Instant before) throws SQLException {
    String node = StoreCaches.node(c);
    List<Entry> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE status_outbox SET node = ? WHERE node <> ?"
            + " AND NOT EXISTS (SELECT 1 FROM nodes WHERE nodes.name = status_outbox.node AND nodes.seen >= ?)"
            + " RETURNING id, network, source_id, status, reason, at, grade, account, members")) {
      ps.setString(1, node);
      ps.setString(2, node);
      ps.setLong(3, before.toEpochMilli());
      readEntries(ps, out, GraphSeal.of(c));
    }
    return out;
  }

  private static void readEntries(PreparedStatement ps, List<Entry> out, GraphSeal g) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new Entry(
                rs.getLong(1),
                NetworkId.of(rs.getString(2)),
                new StatusReport(
                    MessageId.of(rs.getString(3)),
                    StatusReport.Status.valueOf(rs.getString(4)),
                    rs.getString(5),
                    Instant.ofEpochMilli(rs.getLong(6)),
                    rs.getString(7) == null ? null : StatusReport.Grade.valueOf(rs.getString(7)),
                    rs.getString(8) == null ? null : io.parlor.spi.envelope.Address.of(g.open(rs.getString(8))),
                    members(rs.getString(9)))));
      }
    }
  }
}
