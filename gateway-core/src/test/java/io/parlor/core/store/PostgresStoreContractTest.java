package io.parlor.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The store contract on PostgreSQL (a real server the test starts, {@link PostgresServer}), and
 * what only PostgreSQL has: several nodes on one database — one name per node, caches emptied when
 * another node commits a change, one key per epoch, one acceptance per message.
 */
class PostgresStoreContractTest extends StoreContract {
  private String url;

  @Override
  Store open(PayloadCipher cipher) {
    url = PostgresServer.shared().newDatabase();
    return reopen(cipher);
  }

  @Override
  Store reopen(PayloadCipher cipher) {
    return PostgresStore.open(url, Optional.of(PostgresServer.USER), Optional.of(PostgresServer.PASSWORD), 4, 64,
        new SimpleMeterRegistry(), cipher, "parlor-1");
  }

  @Override
  void setSchemaVersion(int version) throws Exception {
    try (Connection c = PostgresServer.shared().connect(url.substring(url.lastIndexOf('/') + 1));
        Statement st = c.createStatement()) {
      st.execute("UPDATE parlor_schema SET version = " + version);
    }
  }

  private Store node(String name, PayloadCipher cipher) {
    return PostgresStore.open(url, Optional.of(PostgresServer.USER), Optional.of(PostgresServer.PASSWORD), 4, 64,
        new SimpleMeterRegistry(), cipher, name);
  }

