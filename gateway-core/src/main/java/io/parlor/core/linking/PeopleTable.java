package io.parlor.core.linking;

import io.parlor.core.store.GraphSeal;
import io.parlor.core.store.StoreCaches;

import io.parlor.spi.envelope.Address;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for people and their linked accounts. Called on a store connection; not thread-safe. */
public final class PeopleTable {
  private PeopleTable() {}

  public static Optional<Person> find(Connection c, String personId) throws SQLException {
    PeopleCache cache = PeopleCache.of(c);
    return cache == null ? load(c, personId) : cache.get(cache.people(), personId, () -> load(c, personId));
  }

  private static Optional<Person> load(Connection c, String personId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT opt_in, reachable_by, handle, allow_plaintext, default_timer, read_receipts,"
                + " reaction_fallback, show_as, display_name FROM people WHERE id = ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(personId));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        boolean optIn = rs.getInt(1) != 0;
        ReachableBy by = ReachableBy.parse(rs.getString(2)).orElse(ReachableBy.NOBODY);
        long timer = rs.getLong(5);
        Long defaultTimer = rs.wasNull() ? null : timer;
        ConversationPrefs prefs =
            new ConversationPrefs(
                rs.getInt(6) != 0, rs.getInt(7) != 0,
                ConversationPrefs.ShowAs.parse(rs.getString(8)).orElse(ConversationPrefs.ShowAs.RELAY), g.open(rs.getString(9)));
        return Optional.of(
            new Person(
                personId, loadAccounts(c, personId), optIn, by, g.open(rs.getString(3)), rs.getInt(4) != 0, defaultTimer, prefs));
      }
    }
  }

  /** Blocked addresses of a person, sorted. */
  public static List<String> blocks(Connection c, String personId) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT address FROM blocks WHERE person_id = ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(personId));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(g.open(rs.getString(1)));
        }
      }
    }
    out.sort(null); // sealed values sort by nothing meaningful
    return out;
  }

  /**
   * A person's blocks as they see them, sorted: the address or handle they blocked, or what they
   * were shown of a sender they blocked through it (a relay handle, a pool number).
   */
  public static List<String> shownBlocks(Connection c, String personId) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT shown, address FROM blocks WHERE person_id = ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(personId));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String shown = rs.getString(1);
          out.add(shown != null ? shown : g.open(rs.getString(2)));
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** What a block of a party (not of an address) is stored as: no address starts with "=". */
  public static String partyBlock(PartyKey party) {
    return "=" + party.value();
  }

  /**
   * Blocks {@code sender} for {@code personId}, on every network: a sender the person knows only
   * by {@code shown} (a relay handle or pool number they were shown), which is what they will
   * see of the block.
   */
  public static void blockParty(Connection c, String personId, PartyKey sender, String shown) throws SQLException {
    changed(c);
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO blocks(person_id, address, shown) VALUES (?,?,?) ON CONFLICT DO NOTHING")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(personId));
      ps.setString(2, g.seal(partyBlock(sender)));
      ps.setString(3, shown);
      ps.executeUpdate();
    }
  }

  /** Lifts the block the person sees as {@code shownOrAddress}. */
  public static void unblock(Connection c, String personId, String shownOrAddress) throws SQLException {
    changed(c);
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM blocks WHERE person_id = ? AND (address = ? OR shown = ?)")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(personId));
      ps.setString(2, g.seal(shownOrAddress));
      ps.setString(3, shownOrAddress);
      ps.executeUpdate();
    }
  }

  public static void block(Connection c, String personId, String address, boolean blocked) throws SQLException {
    changed(c);
    try (PreparedStatement ps =
        c.prepareStatement(
            blocked
                ? "INSERT INTO blocks(person_id, address) VALUES (?,?) ON CONFLICT DO NOTHING"
                : "DELETE FROM blocks WHERE person_id = ? AND address = ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(personId));
      ps.setString(2, g.seal(address));
      ps.executeUpdate();
    }
  }

  /**
   * Whether {@code personId} blocked {@code sender}: any of the sender's accounts (a person is
   * blocked on every network they linked) or their public handle.
   */
  public static boolean blocked(Connection c, String personId, PartyKey sender) throws SQLException {
    List<String> names = new ArrayList<>();
    names.add(partyBlock(sender));
    if (sender.isPerson()) {
      Optional<Person> p = find(c, sender.personId());
      if (p.isPresent()) {
        p.get().accounts().forEach(a -> names.add(a.value()));
        p.get().handleOpt().ifPresent(h -> names.add("@" + h));
      }
    } else {
      names.add(sender.address().value());
    }
    PeopleCache cache = PeopleCache.of(c);
    if (cache != null) {
      java.util.Set<String> blocked =
          cache.get(cache.blocks(), personId, () -> java.util.Set.copyOf(blocks(c, personId)));
      for (String n : names) {
        if (blocked.contains(n)) {
          return true;
        }
      }
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM blocks WHERE person_id = ? AND address = ?")) {
      GraphSeal g = GraphSeal.of(c);
      for (String n : names) {
        ps.setString(1, g.seal(personId));
        ps.setString(2, g.seal(n));
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The person who published {@code handle} (without the {@code @}). */
  public static Optional<String> personByHandle(Connection c, String handle) throws SQLException {
    PeopleCache cache = PeopleCache.of(c);
    return cache == null ? loadByHandle(c, handle) : cache.get(cache.byHandle(), handle, () -> loadByHandle(c, handle));
  }

  private static Optional<String> loadByHandle(Connection c, String handle) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM people WHERE handle = ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(handle));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(g.open(rs.getString(1))) : Optional.empty();
      }
    }
  }

  /** The person an account is linked to. */
  public static Optional<String> personOf(Connection c, Address account) throws SQLException {
    PeopleCache cache = PeopleCache.of(c);
    return cache == null
        ? loadPersonOf(c, account)
        : cache.get(cache.byAccount(), account.value(), () -> loadPersonOf(c, account));
  }

  private static Optional<String> loadPersonOf(Connection c, Address account) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT person_id FROM accounts WHERE address = ?")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(account.value()));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(g.open(rs.getString(1))) : Optional.empty();
      }
    }
  }

  /** A person's accounts in preference order (empty for an unknown person). */
  public static List<Address> accounts(Connection c, String personId) throws SQLException {
    if (PeopleCache.of(c) != null) {
      return find(c, personId).map(Person::accounts).orElse(List.of());
    }
    return loadAccounts(c, personId);
  }

  private static List<Address> loadAccounts(Connection c, String personId) throws SQLException {
    List<Address> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT address FROM accounts WHERE person_id = ? ORDER BY position")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(personId));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Address.of(g.open(rs.getString(1))));
        }
      }
    }
    return out;
  }

  /** Every change to people, accounts or blocks goes through here first (see {@link PeopleCache}). */
  private static void changed(Connection c) throws SQLException {
    PeopleCache cache = PeopleCache.of(c);
    if (cache != null) {
      cache.changed();
      StoreCaches.notifyOthers(c, PeopleCache.class);
    }
  }

  /** Inserts or replaces a person and their accounts. Accounts of other people are not touched. */
  public static void upsert(Connection c, Person p, Instant now) throws SQLException {
    changed(c);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO people(id, opt_in, reachable_by, handle, allow_plaintext, default_timer,"
                + " created_at, updated_at, read_receipts, reaction_fallback, show_as, display_name)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                + " ON CONFLICT(id) DO UPDATE SET opt_in = excluded.opt_in,"
                + " reachable_by = excluded.reachable_by, handle = excluded.handle,"
                + " allow_plaintext = excluded.allow_plaintext, default_timer = excluded.default_timer,"
                + " updated_at = excluded.updated_at, read_receipts = excluded.read_receipts,"
                + " reaction_fallback = excluded.reaction_fallback, show_as = excluded.show_as,"
                + " display_name = excluded.display_name")) {
      GraphSeal g = GraphSeal.of(c);
      ps.setString(1, g.seal(p.id()));
      ps.setInt(2, p.optIn() ? 1 : 0);
      ps.setString(3, p.reachableBy().wire());
      ps.setString(4, GraphSeal.of(c).seal(p.handle()));
      ps.setInt(5, p.allowPlaintextFallback() ? 1 : 0);
      if (p.defaultTimerSeconds() == null) {
        ps.setNull(6, java.sql.Types.INTEGER);
      } else {
        ps.setLong(6, p.defaultTimerSeconds());
      }
      ps.setLong(7, now.toEpochMilli());
      ps.setLong(8, now.toEpochMilli());
      ConversationPrefs prefs = p.conversation();
      ps.setInt(9, prefs.sendReadReceipts() ? 1 : 0);
      ps.setInt(10, prefs.reactionFallback() ? 1 : 0);
      ps.setString(11, prefs.showAs().wire());
      ps.setString(12, GraphSeal.of(c).seal(prefs.displayName()));
      ps.executeUpdate();
    }
    GraphSeal g = GraphSeal.of(c);
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM accounts WHERE person_id = ?")) {
      ps.setString(1, g.seal(p.id()));
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO accounts(address, person_id, position) VALUES (?,?,?)")) {
      for (int i = 0; i < p.accounts().size(); i++) {
        ps.setString(1, g.seal(p.accounts().get(i).value()));
        ps.setString(2, g.seal(p.id()));
        ps.setInt(3, i);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * Forgets a person: their row, accounts, blocks and sessions (cascade), and every mapping that
   * names them or their accounts: relay handles, pool numbers, message references, recent
   * conversations, media links, pending one-time codes. (Queued messages are the caller's: it reports them.)
   */
  public static boolean delete(Connection c, String personId) throws SQLException {
    changed(c);
    List<Address> accounts = accounts(c, personId);
    GraphSeal g = GraphSeal.of(c);
    List<String> keys = new ArrayList<>();
    keys.add(PartyKey.person(personId).value());
    for (Address a : accounts) {
      keys.add(PartyKey.address(a).value());
    }
    for (String sql :
        new String[] {
          "DELETE FROM relay_handles WHERE represents = ? OR viewer = ?",
          "DELETE FROM pool_numbers WHERE represents = ? OR viewer = ?",
          "DELETE FROM message_refs WHERE represents = ? OR viewer = ?",
          "DELETE FROM recent_conversations WHERE represents = ? OR viewer = ?",
          "DELETE FROM media_links WHERE sender = ?",
          // a thread's key is its two party keys, sorted, with a space between
          "DELETE FROM threads WHERE substr(key, 1, length(?) + 1) = ? || ' '"
              + " OR substr(key, length(key) - length(?)) = ' ' || ?"
        }) {
      int params = (int) sql.chars().filter(ch -> ch == '?').count();
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (String k : keys) {
          for (int i = 1; i <= params; i++) {
            ps.setString(i, g.seal(k));
          }
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    // other people's blocks of the person as a party (known to them only by a handle): that
    // party is gone. Blocks of an account someone typed stay theirs: forgetting oneself must not
    // lift other people's blocks of one's number
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM blocks WHERE address = ?")) {
      for (String k : keys) {
        ps.setString(1, g.seal(partyBlock(new PartyKey(k))));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    io.parlor.core.safety.SafetyLog.forget(c, keys.stream().map(PartyKey::new).toList());
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM auth_codes WHERE address = ? OR purpose = ?")) {
      for (Address a : accounts) {
        ps.setString(1, g.seal(a.value()));
        ps.setString(2, g.seal("link:" + personId));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM people WHERE id = ?")) {
      ps.setString(1, g.seal(personId));
      return ps.executeUpdate() > 0;
    }
  }
}
