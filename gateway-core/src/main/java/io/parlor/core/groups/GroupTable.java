package io.parlor.core.groups;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * SQL for groups (contract part 2, section 5): the group, its members and pending invitations,
 * and the tally of each group message's legs. The store's seam for groups: everything else goes
 * through here. Called on a store connection; not thread-safe.
 */
public final class GroupTable {
  private GroupTable() {}

  /** A member's role. */
  public enum Role {
    ADMIN,
    MEMBER;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether a person is in the group, invited to it, or blocked it (left, and takes no more invitations). */
  public enum State {
    MEMBER,
    INVITED,
    BLOCKED;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A group: its name and default disappearing timer (null: none). */
  public record Group(String id, String name, Long timerSeconds) {}

  /** One person's place in a group. */
  public record Membership(String groupId, String personId, Role role, State state, long at) {}

  public static void create(Connection c, Group g, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO groups(id, name, timer_seconds, created_at, party) VALUES (?,?,?,?,?)")) {
      ps.setString(5, GraphSeal.of(c).seal(PartyKey.group(g.id()).value()));
      ps.setString(1, g.id());
      ps.setString(2, g.name());
      setLong(ps, 3, g.timerSeconds());
      ps.setLong(4, now.toEpochMilli());
      ps.executeUpdate();
    }
  }

  public static Optional<Group> find(Connection c, String groupId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT name, timer_seconds FROM groups WHERE id = ?")) {
      ps.setString(1, groupId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        String name = rs.getString(1);
        long t = rs.getLong(2);
        return Optional.of(new Group(groupId, name, rs.wasNull() ? null : t));
      }
    }
  }