  /**
   * Deliveries' bookkeeping has a writer of its own (a second connection); a forget-me on the main
   * writer waits for the bookkeeping transaction under way to commit ({@link ForgetBarrier}), so
   * that no reference naming the person can be committed after forget-me deleted the others.
   */
  @Test
  void aForgetMeWaitsForTheBookkeepingUnderWayOnTheSecondWriter() throws Exception {
    try (Store store = open()) {
      java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.concurrent.CompletableFuture<Object> bookkeeping = store.writeConcurrently(c -> {
        try (java.sql.PreparedStatement ps = c.prepareStatement(
            "INSERT INTO dedupe(source_network, source_id, seen_at) VALUES ('neta', 'bookkeeping', 1)")) {
          ps.executeUpdate(); // its transaction, and the barrier's shared lock, have begun
        }
        inside.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new SQLException(e);
        }
        order.add("bookkeeping");
        return null;
      });
      assertTrue(inside.await(10, TimeUnit.SECONDS), "the bookkeeping writer runs beside the main one");
      java.util.concurrent.CompletableFuture<Object> forget = store.write(c -> {
        ForgetBarrier.exclusive(c);
        order.add("forget");
        return null;
      });
      Thread.sleep(500);
      boolean waited = !forget.isDone();
      release.countDown();
      bookkeeping.get(10, TimeUnit.SECONDS);
      forget.get(10, TimeUnit.SECONDS);
      assertTrue(waited, "the forget-me waits for the bookkeeping under way");
      assertEquals(List.of("bookkeeping", "forget"), order);
    }
  }

  @Test
  void aSecondNodeWithTheSameNameRefusesToStartUntilTheFirstStopsAndOthersJoin() throws Exception {
    try (Store first = open()) {
      StoreException e = assertThrows(StoreException.class, this::reopen);
      assertTrue(e.getMessage().contains("another Parlor node named parlor-1 is using the database"), e.getMessage());
      assertTrue(first.writable());
      try (Store second = node("parlor-2", null)) {
        assertTrue(second.writable());
        assertEquals(Optional.of("parlor-2"), second.clusterNode());
      }
    }
    reopen().close(); // the lock went with the first node
  }

  /**
   * Issue 15: the store's key is replaced with every node stopped — refused while one runs; the
   * graph is sealed again and the epoch keys wrapped again under the new key, which alone opens
   * the store afterwards.
   */
  @Test
  void rotationReplacesTheKeyOnlyWithEveryNodeStopped() throws Exception {
    byte[] master = "postgres-rotation-master-key-32b".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] next = "postgres-rotation-the-new-key-32".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    io.parlor.spi.envelope.Address alice = io.parlor.spi.envelope.Address.of("neta:alice");
    PayloadCipher cipher = new PayloadCipher(master, java.time.Duration.ofHours(1));
    Store store = open(cipher);
    store.write(c -> {
      io.parlor.core.linking.PeopleTable.upsert(c, new io.parlor.core.linking.Person("alice", List.of(alice), true,
          io.parlor.core.linking.ReachableBy.EVERYONE, "alice", false, null), java.time.Instant.now());
      return null;
    }).get(10, TimeUnit.SECONDS);
    PayloadCipher.Sealed sealed = store.write(c -> cipher.seal(c, "g-1", new byte[] {7}, null, java.time.Instant.now()))
        .get(10, TimeUnit.SECONDS);
    io.parlor.core.config.GatewayConfig.StoreSettings settings = new io.parlor.core.config.GatewayConfig.StoreSettings(
        "postgres", null, url, Optional.of(PostgresServer.USER), Optional.of(PostgresServer.PASSWORD), 4,
        Optional.of(master), java.time.Duration.ofHours(1));
    StoreException running = assertThrows(StoreException.class, () -> GraphKeyRotation.rotate(settings, Optional.of(next)));
    assertTrue(running.getMessage().contains("a Parlor node is using the database"), running.getMessage());
    store.close();

    assertEquals(2, GraphKeyRotation.rotate(settings, Optional.of(next)));
    StoreException stale = assertThrows(StoreException.class, () -> reopen(new PayloadCipher(master, java.time.Duration.ofHours(1))));
    assertTrue(stale.getMessage().contains("does not open the store's keys"), stale.getMessage());
    PayloadCipher nextCipher = new PayloadCipher(next, java.time.Duration.ofHours(1));
    try (Store rotated = reopen(nextCipher)) {
      assertEquals(Optional.of("alice"),
          rotated.read(c -> io.parlor.core.linking.PeopleTable.personOf(c, alice)).get(10, TimeUnit.SECONDS));
      assertEquals(7, rotated.read(c -> nextCipher.open(c, "g-1", sealed.epoch(), sealed.bytes()).envelope()[0])
          .get(10, TimeUnit.SECONDS).intValue());
    }
  }

  /** A store still in clear (run without a key) is sealed and rotated in one go: two passes, one transaction. */
  @Test
  void aStoreStillInClearIsSealedByItsFirstRotation() throws Exception {
    byte[] master = "postgres-rotation-master-key-32b".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] next = "postgres-rotation-the-new-key-32".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    io.parlor.spi.envelope.Address alice = io.parlor.spi.envelope.Address.of("neta:alice");
    try (Store store = open(null)) {
      store.write(c -> {
        io.parlor.core.linking.PeopleTable.upsert(c, new io.parlor.core.linking.Person("alice", List.of(alice), true,
            io.parlor.core.linking.ReachableBy.EVERYONE, "alice", false, null), java.time.Instant.now());
        return null;
      }).get(10, TimeUnit.SECONDS);
    }
    io.parlor.core.config.GatewayConfig.StoreSettings settings = new io.parlor.core.config.GatewayConfig.StoreSettings(
        "postgres", null, url, Optional.of(PostgresServer.USER), Optional.of(PostgresServer.PASSWORD), 4,
        Optional.of(master), java.time.Duration.ofHours(1));
    assertEquals(2, GraphKeyRotation.rotate(settings, Optional.of(next)));
    try (Store rotated = reopen(new PayloadCipher(next, java.time.Duration.ofHours(1)))) {
      assertEquals(Optional.of("alice"),
          rotated.read(c -> io.parlor.core.linking.PeopleTable.personOf(c, alice)).get(10, TimeUnit.SECONDS));
    }
  }

  /** A cache that counts how often other nodes' changes emptied it. */
  static final class CountingCache implements StoreCaches.Coherent {
    final java.util.concurrent.atomic.AtomicInteger emptied = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void othersChanged() {
      emptied.incrementAndGet();
    }
  }

  private static CountingCache cache(Store store) throws Exception {
    return store.read(c -> StoreCaches.of(c).get(CountingCache.class, CountingCache::new)).get(10, TimeUnit.SECONDS);
  }

  private static void await(String what, java.util.function.BooleanSupplier ok) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!ok.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out: " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void aChangeCommittedOnOneNodeEmptiesTheOthersCachesAndARolledBackOneDoesNot() throws Exception {
    try (Store a = open(); Store b = node("parlor-2", null)) {
      CountingCache onA = cache(a);
      CountingCache onB = cache(b);
      Thread.sleep(1_000); // both listening
      a.write(c -> {
        StoreCaches.notifyOthers(c, CountingCache.class);
        throw new SQLException("rolled back");
      }).exceptionally(e -> null).get(10, TimeUnit.SECONDS);
      a.write(c -> {
        StoreCaches.notifyOthers(c, CountingCache.class);
        return null;
      }).get(10, TimeUnit.SECONDS);
      await("b's cache emptied", () -> onB.emptied.get() == 1);
      Thread.sleep(300);
      assertEquals(1, onB.emptied.get(), "once: the rolled-back unit told nobody");
      assertEquals(0, onA.emptied.get(), "a node's own change is its writer's to handle");
      // b's listener loses its connection: what it may have missed empties its caches
      try (Connection admin = PostgresServer.shared().connect(url.substring(url.lastIndexOf('/') + 1));
          Statement st = admin.createStatement()) {
        // the listeners hold the node-name locks (class 0x70617201)
        st.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            + " AND classid = " + 0x70617201 + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
      }
      await("b's cache emptied after its listener reconnected", () -> onB.emptied.get() >= 2);
    }
  }

  /**
   * A change another node committed (and answered for) is what this node's next read and next
   * write see, even while the notification has not reached this node: here b's listener thread is
   * held up in another channel's callback, so b hears nothing, and only the cache version can tell.
   */
  @Test
  void aChangeOneNodeCommittedIsSeenByTheNextUnitOnAnotherBeforeItsNotificationArrives() throws Exception {
    io.parlor.spi.envelope.Address netb = io.parlor.spi.envelope.Address.of("netb:carol");
    io.parlor.spi.envelope.Address netc = io.parlor.spi.envelope.Address.of("netc:carol");
    java.util.function.Function<List<io.parlor.spi.envelope.Address>, io.parlor.core.linking.Person> carol =
        accounts -> new io.parlor.core.linking.Person("carol", accounts, true, io.parlor.core.linking.ReachableBy.EVERYONE,
            null, false, null);
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (Store a = open(); Store b = node("parlor-2", null)) {
      a.write(c -> {
        io.parlor.core.linking.PeopleTable.upsert(c, carol.apply(List.of(netb, netc)), java.time.Instant.now());
        return null;
      }).get(10, TimeUnit.SECONDS);
      SqlWork<List<io.parlor.spi.envelope.Address>> accounts =
          c -> io.parlor.core.linking.PeopleTable.find(c, "carol").orElseThrow().accounts();
      assertEquals(List.of(netb, netc), b.read(accounts).get(10, TimeUnit.SECONDS));
      assertEquals(List.of(netb, netc), b.write(accounts).get(10, TimeUnit.SECONDS), "b's caches know carol");
      b.listen("test_hold", payload -> {
        held.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, () -> {});
      try (Connection admin = PostgresServer.shared().connect(url.substring(url.lastIndexOf('/') + 1));
          Statement st = admin.createStatement()) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!held.await(100, TimeUnit.MILLISECONDS)) { // until b listens on the channel
          assertTrue(System.nanoTime() < until, "b's listener never took the hold");
          st.execute("NOTIFY test_hold");
        }
      }
      try {
        a.write(c -> {
          io.parlor.core.linking.PeopleTable.upsert(c, carol.apply(List.of(netc, netb)), java.time.Instant.now());
          return null;
        }).get(10, TimeUnit.SECONDS);
        assertEquals(List.of(netc, netb), b.read(accounts).get(10, TimeUnit.SECONDS), "b's next read");
        assertEquals(List.of(netc, netb), b.write(accounts).get(10, TimeUnit.SECONDS), "b's next write");
      } finally {
        release.countDown();
      }
    }
  }

  @Test
  void aStatusIsReportedByTheNodeThatWroteItUntilThatNodeIsGoneThenByOneOther() throws Exception {
    try (Store a = open(); Store b = node("parlor-2", null)) {
      java.time.Instant now = java.time.Instant.parse("2026-12-04T10:00:00Z");
      StatusOutbox.Entry e = a.write(c -> {
        io.parlor.core.delivery.Leases.seen(c, "parlor-1", now, now);
        return StatusOutbox.add(c, io.parlor.spi.envelope.NetworkId.of("neta"),
            new io.parlor.spi.StatusReport(io.parlor.spi.envelope.MessageId.of("m-1"),
                io.parlor.spi.StatusReport.Status.DELIVERED, "", now));
      }).get(10, TimeUnit.SECONDS);
      assertEquals(List.of(e.id()), ids(a.read(StatusOutbox::all).get(10, TimeUnit.SECONDS)));
      assertEquals(List.of(), ids(b.read(StatusOutbox::all).get(10, TimeUnit.SECONDS)), "another node's");
      // parlor-1 was seen at `now`: not adopted while it is recent, adopted once it is not
      assertEquals(List.of(), ids(b.write(c -> StatusOutbox.adopt(c, now)).get(10, TimeUnit.SECONDS)));
      assertEquals(List.of(e.id()), ids(b.write(c -> StatusOutbox.adopt(c, now.plusSeconds(300))).get(10, TimeUnit.SECONDS)));
      assertEquals(List.of(e.id()), ids(b.read(StatusOutbox::all).get(10, TimeUnit.SECONDS)));
      assertEquals(List.of(), ids(a.read(StatusOutbox::all).get(10, TimeUnit.SECONDS)), "adopted once, by one node");
      // parlor-1 is back; parlor-2, seen since, keeps what it adopted
      assertEquals(List.of(), ids(a.write(c -> {
        io.parlor.core.delivery.Leases.seen(c, "parlor-2", now, now.plusSeconds(300));
        return StatusOutbox.adopt(c, now.plusSeconds(300));
      }).get(10, TimeUnit.SECONDS)));
    }
  }

  @Test
  void oneNodeAtATimeRunsTheHousekeepingAndAnotherTakesOverWhenItStops() throws Exception {
    Store a = open();
    Store b = node("parlor-2", null);
    try {
      await("one leader", () -> a.leads() || b.leads());
      Thread.sleep(2_500); // both have tried for the lock since
      assertTrue(a.leads() ^ b.leads(), "exactly one: " + a.leads() + " " + b.leads());
      Store leader = a.leads() ? a : b;
      Store other = leader == a ? b : a;
      leader.close();
      await("the other takes over", other::leads);
    } finally {
      a.close();
      b.close();
    }
  }

  private static List<Long> ids(List<StatusOutbox.Entry> entries) {
    return entries.stream().map(StatusOutbox.Entry::id).toList();
  }

  @Test
  void twoNodesSealUnderOneKeyPerEpochAndTakeAMessageOnce() throws Exception {
    byte[] master = new byte[32];
    PayloadCipher ca = new PayloadCipher(master, java.time.Duration.ofHours(1));
    PayloadCipher cb = new PayloadCipher(master, java.time.Duration.ofHours(1));
    java.time.Instant t = java.time.Instant.parse("2026-12-04T10:00:00Z");
    try (Store a = open(ca); Store b = node("parlor-2", cb)) {
      // both make the epoch's key at once: the second finds the first's and seals under it
      var sa = a.write(c -> ca.seal(c, "g-a", new byte[] {1}, null, t));
      var sb = b.write(c -> cb.seal(c, "g-b", new byte[] {2}, null, t));
      PayloadCipher.Sealed fromA = sa.get(10, TimeUnit.SECONDS);
      PayloadCipher.Sealed fromB = sb.get(10, TimeUnit.SECONDS);
      assertEquals(1, b.read(c -> cb.open(c, "g-a", fromA.epoch(), fromA.bytes())).get(10, TimeUnit.SECONDS).envelope()[0]);
      assertEquals(2, a.read(c -> ca.open(c, "g-b", fromB.epoch(), fromB.bytes())).get(10, TimeUnit.SECONDS).envelope()[0]);
      // the same message reaches both nodes at once: one takes it, the other finds it seen
      java.time.Instant now = java.time.Instant.now();
      var ra = a.write(c -> {
        MessageTable.remember(c, io.parlor.spi.envelope.NetworkId.of("neta"), io.parlor.spi.envelope.MessageId.of("m-1"), now);
        java.util.concurrent.locks.LockSupport.parkNanos(300_000_000L); // b's insert waits for this commit
        return "a";
      });
      Thread.sleep(100);
      var rb = b.write(c -> {
        MessageTable.remember(c, io.parlor.spi.envelope.NetworkId.of("neta"), io.parlor.spi.envelope.MessageId.of("m-1"), now);
        return "b";
      });
      assertEquals("a", ra.get(10, TimeUnit.SECONDS));
      java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
          () -> rb.get(10, TimeUnit.SECONDS));
      assertTrue(MessageTable.AlreadySeenException.in(e), String.valueOf(e.getCause()));
    }
  }

  @Test
  void aWrongPasswordIsAClearErrorThatNamesTheDatabaseButNotThePassword() {
    String db = PostgresServer.shared().newDatabase();
    StoreException e = assertThrows(StoreException.class, () -> PostgresStore.open(
        db, Optional.of(PostgresServer.USER), Optional.of("not-the-password"), 4, 64, new SimpleMeterRegistry()));
    assertTrue(e.getMessage().startsWith("cannot open store at " + db), e.getMessage());
    assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
    assertTrue(!e.getMessage().contains("not-the-password"), e.getMessage());
  }
}
