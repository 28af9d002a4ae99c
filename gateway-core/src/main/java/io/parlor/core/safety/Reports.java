package io.parlor.core.safety;

import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.GraphSeal;
import io.parlor.spi.envelope.NetworkId;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reports and the holds they lead to (issue 14), tables {@code reports} and {@code holds}.
 *
 * <p>A report names who reported whom (sealed party keys, like the rest of the social graph),
 * when, the network the reported message came from and a reason — never content. A sender's
 * <b>score</b> is how many different people reported them within {@code policy.metadataRetention}
 * (since an operator last released them); at {@code safety.holdAfterReports} the sender is
 * <b>held</b>: nothing they send is accepted ({@code held_for_review}) on any network, until an
 * operator releases the hold. An operator sees a hold by a random id, with counts only, and
 * releases or confirms it; a confirmed hold stays until released.
 *
 * <p>Retention: reports go after the window ({@link #purge}), a released hold a window after its
 * release; a hold waiting for review, or confirmed, stays until an operator decides. Forget-me
 * deletes the reports made by and about the person, and their hold ({@link #forget}). Called on a
 * store connection; thread-safe otherwise.
 */
public final class Reports {
  /** A hold's states. */
  public static final String HELD = "held";
  public static final String RELEASED = "released";
  public static final String CONFIRMED = "confirmed";

  private final int holdAfter;
  private final Duration window;
  private final SecureRandom random;

  /**
   * @param holdAfter how many different reporters within the window hold a sender
   * @param window how long reports count and are kept ({@code policy.metadataRetention})
   */
  public Reports(int holdAfter, Duration window, SecureRandom random) {
    this.holdAfter = holdAfter;
    this.window = window;
    this.random = random;
  }

  /** How many different reporters within the window hold a sender. */
  public int holdAfter() {
    return holdAfter;
  }

  /**
   * A hold, as the operator sees it: no party, only its random id and counts.
   *
   * @param id the hold's random id
   * @param state {@link #HELD}, {@link #RELEASED} or {@link #CONFIRMED}
   * @param reason why the sender was held: {@code reports}, or {@code fan_out} (many strangers
   *     written to, few of whom answered)
   * @param count what the reason counted: the different reporters, or the strangers
   * @param since when the sender was held
   * @param decidedAt when an operator last decided, or null
   */
  public record Hold(String id, String state, String reason, int count, Instant since, Instant decidedAt) {}

  /**
   * What filing a report decided.
   *
   * @param score the reported sender's score after it
   * @param held the hold this report made, or null (below the threshold, or held already)
   */
  public record Filed(int score, Hold held) {}

  /**
   * Files a report by {@code reporter} about {@code reported} (whose message came from {@code
   * network}) and holds the reported sender when their score reaches the threshold.
   */
  public Filed file(Connection c, PartyKey reporter, PartyKey reported, NetworkId network, String reason, Instant now)
      throws SQLException {
    GraphSeal g = GraphSeal.of(c);
    // one report per reporter about one sender within the window counts (and is kept): reporting
    // again adds nothing, so one person can neither raise a score nor throttle a network alone
    boolean again;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT 1 FROM reports WHERE reported = ? AND at >= ? AND reporter = ?")) {
      ps.setString(1, g.seal(reported.value()));
      ps.setLong(2, now.minus(window).toEpochMilli());
      ps.setString(3, g.seal(reporter.value()));
      try (ResultSet rs = ps.executeQuery()) {
        again = rs.next();
      }
    }
    if (!again) {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO reports(at, reporter, reported, network, reason) VALUES (?,?,?,?,?)")) {
        ps.setLong(1, now.toEpochMilli());
        ps.setString(2, g.seal(reporter.value()));
        ps.setString(3, g.seal(reported.value()));
        ps.setString(4, network.value());
        ps.setString(5, reason);
        ps.executeUpdate();
      }
    }
    Optional<Hold> hold = find(c, reported);
    Instant from = now.minus(window);
    if (hold.isPresent() && hold.get().state().equals(RELEASED) && hold.get().decidedAt().isAfter(from)) {
      // released by an operator: only reports made since count towards a new hold
      from = hold.get().decidedAt();
    }
    int score = score(c, g.seal(reported.value()), from);
    if (hold.isPresent() && !hold.get().state().equals(RELEASED)) {
      return new Filed(score, null); // held already, or confirmed
    }
    if (score < holdAfter) {
      return new Filed(score, null);
    }
    String id = hold.map(Hold::id).orElseGet(this::newId);
    upsert(c, reported, id, "reports", score, now);
    return new Filed(score, new Hold(id, HELD, "reports", score, now, null));
  }

  private static void upsert(Connection c, PartyKey party, String id, String reason, int count, Instant now)
      throws SQLException {
    changing(c);
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO holds(party, id, reason, state, reports, since, decided_at) VALUES (?,?,?,?,?,?,NULL)"
            + " ON CONFLICT (party) DO UPDATE SET state = excluded.state, reason = excluded.reason,"
            + " reports = excluded.reports, since = excluded.since, decided_at = NULL")) {
      ps.setString(1, GraphSeal.of(c).seal(party.value()));
      ps.setString(2, id);
      ps.setString(3, reason);
      ps.setString(4, HELD);
      ps.setInt(5, count);
      ps.setLong(6, now.toEpochMilli());
      ps.executeUpdate();
    }
  }

  /**
   * Holds {@code party} for another reason than reports ({@code fan_out}: many strangers written
   * to, few of whom answered), unless they are held already.
   *
   * @param count what the reason counted (the strangers written to)
   * @return the hold made, or empty when they were held already
   */
  public Optional<Hold> hold(Connection c, PartyKey party, String reason, int count, Instant now) throws SQLException {
    Optional<Hold> existing = find(c, party);
    if (existing.isPresent() && !existing.get().state().equals(RELEASED)) {
      return Optional.empty();
    }
    String id = existing.map(Hold::id).orElseGet(this::newId);
    upsert(c, party, id, reason, count, now);
    return Optional.of(new Hold(id, HELD, reason, count, now, null));
  }

  /** When {@code party}'s hold was last released, if it was. */
  public static Optional<Instant> releasedAt(Connection c, PartyKey party) throws SQLException {
    return find(c, party).filter(h -> h.state().equals(RELEASED)).map(Hold::decidedAt);
  }

  /** How many reports each network's senders drew since {@code from}. */
  public static Map<NetworkId, Integer> perNetwork(Connection c, Instant from) throws SQLException {
    Map<NetworkId, Integer> out = new java.util.HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT network, count(*) FROM reports WHERE at >= ? GROUP BY network")) {
      ps.setLong(1, from.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (NetworkId.isValid(rs.getString(1))) {
            out.put(NetworkId.of(rs.getString(1)), rs.getInt(2));
          }
        }
      }
    }
    return out;
  }

  /** Whether {@code party} is held (waiting for review, or confirmed): nothing of theirs is accepted. */
  public static boolean held(Connection c, PartyKey party) throws SQLException {
    return held(c, party, party);
  }

  /**
   * Whether either party is held — a sender as the person and as the account they write from —
   * in one lookup (every message asks).
   */
  public static boolean held(Connection c, PartyKey party, PartyKey orParty) throws SQLException {
    String sealed = GraphSeal.of(c).seal(party.value());
    String orSealed = orParty.equals(party) ? sealed : GraphSeal.of(c).seal(orParty.value());
    HeldParties cache = HeldParties.of(c);
    Boolean known = cache == null ? null : cache.held(c, sealed, orSealed);
    if (known != null) {
      return known;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM holds WHERE party IN (?, ?) AND state <> ?")) {
      ps.setString(1, sealed);
      ps.setString(2, orSealed);
      ps.setString(3, RELEASED);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Every hold, the ones waiting for review first, then the most recent. */
  public static List<Hold> list(Connection c) throws SQLException {
    List<Hold> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, state, reason, reports, since, decided_at FROM holds"
            + " ORDER BY CASE state WHEN 'held' THEN 0 ELSE 1 END, since DESC, id")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(hold(rs));
        }
      }
    }
    return out;
  }

  /**
   * An operator's decision on hold {@code id}: {@link #RELEASED} (the sender is accepted again;
   * only later reports count) or {@link #CONFIRMED} (held until released). Empty when there is
   * no such hold.
   */
  public static Optional<Hold> decide(Connection c, String id, String state, Instant now) throws SQLException {
    if (!state.equals(RELEASED) && !state.equals(CONFIRMED)) {
      throw new IllegalArgumentException(state);
    }
    changing(c);
    try (PreparedStatement ps = c.prepareStatement("UPDATE holds SET state = ?, decided_at = ? WHERE id = ?")) {
      ps.setString(1, state);
      ps.setLong(2, now.toEpochMilli());
      ps.setString(3, id);
      if (ps.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, state, reason, reports, since, decided_at FROM holds WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return Optional.of(hold(rs));
      }
    }
  }

  /** Deletes reports older than the window, and holds released longer ago than that. */
  public int purge(Connection c, Instant now) throws SQLException {
    long before = now.minus(window).toEpochMilli();
    int n;
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM reports WHERE at < ?")) {
      ps.setLong(1, before);
      n = ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM holds WHERE state = ? AND decided_at < ?")) {
      ps.setString(1, RELEASED);
      ps.setLong(2, before);
      n += ps.executeUpdate();
    }
    return n;
  }

  /**
   * Forget-me: deletes the reports made by {@code parties}, and — unless {@code keepAbout} (the
   * operator must keep them by law: {@code policy.keepReportsAfterForget}) — the reports about
   * them and their holds, which then live out their usual retention.
   */
  public static void forget(Connection c, List<PartyKey> parties, boolean keepAbout) throws SQLException {
    if (!keepAbout) {
      changing(c);
    }
    GraphSeal g = GraphSeal.of(c);
    try (PreparedStatement reports = c.prepareStatement(keepAbout ? "DELETE FROM reports WHERE reporter = ?"
            : "DELETE FROM reports WHERE reporter = ? OR reported = ?");
        PreparedStatement holds = c.prepareStatement("DELETE FROM holds WHERE party = ?")) {
      for (PartyKey p : parties) {
        String sealed = g.seal(p.value());
        reports.setString(1, sealed);
        if (!keepAbout) {
          reports.setString(2, sealed);
          holds.setString(1, sealed);
          holds.addBatch();
        }
        reports.addBatch();
      }
      reports.executeBatch();
      if (!keepAbout) {
        holds.executeBatch();
      }
    }
  }

  /**
   * This transaction changes who is held: the in-memory set ({@link HeldParties}) is bypassed
   * until it ends, and the other nodes drop theirs when it commits. (The purge deletes only
   * released holds, which the set never has.)
   */
  private static void changing(Connection c) throws SQLException {
    HeldParties cache = HeldParties.of(c);
    if (cache != null) {
      cache.changed();
    }
    io.parlor.core.store.StoreCaches.notifyOthers(c, HeldParties.class);
  }

  private static int score(Connection c, String sealedParty, Instant from) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT count(DISTINCT reporter) FROM reports WHERE reported = ? AND at >= ?")) {
      ps.setString(1, sealedParty);
      ps.setLong(2, from.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static Optional<Hold> find(Connection c, PartyKey party) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, state, reason, reports, since, decided_at FROM holds WHERE party = ?")) {
      ps.setString(1, GraphSeal.of(c).seal(party.value()));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(hold(rs)) : Optional.empty();
      }
    }
  }

  private static Hold hold(ResultSet rs) throws SQLException {
    long decided = rs.getLong(6);
    Instant decidedAt = rs.wasNull() ? null : Instant.ofEpochMilli(decided);
    return new Hold(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4),
        Instant.ofEpochMilli(rs.getLong(5)), decidedAt);
  }

  private String newId() {
    byte[] b = new byte[10];
    random.nextBytes(b);
    return "h-" + java.util.HexFormat.of().formatHex(b);
  }
}
