package io.parlor.core.linking;

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
    try (PreparedStatement ps =
        c.prepareStatement("SELECT opt_in, reachable_by, handle FROM people WHERE id = ?")) {
      ps.setString(1, personId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        boolean optIn = rs.getInt(1) != 0;
        ReachableBy by = ReachableBy.parse(rs.getString(2)).orElse(ReachableBy.NOBODY);
        return Optional.of(new Person(personId, accounts(c, personId), optIn, by, rs.getString(3)));
      }
    }
  }

  /** The person who published {@code handle} (without the {@code @}). */
  public static Optional<String> personByHandle(Connection c, String handle) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM people WHERE handle = ?")) {
      ps.setString(1, handle);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /** The person an account is linked to. */
  public static Optional<String> personOf(Connection c, Address account) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT person_id FROM accounts WHERE address = ?")) {
      ps.setString(1, account.value());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  public static List<Address> accounts(Connection c, String personId) throws SQLException {
    List<Address> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT address FROM accounts WHERE person_id = ? ORDER BY position")) {
      ps.setString(1, personId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Address.of(rs.getString(1)));
        }
      }
    }
    return out;
  }

  /** Inserts or replaces a person and their accounts. Accounts of other people are not touched. */
  public static void upsert(Connection c, Person p, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO people(id, opt_in, reachable_by, handle, created_at, updated_at) VALUES (?,?,?,?,?,?)"
                + " ON CONFLICT(id) DO UPDATE SET opt_in = excluded.opt_in,"
                + " reachable_by = excluded.reachable_by, handle = excluded.handle,"
                + " updated_at = excluded.updated_at")) {
      ps.setString(1, p.id());
      ps.setInt(2, p.optIn() ? 1 : 0);
      ps.setString(3, p.reachableBy().wire());
      ps.setString(4, p.handle());
      ps.setLong(5, now.toEpochMilli());
      ps.setLong(6, now.toEpochMilli());
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM accounts WHERE person_id = ?")) {
      ps.setString(1, p.id());
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO accounts(address, person_id, position) VALUES (?,?,?)")) {
      for (int i = 0; i < p.accounts().size(); i++) {
        ps.setString(1, p.accounts().get(i).value());
        ps.setString(2, p.id());
        ps.setInt(3, i);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Deletes a person, their accounts and the relay handles that name them. */
  public static boolean delete(Connection c, String personId) throws SQLException {
    List<Address> accounts = accounts(c, personId);
    List<String> keys = new ArrayList<>();
    keys.add(PartyKey.person(personId).value());
    for (Address a : accounts) {
      keys.add(PartyKey.address(a).value());
    }
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM relay_handles WHERE represents = ? OR viewer = ?")) {
      for (String k : keys) {
        ps.setString(1, k);
        ps.setString(2, k);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM people WHERE id = ?")) {
      ps.setString(1, personId);
      return ps.executeUpdate() > 0;
    }
  }
}
