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
  Store open() throws Exception {
    return open(null);
  }

  /** A new, empty store sealing payloads with {@code cipher} (none when null). */
  abstract Store open(PayloadCipher cipher) throws Exception;

  /** The same store again, after {@link Store#close}. */
  Store reopen() throws Exception {
    return reopen(null);
  }

  abstract Store reopen(PayloadCipher cipher) throws Exception;

  private static final byte[] MASTER = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private static long count(Store store, String table) throws Exception {
    return get(store.read(c -> count(c, table)));
  }

  @Test
  void sealedPayloadsOpenOnlyUnderTheirIdAndTheirEpochsKeyWhichIsShreddedWithItsLastMessage() throws Exception {
    Instant t = Instant.parse("2026-12-04T10:00:00.500Z");
    PayloadCipher cipher = new PayloadCipher(MASTER, java.time.Duration.ofSeconds(1));
    byte[] body = "{\"text\":\"MARKER-7f3a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (Store store = open(cipher)) {
      PayloadCipher.Sealed sealed = get(store.write(c -> cipher.seal(c, "g-1", body, "[\"ref\"]", t)));
      assertEquals(cipher.epochOf(t), sealed.epoch());
      assertEquals(-1, new String(sealed.bytes(), java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("MARKER"));
      PayloadCipher.Opened opened = get(store.read(c -> cipher.open(c, "g-1", sealed.epoch(), sealed.bytes())));
      assertEquals(new String(body, java.nio.charset.StandardCharsets.UTF_8),
          new String(opened.envelope(), java.nio.charset.StandardCharsets.UTF_8));
      assertEquals("[\"ref\"]", opened.refs());
      CompletionException swapped = assertThrows(CompletionException.class,
          () -> store.read(c -> cipher.open(c, "g-2", sealed.epoch(), sealed.bytes())).join());
      assertTrue(swapped.getCause().getCause().getMessage().contains("does not authenticate"), swapped.getCause().getCause().getMessage());
      assertEquals(Long.valueOf(1), Long.valueOf(count(store, "epoch_keys")));
      // a unit that stored the epoch's key is rolled back: the next message's unit stores it again
      Instant t2 = t.plusSeconds(1);
      CompletableFuture<Object> rolledBack = store.write(c -> {
        cipher.seal(c, "g-3", body, null, t2);
        throw new SQLException("the unit fails after sealing");
      });
      assertThrows(CompletionException.class, rolledBack::join);
      PayloadCipher.Sealed second = get(store.write(c -> cipher.seal(c, "g-4", body, null, t2)));
      PayloadCipher fresh = new PayloadCipher(MASTER, java.time.Duration.ofSeconds(1)); // no keys in memory
      assertEquals(new String(body, java.nio.charset.StandardCharsets.UTF_8), new String(
          get(store.read(c -> fresh.open(c, "g-4", second.epoch(), second.bytes()))).envelope(),
          java.nio.charset.StandardCharsets.UTF_8), "the key of a message is stored with it");
      // no message row names either epoch: each key goes once its epoch is over, not before;
      // where several nodes share the store, one whole epoch later (another node's clock may be
      // a little behind)
      Instant shredAt = store.clusterNode().isPresent() ? t2.plusSeconds(1) : t2;
      if (store.clusterNode().isPresent()) {
        assertEquals(Integer.valueOf(0), get(store.write(c -> cipher.shred(c, t2))), "not during the next epoch");
      }
      assertEquals(Integer.valueOf(1), get(store.write(c -> cipher.shred(c, shredAt))), "the first epoch's, not the second's");
      assertEquals(Long.valueOf(1), Long.valueOf(count(store, "epoch_keys")));
      assertEquals(Integer.valueOf(1), get(store.write(c -> cipher.shred(c, shredAt.plusSeconds(1)))));
      assertEquals(Long.valueOf(0), Long.valueOf(count(store, "epoch_keys")));
      PayloadCipher later = new PayloadCipher(MASTER, java.time.Duration.ofSeconds(1)); // a restart, say
      CompletionException gone = assertThrows(CompletionException.class,
          () -> store.read(c -> later.open(c, "g-4", second.epoch(), second.bytes())).join());
      assertTrue(gone.getCause().getCause().getMessage().contains("is gone"), gone.getCause().getCause().getMessage());
    }
  }

  /**
   * The key log's Merkle tree (schema migration 6) on this store: every entry is a leaf in the
   * same transaction, proofs verify, and the tree refuses changes like the log.
   */
  @Test
  void theKeyLogIsAMerkleTreeWhoseProofsVerifyAndWhichOnlyGrows() throws Exception {
    Store store = open();
    io.parlor.spi.envelope.NetworkId net = io.parlor.spi.envelope.NetworkId.of("netb");
    java.security.SecureRandom random = new java.security.SecureRandom();
    List<byte[]> roots = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      byte[] key = java.security.KeyPairGenerator.getInstance("X25519").generateKeyPair().getPublic().getEncoded();
      io.parlor.spi.envelope.Address account = io.parlor.spi.envelope.Address.of("netb:user" + random.nextInt(1000));
      get(store.write(c -> io.parlor.core.keys.KeyLog.append(c, net, account,
          io.parlor.core.keys.PublicKeys.X25519_AESGCM_V1, key, Instant.now())));
      long size = i + 1;
      roots.add(get(store.read(c -> io.parlor.core.keys.MerkleTree.root(c, size))));
    }
    List<io.parlor.core.keys.KeyLog.Entry> entries = get(store.read(c -> io.parlor.core.keys.KeyLog.entries(c, 1, 10)));
    assertEquals(6, entries.size());
    for (io.parlor.core.keys.KeyLog.Entry e : entries) {
      List<byte[]> path = get(store.read(c -> io.parlor.core.keys.MerkleTree.inclusion(c, e.seq() - 1, 6)));
      assertTrue(io.parlor.core.keys.MerkleTree.verifyInclusion(e.seq() - 1, 6,
          io.parlor.core.keys.MerkleTree.leafHash(io.parlor.core.keys.KeyLog.canonical(e)), path, roots.get(5)));
    }
    for (int m = 1; m < 6; m++) {
      long first = m;
      List<byte[]> proof = get(store.read(c -> io.parlor.core.keys.MerkleTree.consistency(c, first, 6)));
      assertTrue(io.parlor.core.keys.MerkleTree.verifyConsistency(m, 6, roots.get(m - 1), roots.get(5), proof));
    }
    CompletionException changed = assertThrows(CompletionException.class, () -> store.write(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM key_log_tree WHERE level = 0")) {
        return ps.executeUpdate();
      }
    }).join());
    StringBuilder why = new StringBuilder();
    for (Throwable t = changed; t != null; t = t.getCause()) {
      why.append(t.getMessage()).append(" / ");
    }
    assertTrue(why.toString().contains("key_log is append-only"), why.toString());
    store.close();
  }

  @Test
  void aDifferentMasterKeyIsRefusedAtOpen() throws Exception {
    PayloadCipher cipher = new PayloadCipher(MASTER, java.time.Duration.ofHours(1));
    Store store = open(cipher);
    get(store.write(c -> cipher.seal(c, "g-1", new byte[] {1}, null, Instant.now())));
    store.close();
    byte[] other = MASTER.clone();
    other[0] ^= 1;
    StoreException e = assertThrows(StoreException.class,
        () -> reopen(new PayloadCipher(other, java.time.Duration.ofHours(1))));
    assertTrue(e.getMessage().contains("store.encryptionKey does not open the store's keys"), e.getMessage());
    StoreException none = assertThrows(StoreException.class, () -> reopen(null));
    assertTrue(none.getMessage().contains("the store holds sealed messages: set store.encryptionKey"), none.getMessage());
    reopen(new PayloadCipher(MASTER, java.time.Duration.ofHours(1))).close();
  }

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

  private static void deferRemember(Connection c, String id, long at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO dedupe(source_network, source_id, seen_at) VALUES (?,?,?)")) {
      ps.setString(1, "neta");
      ps.setString(2, id);
      ps.setLong(3, at);
      Pipeline.update(ps);
    }
  }

  private static long countId(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM dedupe WHERE source_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Updates deferred to the unit's next statement (PostgreSQL) are seen by what the unit reads
   * next, commit with their unit, and when one fails — at the unit's end or before its next read —
   * that unit alone fails and is rolled back, whatever it returned. The transaction control
   * deferred to a unit's first statement takes nothing of the units before it down when that unit
   * fails, with its first statement or before any.
   */
  @Test
  void deferredUpdatesAreSeenByTheirUnitAndFailOnlyTheirUnit() throws Exception {
    try (Store store = open()) {
      get(store.write(c -> {
        remember(c, "neta", "taken", 1);
        return null;
      }));
      CompletableFuture<Long> reads = store.write(c -> {
        deferRemember(c, "a1", 2);
        deferRemember(c, "a2", 2);
        long seen = countId(c, "a1") + countId(c, "a2"); // both reach the database before this read
        deferRemember(c, "a3", 2); // goes with the end of the unit
        return seen;
      });
      CompletableFuture<Object> failsAtEnd = store.write(c -> {
        deferRemember(c, "b1", 3);
        deferRemember(c, "taken", 3); // refused when the unit ends: b1 goes with it
        return "returned all the same";
      });
      CompletableFuture<Long> failsAtRead = store.write(c -> {
        deferRemember(c, "taken", 4);
        return countId(c, "taken");
      });
      // the transaction control after a unit whose last statement ran waits for the next unit's
      // first statement: a unit that fails before any, or with its first, takes nothing before it
      CompletableFuture<Object> plain = store.write(c -> {
        remember(c, "neta", "p1", 5);
        return null;
      });
      CompletableFuture<Object> throwsFirst = store.write(c -> {
        throw new IllegalStateException("before any statement");
      });
      CompletableFuture<Object> plainAgain = store.write(c -> {
        remember(c, "neta", "p2", 5);
        return null;
      });
      // a first statement the driver refuses before sending it (PostgreSQL: a parameter not set;
      // SQLite binds it as NULL): the unit before keeps its work
      CompletableFuture<Long> unbound = store.write(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM dedupe WHERE source_id = ?");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      });
      CompletableFuture<Object> failsFirst = store.write(c -> {
        remember(c, "neta", "taken", 5);
        return null;
      });
      CompletableFuture<Object> after = store.write(c -> {
        deferRemember(c, "c1", 5);
        return null;
      });
      assertEquals(Long.valueOf(2), get(reads));
      get(after);
      get(plain);
      get(plainAgain);
      unbound.handle((v, err) -> null).join(); // refused or not, it ends
      assertInstanceOf(IllegalStateException.class,
          assertThrows(CompletionException.class, throwsFirst::join).getCause().getCause());
      for (CompletableFuture<?> failed : List.of(failsAtEnd, failsAtRead, failsFirst)) {
        CompletionException e = assertThrows(CompletionException.class, failed::join);
        assertInstanceOf(StoreException.class, e.getCause());
        assertFalse(StoreUnavailableException.storeDown(e), "a constraint is the work's fault, not the store's");
      }
      assertEquals(List.of(1L, 1L, 1L, 0L, 1L, 1L, 1L, 1L), get(store.read(c -> List.of(
          countId(c, "a1"), countId(c, "a2"), countId(c, "a3"), countId(c, "b1"), countId(c, "c1"), countId(c, "taken"),
          countId(c, "p1"), countId(c, "p2")))));
      assertTrue(store.writable());
    }
  }

  @Test
  void generatedIdsIncreaseAndAreReadBackOnTheSameConnection() throws Exception {
    try (Store store = open()) {
      long[] ids = get(store.write(c -> {
        long[] out = new long[3];
        for (int i = 0; i < 3; i++) {
          // as the tables do: the insert gives back its id (RETURNING)
          try (PreparedStatement ps = c.prepareStatement(Rowids.returning(
              "INSERT INTO status_outbox(network, source_id, status, reason, at) VALUES ('neta', ?, 'delivered', '', 0)",
              "id"))) {
            ps.setString(1, "s" + i);
            out[i] = Rowids.insert(ps);
          }
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

  /** A queued row of {@code lane}, as ingress writes it (only what the lease SQL reads). */
  @Test
  void lanesAreReadTogetherOldestFirstWithinEachOnesLimitAndEachDeliveryCheckAnswersItsOwnMessage() throws Exception {
    Instant t = Instant.parse("2026-12-05T10:00:00Z");
    String[] conversations = {"a b", "a c", "a b", "a d", "a c"};
    io.parlor.core.linking.PartyKey a = io.parlor.core.linking.PartyKey.person("a");
    try (Store store = open()) {
      // inserted on the writer as ingress does (on PostgreSQL its sequence number is read with the lane)
      get(store.write(c -> {
        for (int i = 0; i < conversations.length; i++) {
          io.parlor.core.linking.PartyKey to = io.parlor.core.linking.PartyKey.person(conversations[i].substring(2));
          MessageTable.insertLeg(c, new StoredMessage("g-" + i, 0, io.parlor.spi.envelope.NetworkId.of("neta"),
              io.parlor.spi.envelope.MessageId.of("m" + i), conversations[i], a, to,
              io.parlor.spi.envelope.Envelope.of(io.parlor.spi.envelope.MessageId.of("m" + i),
                  io.parlor.spi.envelope.Address.of("neta:a"), io.parlor.spi.envelope.Address.of("netb:x"), t,
                  new io.parlor.spi.envelope.Content.Text("hello " + i)),
              t.plusSeconds(60)), t);
        }
        return null;
      }));
      List<String> lanes = get(store.read(c -> List.of(
          MessageTable.lane(GraphSeal.of(c), "a b"), MessageTable.lane(GraphSeal.of(c), "a c"))));
      java.util.function.Function<List<StoredMessage>, List<String>> gids =
          ms -> ms.stream().map(StoredMessage::gid).toList();
      List<StoredMessage> both = get(store.read(c -> MessageTable.ofLanes(c, lanes, java.util.Set.of(), 10)));
      assertEquals(List.of("g-0", "g-1", "g-2", "g-4"), gids.apply(both), "both lanes, in acceptance order");
      for (int i = 1; i < both.size(); i++) {
        assertTrue(both.get(i).seq() > both.get(i - 1).seq(), "sequence numbers read with the rows");
      }
      assertEquals("hello 2", ((io.parlor.spi.envelope.Content.Text) both.get(2).envelope().content()).text());
      assertEquals(List.of("g-1", "g-2", "g-4"),
          gids.apply(get(store.read(c -> MessageTable.ofLanes(c, lanes, java.util.Set.of("g-0"), 10)))),
          "the ids known are not read again");
      assertEquals(List.of("g-0", "g-1"),
          gids.apply(get(store.read(c -> MessageTable.ofLanes(c, lanes, java.util.Set.of(), 1)))),
          "at most the limit of each lane: each one's oldest");
      assertEquals(List.of("g-0", "g-1", "g-2"),
          gids.apply(get(store.read(c -> MessageTable.ofLanes(c, lanes, java.util.Set.of("g-4"), 2)))));
      // the checks of attempts starting together: g-1 left the queue; the thread of a and b is encrypted
      get(store.write(c -> {
        MessageTable.delete(c, "g-1");
        ThreadTable.touch(c, ThreadTable.key(a, io.parlor.core.linking.PartyKey.person("b")), true, t);
        return null;
      }));
      java.util.Map<String, Boolean> checked = get(store.read(c -> ThreadTable.e2eeIfQueued(c,
          List.of("g-0", "g-1", "g-4", "g-9"),
          List.of(ThreadTable.key(a, io.parlor.core.linking.PartyKey.person("b")),
              ThreadTable.key(a, io.parlor.core.linking.PartyKey.person("c")),
              ThreadTable.key(a, io.parlor.core.linking.PartyKey.person("c")),
              ThreadTable.key(a, io.parlor.core.linking.PartyKey.person("b"))))));
      assertEquals(java.util.Map.of("g-0", true, "g-4", false), checked, "only the queued ones, each with its thread's flag");
    }
  }

  @Test
  void aMessagesLookupsReadItsDedupeKeyItsThreadAndItsSendersRelayHandleTogether() throws Exception {
    io.parlor.spi.envelope.NetworkId net = io.parlor.spi.envelope.NetworkId.of("neta");
    io.parlor.spi.envelope.MessageId m1 = io.parlor.spi.envelope.MessageId.of("m1");
    io.parlor.core.linking.PartyKey a = io.parlor.core.linking.PartyKey.person("a");
    io.parlor.core.linking.PartyKey b = io.parlor.core.linking.PartyKey.person("b");
    Instant t = Instant.parse("2026-12-05T10:00:00Z");
    try (Store store = open()) {
      ThreadTable.Lookups none = get(store.read(c -> ThreadTable.forMessage(c, net, m1, a, b, 3600L)));
      assertFalse(none.seen());
      assertFalse(none.thread().exists());
      assertEquals(Long.valueOf(3600), none.thread().threadDefault());
      assertTrue(none.shown().isEmpty());
      io.parlor.spi.envelope.Address handle = get(store.write(c -> {
        MessageTable.remember(c, net, m1, t);
        ThreadTable.touch(c, ThreadTable.key(a, b), true, t);
        return new io.parlor.core.routing.RelayTable(new java.security.SecureRandom())
            .handleFor(c, a, b, java.util.Optional.empty(), t);
      }));
      ThreadTable.Lookups all = get(store.read(c -> ThreadTable.forMessage(c, net, m1, a, b, 3600L)));
      assertTrue(all.seen(), "its dedupe key");
      assertTrue(all.thread().exists() && all.thread().e2ee(), "its thread");
      assertEquals(handle, all.shown().orElseThrow().handle(), "the sender's handle in front of the recipient");
      ThreadTable.Lookups other = get(store.read(
          c -> ThreadTable.forMessage(c, net, io.parlor.spi.envelope.MessageId.of("m2"), b, a, 3600L)));
      assertFalse(other.seen(), "another message");
      assertTrue(other.thread().e2ee(), "the same thread, either way round");
      assertTrue(other.shown().isEmpty(), "b has no handle in front of a");
    }
  }

  /**
   * A message's acceptance skips its thread's upsert when the lookups say it would change nothing:
   * held to what the upsert does, case by case (no thread; within the hour and at its edge; an
   * hour and a millisecond later; an encrypted message in a plaintext thread and the reverse).
   */
  @Test
  void aThreadsTouchIsSkippedExactlyWhenItWouldChangeNothing() throws Exception {
    io.parlor.spi.envelope.NetworkId net = io.parlor.spi.envelope.NetworkId.of("neta");
    io.parlor.spi.envelope.MessageId m = io.parlor.spi.envelope.MessageId.of("m");
    Instant t = Instant.parse("2026-12-05T10:00:00Z");
    long hour = 3_600_000L;
    // {pair, thread before (none, plain or e2ee, used at t), message encrypted?, message at t + ms}
    Object[][] cases = {
        {"none", false, 60_000L}, {"none", true, 0L},
        {"plain", false, 60_000L}, {"plain", false, hour}, {"plain", false, hour + 1}, {"plain", true, 60_000L},
        {"e2ee", false, 60_000L}, {"e2ee", true, hour}, {"e2ee", false, hour + 1}, {"e2ee", true, 2 * hour},
    };
    try (Store store = open()) {
      int changed = 0;
      for (int i = 0; i < cases.length; i++) {
        String before = (String) cases[i][0];
        boolean encrypted = (Boolean) cases[i][1];
        Instant at = t.plusMillis((Long) cases[i][2]);
        io.parlor.core.linking.PartyKey a = io.parlor.core.linking.PartyKey.person("a" + i);
        io.parlor.core.linking.PartyKey b = io.parlor.core.linking.PartyKey.person("b" + i);
        if (!before.equals("none")) {
          get(store.write(c -> {
            ThreadTable.touch(c, ThreadTable.key(a, b), before.equals("e2ee"), t);
            return null;
          }));
        }
        String rowsBefore = get(store.read(StoreContract::threads));
        boolean skip = get(store.read(c -> ThreadTable.forMessage(c, net, m, a, b, null))).touchChangesNothing(encrypted, at);
        get(store.write(c -> {
          ThreadTable.touch(c, ThreadTable.key(a, b), encrypted, at);
          return null;
        }));
        boolean same = rowsBefore.equals(get(store.read(StoreContract::threads)));
        assertEquals(same, skip, "case " + java.util.Arrays.toString(cases[i]));
        changed += same ? 0 : 1;
      }
      assertEquals(6, changed, "the cases where the upsert changes the row");
    }
  }

  private static String threads(Connection c) throws SQLException {
    StringBuilder rows = new StringBuilder();
    try (PreparedStatement ps = c.prepareStatement("SELECT key, e2ee, last_used_at FROM threads ORDER BY key");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.append(rs.getString(1)).append(' ').append(rs.getInt(2)).append(' ').append(rs.getLong(3)).append('\n');
      }
    }
    return rows.toString();
  }

  @Test
  void statusIdsAreUniqueAndIncreasingAndTheStatusesAreRemovedByThem() throws Exception {
    io.parlor.spi.envelope.NetworkId net = io.parlor.spi.envelope.NetworkId.of("neta");
    Instant t = Instant.parse("2026-12-05T10:00:00Z");
    try (Store store = open()) {
      List<Long> ids = new ArrayList<>();
      for (int unit = 0; unit < 3; unit++) {
        int u = unit;
        // on PostgreSQL's writer the insert goes with the next statement, its id taken beforehand
        ids.addAll(get(store.write(c -> {
          List<Long> out = new ArrayList<>();
          for (int i = 0; i < 2; i++) {
            out.add(StatusOutbox.add(c, net, new io.parlor.spi.StatusReport(io.parlor.spi.envelope.MessageId.of("m" + u + i),
                io.parlor.spi.StatusReport.Status.DELIVERED, "", t)).id());
          }
          return out;
        })));
      }
      for (int i = 1; i < ids.size(); i++) {
        assertTrue(ids.get(i) > ids.get(i - 1), ids.toString());
      }
      assertEquals(ids, get(store.read(c -> StatusOutbox.all(c).stream().map(StatusOutbox.Entry::id).toList())));
      assertEquals("m11", get(store.read(c -> StatusOutbox.all(c).get(3).report().id().value())));
      get(store.write(c -> {
        StatusOutbox.remove(c, ids.subList(0, 5));
        return null;
      }));
      assertEquals(List.of(ids.get(5)), get(store.read(c -> StatusOutbox.all(c).stream().map(StatusOutbox.Entry::id).toList())));
    }
  }

  static void queue(Connection c, String gid, String lane) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO messages(gid, source_network, source_id, conversation, sender, recipient, envelope,"
            + " deadline, created_at, lane) VALUES (?, 'neta', ?, 'a b', 'a', 'b', ?, 0, 0, ?)")) {
      ps.setString(1, gid);
      ps.setString(2, gid);
      ps.setBytes(3, new byte[] {'{', '}'});
      ps.setString(4, lane);
      ps.executeUpdate();
    }
  }

  @Test
  void aLaneIsLeasedToOneNodeAtATimeUntilItsLeaseExpiresOrItIsReleased() throws Exception {
    Instant t = Instant.parse("2026-12-04T10:00:00Z");
    Instant until = t.plusSeconds(15);
    try (Store store = open()) {
      get(store.write(c -> {
        queue(c, "g-1", "lane-1");
        queue(c, "g-2", "lane-2");
        return null;
      }));
      assertEquals(java.util.Map.of("lane-1", 1L),
          get(store.write(c -> io.parlor.core.delivery.Leases.claim(c, List.of("lane-1"), "n1", t, until))));
      assertEquals(java.util.Map.of(),
          get(store.write(c -> io.parlor.core.delivery.Leases.claim(c, List.of("lane-1"), "n2", t.plusSeconds(14), until))),
          "a live lease is not taken");
      // n2 looks for idle lanes: lane-2 never had a lease; lane-1's is live
      assertEquals(java.util.Map.of("lane-2", 1L), get(store.write(
          c -> io.parlor.core.delivery.Leases.claimIdle(c, "n2", t.plusSeconds(1), t.plusSeconds(16), 10))));
      assertEquals(java.util.Set.of("lane-1"),
          get(store.write(c -> io.parlor.core.delivery.Leases.renew(c, "n1", t.plusSeconds(20)))));
      assertEquals(java.util.Set.of("lane-2"),
          get(store.write(c -> io.parlor.core.delivery.Leases.renew(c, "n2", t.plusSeconds(40)))));
      // n1 stops renewing: once its lease expired, n2 takes the lane over, and n1 learns it
      assertEquals(java.util.Map.of("lane-1", 2L), get(store.write(
          c -> io.parlor.core.delivery.Leases.claimIdle(c, "n2", t.plusSeconds(20), t.plusSeconds(35), 10))));
      assertEquals(java.util.Set.of(),
          get(store.write(c -> io.parlor.core.delivery.Leases.renew(c, "n1", t.plusSeconds(35)))));
      assertEquals(io.parlor.core.delivery.Leases.Release.NOT_MINE,
          get(store.write(c -> io.parlor.core.delivery.Leases.release(c, "lane-1", "n1"))));
      assertEquals(io.parlor.core.delivery.Leases.Release.BUSY,
          get(store.write(c -> io.parlor.core.delivery.Leases.release(c, "lane-1", "n2"))), "its message is queued");
      get(store.write(c -> MessageTable.delete(c, "g-1")));
      assertEquals(io.parlor.core.delivery.Leases.Release.RELEASED,
          get(store.write(c -> io.parlor.core.delivery.Leases.release(c, "lane-1", "n2"))));
      assertEquals(Long.valueOf(1), Long.valueOf(count(store, "leases")), "lane-2's, still n2's");
      assertEquals(Integer.valueOf(1), get(store.write(c -> io.parlor.core.delivery.Leases.releaseAll(c, "n2"))));
    }
  }
}
