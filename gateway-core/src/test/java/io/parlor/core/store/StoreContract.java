package io.parlor.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.core.routing.ThreadTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every store promises the tables above it, run against both ({@link SqliteStoreContractTest},
 * {@link PostgresStoreContractTest}): group commit, a failing unit rolled back alone, generated
 * ids, the dialect's functions, upserts, the schema's version and the key log's append-only rule.
 * The tables' own behaviour on both stores is the integration suite's (the {@code postgres-store}
 * run of gateway-core's pom).
 */
abstract class StoreContract {
  /** A new, empty store. */
  abstract Store open() throws Exception;

  /** The same store again, after {@link Store#close}. */
  abstract Store reopen() throws Exception;

  /** Sets the stored schema version, behind the store's back. */
  abstract void setSchemaVersion(int version) throws Exception;

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static void remember(Connection c, String network, String id, long at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO dedupe(source_network, source_id, seen_at) VALUES (?,?,?)")) {
      ps.setString(1, network);
      ps.setString(2, id);
      ps.setLong(3, at);
      ps.executeUpdate();
    }
  }

  private static long count(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void manyWritersShareCommitsAndEveryOneIsReadBack() throws Exception {
    try (Store store = open()) {
      List<CompletableFuture<Integer>> writes = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        int n = i;
        writes.add(store.write(c -> {
          remember(c, "neta", "m" + n, 1_000L + n);
          return n;
        }));
      }
      for (int i = 0; i < writes.size(); i++) {
        assertEquals(Integer.valueOf(i), get(writes.get(i)));
      }
      assertEquals(Long.valueOf(500), get(store.read(c -> count(c, "dedupe"))));
      assertTrue(store.writable());
    }
  }

  @Test
  void aFailingUnitIsRolledBackAloneAndTheOthersCommit() throws Exception {
    try (Store store = open()) {
      get(store.write(c -> {
        remember(c, "neta", "taken", 1);
        return null;
      }));
      CompletableFuture<Object> before = store.write(c -> {
        remember(c, "neta", "first", 2);
        return null;
      });
      CompletableFuture<Object> failing = store.write(c -> {
        remember(c, "neta", "half", 3); // rolled back with the unit
        remember(c, "neta", "taken", 4); // the primary key refuses it
        return null;
      });
      CompletableFuture<Object> after = store.write(c -> {
        remember(c, "neta", "last", 5);
        return null;
      });
      get(before);
      get(after);
      CompletionException e = assertThrows(CompletionException.class, failing::join);
      assertInstanceOf(StoreException.class, e.getCause());
      assertFalse(StoreUnavailableException.storeDown(e), "a constraint is the work's fault, not the store's");
      assertEquals(Long.valueOf(3), get(store.read(c -> count(c, "dedupe"))), "taken, first, last; not half");
      assertTrue(store.writable());
    }
  }

  @Test
  void generatedIdsIncreaseAndAreReadBackOnTheSameConnection() throws Exception {
    try (Store store = open()) {
      long[] ids = get(store.write(c -> {
        long[] out = new long[3];
        for (int i = 0; i < 3; i++) {
          try (PreparedStatement ps = c.prepareStatement(
              "INSERT INTO status_outbox(network, source_id, status, reason, at) VALUES ('neta', ?, 'delivered', '', 0)")) {
            ps.setString(1, "s" + i);
            ps.executeUpdate();
          }
          out[i] = Rowids.last(c);
        }
        return out;
      }));
      assertTrue(ids[0] > 0 && ids[1] > ids[0] && ids[2] > ids[1], java.util.Arrays.toString(ids));
      long first = get(store.read(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM status_outbox WHERE source_id = 's0'");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }));
      assertEquals(ids[0], first);
    }
  }

  @Test
  void theDialectWritesGatewayIdPrefixesAsJavaDoes() throws Exception {
    try (Store store = open()) {
      for (long at : new long[] {0L, 1L, 255L, 1_733_300_000_000L, 0xffffffffffffL}) {
        String sql = "SELECT 'g-' || " + store.dialect().hex12("?");
        String prefix = get(store.read(c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, at);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getString(1);
            }
          }
        }));
        assertEquals(MessageTable.gidPrefix(at), prefix, "at " + at);
      }
    }
  }

  @Test
  void anUpsertKeepsAThreadEncryptedForGood() throws Exception {
    try (Store store = open()) {
      Instant t = Instant.parse("2026-12-04T10:00:00Z");
      get(store.write(c -> {
        ThreadTable.touch(c, "a b", true, t);
        return null;
      }));
      get(store.write(c -> {
        ThreadTable.touch(c, "a b", false, t.plusSeconds(3600));
        return null;
      }));
      assertTrue(get(store.read(c -> ThreadTable.e2ee(c, "a b"))).booleanValue(), "once encrypted, always encrypted");
      assertEquals(Long.valueOf(1), get(store.read(c -> count(c, "threads"))));
    }
  }

  @Test
  void dataOutlivesAReopenAndANewerSchemaIsRefused() throws Exception {
    Store store = open();
    get(store.write(c -> {
      remember(c, "neta", "kept", 1);
      return null;
    }));
    store.close();
    try (Store again = reopen()) {
      assertEquals(Long.valueOf(1), get(again.read(c -> count(c, "dedupe"))));
    }
    setSchemaVersion(Schema.VERSION + 1);
    StoreException e = assertThrows(StoreException.class, this::reopen);
    assertTrue(e.getMessage().contains("newer than this build"), e.getMessage());
  }

  @Test
  void theKeyLogIsAppendOnly() throws Exception {
    try (Store store = open()) {
      get(store.write(c -> {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO key_log(network, account_commitment, scheme, public_key, prev_hash, entry_hash, at)"
                + " VALUES ('neta', ?, 'x25519', ?, ?, ?, 0)")) {
          ps.setBytes(1, new byte[] {1});
          ps.setBytes(2, new byte[] {2});
          ps.setBytes(3, new byte[] {3});
          ps.setBytes(4, new byte[] {4});
          ps.executeUpdate();
        }
        return null;
      }));
      for (String sql : new String[] {"UPDATE key_log SET at = 1", "DELETE FROM key_log"}) {
        CompletionException e = assertThrows(CompletionException.class, () -> store.write(c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            return ps.executeUpdate();
          }
        }).join(), sql);
        assertTrue(String.valueOf(e.getCause().getCause().getMessage()).contains("append-only"), sql);
      }
      assertEquals(Long.valueOf(1), get(store.read(c -> count(c, "key_log"))));
    }
  }
}
