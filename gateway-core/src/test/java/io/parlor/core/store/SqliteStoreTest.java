package io.parlor.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest {
  @TempDir Path dir;

  @Test
  void manyWritesShareCommitsAndAFailingUnitFailsAlone() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (SqliteStore store = SqliteStore.open(dir.resolve("s.db"), 256, meters)) {
      store.write(c -> c.createStatement().execute("CREATE TABLE t(x INTEGER PRIMARY KEY)")).get();
      // hold the writer so that the next units queue up behind it
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Object> blocker = holdWriter(store, release);
      List<CompletableFuture<Integer>> writes = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        int v = i == 50 ? 49 : i; // unit 50 violates the primary key
        writes.add(store.write(c -> {
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO t(x) VALUES (?)")) {
            ps.setInt(1, v);
            return ps.executeUpdate();
          }
        }));
      }
      release.countDown();
      blocker.get();
      int failed = 0;
      for (CompletableFuture<Integer> w : writes) {
        try {
          w.get();
        } catch (ExecutionException e) {
          assertInstanceOf(StoreException.class, e.getCause());
          failed++;
        }
      }
      assertEquals(1, failed, "only the violating unit fails");
      assertEquals(99L, (long) store.read(c -> count(c.prepareStatement("SELECT count(*) FROM t"))).get());
      var batches = meters.find("parlor.store.commit.batch").summary();
      assertTrue(batches.max() >= 50, "queued units share one commit, largest batch " + batches.max());
      assertTrue(batches.count() < 20, "far fewer commits than units: " + batches.count());
    }
  }

  /**
   * Units marked rerunnable run with no savepoint of their own: a failure rolls back the run it is
   * in and runs that run's earlier units again; an unmarked unit ends a run and never runs twice.
   */
  @Test
  void aFailureRunsTheRerunnableUnitsBeforeItAgainButNeverAnUnmarkedUnit() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("s.db"), 256, new SimpleMeterRegistry())) {
      store.write(c -> c.createStatement().execute("CREATE TABLE t(x INTEGER PRIMARY KEY)")).get();
      store.write(c -> c.createStatement().execute("INSERT INTO t(x) VALUES (100)")).get();
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Object> blocker = holdWriter(store, release);
      // r: rerunnable, u: not marked, capitals fail (after a row of their own, then the taken 100)
      String units = "rRruRrUr";
      int[] runs = new int[units.length()];
      List<CompletableFuture<Integer>> writes = new ArrayList<>();
      for (int i = 0; i < units.length(); i++) {
        int n = i;
        char kind = units.charAt(i);
        SqlWork<Integer> work = c -> {
          runs[n]++;
          insert(c, n);
          if (Character.isUpperCase(kind)) {
            insert(c, 100);
          }
          return n;
        };
        writes.add(store.write(Character.toLowerCase(kind) == 'r' ? SqlWork.rerunnable(work) : work));
      }
      release.countDown();
      blocker.get();
      List<Integer> failed = new ArrayList<>();
      for (int i = 0; i < writes.size(); i++) {
        try {
          assertEquals(i, writes.get(i).get());
        } catch (ExecutionException e) {
          assertInstanceOf(StoreException.class, e.getCause());
          failed.add(i);
        }
      }
      assertEquals(List.of(1, 4, 6), failed);
      // runs: [r R r u] from the transaction's start, [R r U] from a savepoint, [r]
      assertEquals("[2, 1, 1, 1, 1, 2, 1, 1]", java.util.Arrays.toString(runs),
          "the rerunnable units before a failure in their run ran again, the rest once");
      assertEquals(List.of(0, 2, 3, 5, 7, 100), store.read(c -> {
        List<Integer> rows = new ArrayList<>();
        try (ResultSet rs = c.prepareStatement("SELECT x FROM t ORDER BY x").executeQuery()) {
          while (rs.next()) {
            rows.add(rs.getInt(1));
          }
        }
        return rows;
      }).get(), "every unit that did not fail committed once, nothing of a failed one");
    }
  }

  @Test
  void checkpointTruncatesTheWalWhileWritesContinue() throws Exception {
    Path db = dir.resolve("c.db");
    try (SqliteStore store = SqliteStore.open(db, 256, new SimpleMeterRegistry())) {
      store.write(c -> c.createStatement().execute("CREATE TABLE t(x TEXT)")).get();
      for (int i = 0; i < 200; i++) {
        store.write(c -> c.createStatement().executeUpdate("INSERT INTO t VALUES ('" + "y".repeat(500) + "')"));
      }
      store.write(c -> c.createStatement().executeUpdate("DELETE FROM t")).get();
      assertTrue(Files.size(Path.of(db + "-wal")) > 0);
      store.checkpoint().get();
      assertEquals(0, Files.size(Path.of(db + "-wal")), "WAL truncated");
      assertEquals(0L, (long) store.read(c -> count(c.prepareStatement("SELECT count(*) FROM t"))).get());
    }
  }

  @Test
  void closedStoreRefusesWork() {
    SqliteStore store = SqliteStore.open(dir.resolve("x.db"), 8, new SimpleMeterRegistry());
    store.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> store.write(c -> 1).get());
    assertInstanceOf(StoreException.class, e.getCause());
  }

  private static long count(PreparedStatement ps) throws SQLException {
    try (ps; ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aSlowContinuationDoesNotHoldUpTheNextCommitAndFuturesCompleteInOrder() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("c.db"), 256, new SimpleMeterRegistry())) {
      store.write(c -> c.createStatement().execute("CREATE TABLE t(x INTEGER PRIMARY KEY)")).get();
      CountDownLatch inContinuation = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
      // hold the writer so that the first write is still pending when its continuation is attached
      CountDownLatch holding = new CountDownLatch(1);
      CountDownLatch unhold = new CountDownLatch(1);
      store.write(c -> {
        holding.countDown();
        try {
          return unhold.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      });
      assertTrue(holding.await(10, java.util.concurrent.TimeUnit.SECONDS));
      CompletableFuture<Void> first = store.write(c -> insert(c, 1)).thenAccept(v -> {
        order.add(1);
        inContinuation.countDown();
        try {
          release.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      unhold.countDown();
      assertTrue(inContinuation.await(10, java.util.concurrent.TimeUnit.SECONDS));
      CompletableFuture<Void> second = store.write(c -> insert(c, 2)).thenAccept(v -> order.add(2));
      // the writer committed the second unit although the first one's continuation still runs
      long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      int rows = 0;
      while (rows < 2 && System.nanoTime() < until) {
        rows = store.read(c -> {
          try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getInt(1);
          }
        }).get();
      }
      assertEquals(2, rows);
      assertEquals(List.of(1), order, "the second future waits for the first one's continuation");
      release.countDown();
      first.get(10, java.util.concurrent.TimeUnit.SECONDS);
      second.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(List.of(1, 2), order);
    }
  }

  @Test
  void lazyBookkeepingSharesTheNextCommitIsCommittedBeforeLaterWritesAndAloneWhenNothingElseComes()
      throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (SqliteStore store = SqliteStore.open(dir.resolve("l.db"), 256, meters)) {
      store.write(c -> c.createStatement().execute("CREATE TABLE t(x INTEGER PRIMARY KEY)")).get();
      var commits = meters.find("parlor.store.commit.batch").summary();
      long before = commits.count();
      // nothing else comes: committed on its own, soon (the writer waited for company, not for ever)
      long started = System.nanoTime();
      assertEquals(1, store.writeLazily(c -> insert(c, 1)).get(5, java.util.concurrent.TimeUnit.SECONDS));
      double waited = (System.nanoTime() - started) / 1e6;
      assertTrue(waited < 1_000, "a lazy unit alone commits within the writer's wait: " + waited + " ms");
      assertEquals(before + 1, commits.count());
      // a lazy unit, then a write that needs it (as a receipt needs the wait its delivery's
      // bookkeeping writes): the write sees it, and both share one commit
      for (int i = 0; i < 20; i++) {
        int x = 100 + i;
        CompletableFuture<Integer> lazy = store.writeLazily(c -> insert(c, x));
        CompletableFuture<Long> after = store.write(c -> count(c.prepareStatement("SELECT count(*) FROM t WHERE x = " + x)));
        assertEquals(1L, (long) after.get(5, java.util.concurrent.TimeUnit.SECONDS),
            "bookkeeping queued before a write is committed before it (round " + i + ")");
        assertEquals(1, lazy.get(5, java.util.concurrent.TimeUnit.SECONDS));
      }
      assertTrue(commits.count() <= before + 1 + 20 + 2,
          "a lazy unit takes no commit of its own when a write follows it: " + (commits.count() - before) + " commits");
    }
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void aWriteHereCommitsOnTheCallersThreadWhenTheWriterIsIdleAndIsQueuedWhenItIsBusy() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("h.db"), 256, new SimpleMeterRegistry())) {
      store.write(c -> c.createStatement().execute("CREATE TABLE t(x INTEGER PRIMARY KEY)")).get();
      Thread caller = Thread.currentThread();
      CompletableFuture<Boolean> here = store.writeHere(c -> insert(c, 1) == 1 && Thread.currentThread() == caller);
      assertTrue(here.isDone(), "the writer was idle: committed and completed before writeHere returned");
      assertTrue(here.get(), "on the caller's thread");
      assertEquals(1L, (long) store.read(c -> count(c.prepareStatement("SELECT count(*) FROM t WHERE x = 1"))).get(),
          "committed: another connection sees it");
      // the writer busy: the unit is queued, and the caller does not wait for it
      CountDownLatch holding = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Object> busy = store.write(c -> {
        holding.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return null;
      });
      assertTrue(holding.await(10, java.util.concurrent.TimeUnit.SECONDS));
      CompletableFuture<Boolean> queued = store.writeHere(c -> insert(c, 2) == 1 && Thread.currentThread() == caller);
      assertTrue(!queued.isDone(), "the writer is busy: queued, not waited for");
      release.countDown();
      busy.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(Boolean.FALSE, queued.get(10, java.util.concurrent.TimeUnit.SECONDS), "run by the writer thread");
    }
  }

  @Test
  void anOwnReaderReadsOnTheCallersThreadWhatWasCommitted() throws Exception {
    try (SqliteStore store = SqliteStore.open(dir.resolve("r.db"), 8, new SimpleMeterRegistry())) {
      store.write(c -> c.createStatement().execute("CREATE TABLE t(x INTEGER PRIMARY KEY)")).get();
      Store.Reader reader = store.ownReader();
      Thread caller = Thread.currentThread();
      CompletableFuture<Boolean> here = reader.read(c -> Thread.currentThread() == caller);
      assertTrue(here.isDone() && here.get(), "read on the caller's thread, answered at once");
      store.write(c -> insert(c, 7)).get();
      assertEquals(1L, (long) reader.read(c -> count(c.prepareStatement("SELECT count(*) FROM t WHERE x = 7"))).get(),
          "sees what was committed since its last read");
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> reader.read(c -> count(c.prepareStatement("SELECT count(*) FROM nowhere"))).get());
      assertInstanceOf(StoreException.class, e.getCause(), "a failed read fails its future, as a read on the reader does");
    }
  }

  /** Holds the writer in a unit until {@code release}, so that the units written next queue up behind it. */
  private static CompletableFuture<Object> holdWriter(Store store, CountDownLatch release) {
    return store.write(c -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return null;
    });
  }

  private static Integer insert(java.sql.Connection c, int x) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO t(x) VALUES (?)")) {
      ps.setInt(1, x);
      return ps.executeUpdate();
    }
  }

  @Test
  void onlyItsOwnerCanReadTheStore() throws Exception {
    Path db = dir.resolve("data").resolve("parlor.db");
    try (SqliteStore store = SqliteStore.open(db, 8, new SimpleMeterRegistry())) {
      assertEquals("rwx------",
          java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(db.getParent())));
      for (String f : new String[] {"parlor.db", "parlor.db-wal", "parlor.db-shm"}) {
        Path p = db.getParent().resolve(f);
        assertEquals("rw-------",
            java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(p)), f);
      }
    }
  }
}