  /** Renames the group and sets its default timer. */
  public static void update(Connection c, Group g) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE groups SET name = ?, timer_seconds = ? WHERE id = ?")) {
      ps.setString(1, g.name());
      setLong(ps, 2, g.timerSeconds());
      ps.setString(3, g.id());
      ps.executeUpdate();
    }
  }

  /** Adds or replaces a person's membership (an invitation, a join, a role). */
  public static void put(Connection c, Membership m) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO group_members(group_id, person_id, role, state, at) VALUES (?,?,?,?,?)"
                + " ON CONFLICT(group_id, person_id) DO UPDATE SET role = excluded.role, state = excluded.state,"
                + " at = excluded.at, blocked_name = NULL")) {
      ps.setString(1, m.groupId());
      ps.setString(2, GraphSeal.of(c).seal(m.personId()));
      ps.setString(3, m.role().name());
      ps.setString(4, m.state().name());
      ps.setLong(5, m.at());
      ps.executeUpdate();
    }
  }

  /**
   * Records a person's block of a group (replacing their membership or invitation), with the
   * group's name as it is now: all the blocker is shown of it from then on.
   */
  public static void block(Connection c, String groupId, String personId, String name, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO group_members(group_id, person_id, role, state, at, blocked_name)"
                + " VALUES (?,?,'MEMBER','BLOCKED',?,?) ON CONFLICT(group_id, person_id) DO UPDATE SET"
                + " role = excluded.role, state = excluded.state, at = excluded.at, blocked_name = excluded.blocked_name")) {
      ps.setString(1, groupId);
      ps.setString(2, GraphSeal.of(c).seal(personId));
      ps.setLong(3, now.toEpochMilli());
      ps.setString(4, name);
      ps.executeUpdate();
    }
  }

  /** The group's name when {@code personId} blocked it, if they did. */
  public static Optional<String> blockedName(Connection c, String groupId, String personId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT blocked_name FROM group_members WHERE group_id = ? AND person_id = ? AND state = 'BLOCKED'")) {
      ps.setString(1, groupId);
      ps.setString(2, GraphSeal.of(c).seal(personId));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /**
   * Whether any group {@code personId} is an admin of has its invitations held (see {@link
   * #answers}): a held group's admin cannot start afresh with a new group.
   */
  public static boolean adminOfHeld(Connection c, String personId, Instant windowStart, int minAnswers, int refusedPercent)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM group_members m JOIN groups g ON g.id = m.group_id"
                + " WHERE m.person_id = ? AND m.role = 'ADMIN' AND m.state = 'MEMBER' AND g.invites_since >= ?"
                + " AND g.invites_answered >= ? AND g.invites_refused * 100 >= g.invites_answered * ? LIMIT 1")) {
      ps.setString(1, GraphSeal.of(c).seal(personId));
      ps.setLong(2, windowStart.toEpochMilli());
      ps.setInt(3, minAnswers);
      ps.setInt(4, refusedPercent);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Forgets the invitation answers counted before {@code windowStart} (housekeeping); returns how many groups. */
  public static int forgetOldAnswers(Connection c, Instant windowStart) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE groups SET invites_answered = 0, invites_refused = 0"
                + " WHERE invites_since < ? AND invites_answered > 0")) {
      ps.setLong(1, windowStart.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  public static Optional<Membership> membership(Connection c, String groupId, String personId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT role, state, at FROM group_members WHERE group_id = ? AND person_id = ?")) {
      ps.setString(1, groupId);
      ps.setString(2, GraphSeal.of(c).seal(personId));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new Membership(groupId, personId, Role.valueOf(rs.getString(1)),
                State.valueOf(rs.getString(2)), rs.getLong(3)))
            : Optional.empty();
      }
    }
  }

  /** Everyone in the group or invited to it, in the order they came. */
  public static List<Membership> members(Connection c, String groupId) throws SQLException {
    List<Membership> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT person_id, role, state, at FROM group_members WHERE group_id = ?")) {
      ps.setString(1, groupId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Membership(groupId, GraphSeal.of(c).open(rs.getString(1)), Role.valueOf(rs.getString(2)),
              State.valueOf(rs.getString(3)), rs.getLong(4)));
        }
      }
    }
    // in the order they came; sealed ids sort by nothing meaningful, so ties go by the id here
    out.sort(java.util.Comparator.comparingLong(Membership::at).thenComparing(Membership::personId));
    return out;
  }

  /** The groups a person is in or invited to. */
  public static List<Membership> ofPerson(Connection c, String personId) throws SQLException {
    List<Membership> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT group_id, role, state, at FROM group_members WHERE person_id = ? ORDER BY at")) {
      ps.setString(1, GraphSeal.of(c).seal(personId));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Membership(rs.getString(1), personId, Role.valueOf(rs.getString(2)),
              State.valueOf(rs.getString(3)), rs.getLong(4)));
        }
      }
    }
    return out;
  }

  public static void remove(Connection c, String groupId, String personId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM group_members WHERE group_id = ? AND person_id = ?")) {
      ps.setString(1, groupId);
      ps.setString(2, GraphSeal.of(c).seal(personId));
      ps.executeUpdate();
    }
  }

  /**
   * Deletes the group with everything about it: memberships, invitations, the members' group
   * addresses, the tallies of its messages.
   */
  public static void delete(Connection c, String groupId) throws SQLException {
    for (String sql : new String[] {
        "DELETE FROM group_members WHERE group_id = ?",
        "DELETE FROM group_sends WHERE group_id = ?",
        "DELETE FROM groups WHERE id = ?"}) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, groupId);
        ps.executeUpdate();
      }
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM relay_handles WHERE represents = ?")) {
      ps.setString(1, GraphSeal.of(c).seal(PartyKey.group(groupId).value()));
      ps.executeUpdate();
    }
  }

  // --- how a group's invitations were answered (the group-spammer rule) -------------------------

  /** Answers to a group's invitations since {@code since}: all of them, and those refused. */
  public record Answers(int answered, int refused, long since) {}

  /**
   * Counts answers to a group's invitations ({@code refused} of {@code answered}); counts older
   * than {@code windowStart} start again from zero.
   */
  public static void answered(Connection c, String groupId, int answered, int refused, Instant windowStart, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE groups SET"
                + " invites_answered = CASE WHEN invites_since < ? THEN ? ELSE invites_answered + ? END,"
                + " invites_refused = CASE WHEN invites_since < ? THEN ? ELSE invites_refused + ? END,"
                + " invites_since = CASE WHEN invites_since < ? THEN ? ELSE invites_since END"
                + " WHERE id = ?")) {
      long since = windowStart.toEpochMilli();
      ps.setLong(1, since);
      ps.setInt(2, answered);
      ps.setInt(3, answered);
      ps.setLong(4, since);
      ps.setInt(5, refused);
      ps.setInt(6, refused);
      ps.setLong(7, since);
      ps.setLong(8, now.toEpochMilli());
      ps.setString(9, groupId);
      ps.executeUpdate();
    }
  }

  /** The answers counted since {@code windowStart} (none when the counts are older). */
  public static Answers answers(Connection c, String groupId, Instant windowStart) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT invites_answered, invites_refused, invites_since FROM groups WHERE id = ?")) {
      ps.setString(1, groupId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getLong(3) < windowStart.toEpochMilli()) {
          return new Answers(0, 0, windowStart.toEpochMilli());
        }
        return new Answers(rs.getInt(1), rs.getInt(2), rs.getLong(3));
      }
    }
  }

  /** How long an invitation waits for its answer. */
  public static final java.time.Duration INVITATION_TTL = java.time.Duration.ofDays(7);

  /**
   * Deletes invitations older than {@code before} (nobody answered them: each counts as a refused
   * answer of its group, see {@link #answered}); returns how many.
   */
  public static int expireInvitations(Connection c, Instant before, Instant windowStart, Instant now)
      throws SQLException {
    List<String> groups = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT group_id FROM group_members WHERE state = 'INVITED' AND at < ?")) {
      ps.setLong(1, before.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          groups.add(rs.getString(1));
        }
      }
    }
    for (String g : groups) {
      answered(c, g, 1, 1, windowStart, now);
    }
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM group_members WHERE state = 'INVITED' AND at < ?")) {
      ps.setLong(1, before.toEpochMilli());
      return ps.executeUpdate();
    }
  }

  // --- the tally of a group message's legs -----------------------------------------------------

  /** Starts the tally of a group message: {@code pending} legs under way, {@code failed} refused. */
  public static void startTally(Connection c, String network, String sourceId, String groupId, int pending, int failed)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO group_sends(source_network, source_id, group_id, pending, delivered, failed)"
                + " VALUES (?,?,?,?,0,?)")) {
      ps.setString(1, network);
      ps.setString(2, sourceId);
      ps.setString(3, groupId);
      ps.setInt(4, pending);
      ps.setInt(5, failed);
      ps.executeUpdate();
    }
  }

  /** A tally: legs delivered, failed, still pending. */
  public record Tally(int delivered, int failed, int pending) {}

  /**
   * Counts one leg's end; returns the tally once every leg ended (and deletes it), else empty. A
   * message without a tally (a system message) returns empty.
   */
  public static Optional<Tally> legEnded(Connection c, String network, String sourceId, boolean delivered)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE group_sends SET pending = pending - 1, delivered = delivered + ?, failed = failed + ?"
                + " WHERE source_network = ? AND source_id = ? AND pending > 0")) {
      ps.setInt(1, delivered ? 1 : 0);
      ps.setInt(2, delivered ? 0 : 1);
      ps.setString(3, network);
      ps.setString(4, sourceId);
      if (ps.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    Tally t;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT delivered, failed, pending FROM group_sends WHERE source_network = ? AND source_id = ?")) {
      ps.setString(1, network);
      ps.setString(2, sourceId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        t = new Tally(rs.getInt(1), rs.getInt(2), rs.getInt(3));
      }
    }
    if (t.pending() > 0) {
      return Optional.empty();
    }
    try (PreparedStatement del =
        c.prepareStatement("DELETE FROM group_sends WHERE source_network = ? AND source_id = ?")) {
      del.setString(1, network);
      del.setString(2, sourceId);
      del.executeUpdate();
    }
    return Optional.of(t);
  }

  private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, java.sql.Types.INTEGER);
    } else {
      ps.setLong(i, v);
    }
  }
}
