package io.parlor.core.safety;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.SqliteStore;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safety metadata: pseudonymous, purged after the retention window, keys rotated per window. */
class SafetyLogTest {
  @TempDir Path dir;
  private final Duration week = Duration.ofDays(7);
  private final PartyKey alice = PartyKey.address(Address.of("chat:alice"));
  private final PartyKey bob = PartyKey.person("bob");

  @Test
  void keepsOnlyPseudonymsAndPurgesAfterTheWindowWithRotatedKeys() throws Exception {
    SafetyLog log = new SafetyLog(week, 10, new SecureRandom());
    Instant t0 = Instant.parse("2026-11-02T10:00:00Z");
    try (SqliteStore store = SqliteStore.open(dir.resolve("s.db"), 16, new SimpleMeterRegistry())) {
      store.write(c -> {
        log.record(c, NetworkId.of("chat"), alice, bob, t0);
        return null;
      }).get();
      List<String> first = rows(store);
      assertEquals(1, first.size());
      assertFalse(first.get(0).contains("alice") || first.get(0).contains("bob"), first.get(0));
      assertEquals(List.of("sender", "recipient", "network", "at"), columns(store), "no size, no count, nothing else");
      // one window later: a new key, so the same person gets an unlinkable pseudonym
      Instant t1 = t0.plus(week);
      store.write(c -> {
        log.record(c, NetworkId.of("chat"), alice, bob, t1);
        return null;
      }).get();
      List<String> both = rows(store);
      assertNotEquals(both.get(0).split(" ")[2], both.get(1).split(" ")[2], "pseudonyms rotate with the window");
      // after the retention window the first event and, a window later, its key are gone
      store.write(c -> log.purge(c, t1.plusSeconds(1))).get();
      assertEquals(1, rows(store).size());
      store.write(c -> log.purge(c, t1.plus(week).plus(week))).get();
      assertEquals(0, rows(store).size());
      long keys = store.read(c -> {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM pseudonym_keys")) {
          rs.next();
          return rs.getLong(1);
        }
      }).get();
      assertTrue(keys <= 1, "keys older than the previous window are deleted: " + keys);
    }
  }

  /**
   * A window's first event stores its key; a unit that used the key twice and then failed is rolled
   * back with that row. The next unit must store a key again, not use one it cached meanwhile:
   * the table is what forget-me and every other node go by.
   */
  @Test
  void aKeyWhoseTransactionRolledBackIsStoredAgainByTheNextUnit() throws Exception {
    SafetyLog log = new SafetyLog(week, 10, new SecureRandom());
    Instant t0 = Instant.parse("2026-11-02T10:00:00Z");
    try (SqliteStore store = SqliteStore.open(dir.resolve("k.db"), 16, new SimpleMeterRegistry())) {
      var failed = store.write(c -> {
        log.fanOutExceeded(c, alice, bob, t0); // stores the window's key
        log.record(c, NetworkId.of("chat"), alice, bob, t0); // finds it, not yet committed
        throw new IllegalStateException("the unit fails after its safety event");
      });
      assertTrue(assertThrows(java.util.concurrent.ExecutionException.class, failed::get)
          .getCause().getCause() instanceof IllegalStateException);
      assertEquals(0L, count(store, "pseudonym_keys"), "rolled back with its unit");
      store.write(c -> {
        log.record(c, NetworkId.of("chat"), alice, bob, t0);
        return null;
      }).get();
      assertEquals(1L, count(store, "pseudonym_keys"), "the next unit stored the window's key again");
      assertEquals(1, rows(store).size());
    }
  }

  private static long count(SqliteStore store, String table) throws Exception {
    return store.read(c -> {
      try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
        rs.next();
        return rs.getLong(1);
      }
    }).get();
  }

  @Test
  void fanOutLimitCountsDistinctRecipientsInTheLastHour() throws Exception {
    SafetyLog log = new SafetyLog(week, 2, new SecureRandom());
    Instant t = Instant.parse("2026-11-02T10:00:00Z");
    try (SqliteStore store = SqliteStore.open(dir.resolve("f.db"), 16, new SimpleMeterRegistry())) {
      PartyKey r1 = PartyKey.person("r1");
      PartyKey r2 = PartyKey.person("r2");
      PartyKey r3 = PartyKey.person("r3");
      boolean[] out = new boolean[4];
      store.write(c -> {
        log.record(c, NetworkId.of("chat"), alice, r1, t);
        log.record(c, NetworkId.of("chat"), alice, r2, t);
        out[0] = log.fanOutExceeded(c, alice, r3, t.plusSeconds(60));
        out[1] = log.fanOutExceeded(c, alice, r2, t.plusSeconds(60));
        out[2] = log.fanOutExceeded(c, alice, r3, t.plus(Duration.ofMinutes(61)));
        out[3] = log.fanOutExceeded(c, bob, r3, t.plusSeconds(60));
        return null;
      }).get();
      assertTrue(out[0], "a third new recipient within the hour exceeds a limit of 2");
      assertFalse(out[1], "an existing recipient does not count as new");
      assertFalse(out[2], "an hour later the window has moved");
      assertFalse(out[3], "limits are per sender");
    }
  }

  @Test
  void keepsOneRowPerPairWithItsLastTimeToTheMinute() throws Exception {
    SafetyLog log = new SafetyLog(week, 10, new SecureRandom());
    Instant t = Instant.parse("2026-11-02T10:00:00Z");
    PartyKey carol = PartyKey.person("carol");
    try (SqliteStore store = SqliteStore.open(dir.resolve("p.db"), 16, new SimpleMeterRegistry())) {
      store.write(c -> {
        for (int i = 0; i < 3; i++) {
          log.record(c, NetworkId.of("chat"), alice, bob, t.plusSeconds(20 * i));
        }
        return null;
      }).get();
      List<String> one = rows(store);
      assertEquals(1, one.size(), "three messages within a minute, one pair: " + one);
      assertTrue(one.get(0).startsWith(t.toEpochMilli() + " "), "a time within the minute is not rewritten: " + one);
      store.write(c -> {
        log.record(c, NetworkId.of("chat"), alice, bob, t.plusSeconds(60));
        log.record(c, NetworkId.of("chat"), alice, carol, t.plusSeconds(61));
        log.record(c, NetworkId.of("sms"), alice, bob, t.plusSeconds(62));
        return null;
      }).get();
      List<String> later = rows(store);
      assertEquals(3, later.size(), "a second recipient and a second network are pairs of their own: " + later);
      assertTrue(later.get(0).startsWith(t.plusSeconds(60).toEpochMilli() + " chat "), "a minute on, the time moves: " + later);
    }
  }

  @Test
  void aStoreWithARowPerMessageKeepsEachPairWithItsLatestTimeAfterTheUpgrade() throws Exception {
    Path db = dir.resolve("u.db");
    SqliteStore.open(db, 16, new SimpleMeterRegistry()).close();
    int current;
    // the table as schema version 10 had it, with three events of two pairs
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        java.sql.Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
        current = rs.getInt(1);
      }
      st.execute("DROP TABLE safety_events");
      st.execute("CREATE TABLE safety_events (at INTEGER NOT NULL, network TEXT NOT NULL, sender TEXT NOT NULL,"
          + " recipient TEXT NOT NULL, size_bucket TEXT NOT NULL)");
      st.execute("INSERT INTO safety_events VALUES (100, 'chat', 's', 'r1', '<=160'), (300, 'chat', 's', 'r1', '<=1k'),"
          + " (200, 'chat', 's', 'r2', '<=160')");
      assertTrue(current >= 11, "migration 11 made the pairs: " + current);
      st.execute("PRAGMA user_version = 10"); // before migration 11, whatever came after it
    }
    try (SqliteStore store = SqliteStore.open(db, 16, new SimpleMeterRegistry())) {
      assertEquals(List.of("200 chat s r2", "300 chat s r1"), rows(store));
      assertEquals(List.of("sender", "recipient", "network", "at"), columns(store));
    }
  }

  private static List<String> columns(SqliteStore store) throws Exception {
    return store.read(c -> {
      List<String> out = new ArrayList<>();
      try (ResultSet rs = c.createStatement().executeQuery("SELECT name FROM pragma_table_info('safety_events') ORDER BY cid")) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }).get();
  }

  private static List<String> rows(SqliteStore store) throws Exception {
    return store.read(c -> {
      List<String> out = new ArrayList<>();
      try (ResultSet rs = c.createStatement().executeQuery("SELECT at, network, sender, recipient FROM safety_events ORDER BY at, recipient")) {
        while (rs.next()) {
          out.add(rs.getLong(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
        }
      }
      return out;
    }).get();
  }
}
