package io.parlor.core.store;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.metrics.MetricNames;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's only writer: one thread that takes queued units of work, runs as many as are
 * waiting (up to {@code maxBatch}) in one transaction, commits once, then completes their futures.
 * Many messages thus share one commit (and one fsync). A failing unit fails only its own future:
 * on PostgreSQL each unit runs in a savepoint of its own; on SQLite the units before it that may
 * run twice ({@link SqlWork#rerunnable}) are rolled back with it and run again ({@link
 * #runInRuns}). Futures complete in order on a second thread, so the continuations they run never
 * hold up the next commit.
 *
 * <p>When a write fails for a reason outside the work itself (a full disk, an I/O error, a
 * read-only filesystem), the writer rolls back, drops its compiled statements, fails the batch
 * and everything queued with {@link StoreUnavailableException}, and refuses new work at once
 * until its next attempt: 100 ms later, then doubling to 2 s. The next batch (or, when nothing
 * is queued, a probe that rewrites the schema version) is that attempt; the first that commits
 * ends the fault. The fault is logged once when it starts and once when it ends.
 *
 * <p>Thread-safe: {@link #submit} may be called from any thread and never blocks; when the queue
 * is full or the store cannot write it fails fast (back-pressure the caller turns into a 503).
 */
final class GroupCommitWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

  /** A unit of work; {@code alone} ones run outside any transaction (e.g. a WAL checkpoint). */
  private record Task<T>(SqlWork<T> work, CompletableFuture<T> future, boolean alone) {}

  private static final long FIRST_RETRY_MS = 100;
  private static final long MAX_RETRY_MS = 2_000;

  /** Opens a fresh writer connection after the last one broke (PostgreSQL); null for SQLite. */
  interface Reopen {
    Connection open() throws SQLException;
  }

  private Connection connection; // whoever holds the turn (the writer thread, or a caller of submitHere)
  private final Reopen reopen;
  private final Dialect dialect;
  /** Whether several transaction-control statements go to the database as one (PostgreSQL). */
  private final boolean pipelined;
  private final boolean bookkeeping;
  private final StoreCaches caches;
  private final BlockingQueue<Task<?>> queue;
  /** Units submitted lazily: no wake-up, they join the next batch (beyond its capacity, the queue). */
  private final BlockingQueue<Task<?>> lazy;
  private final int maxBatch;
  private final Thread thread;
  private final java.util.concurrent.ExecutorService completions =
      java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "store-completer");
        t.setDaemon(true);
        return t;
      });
  private final DistributionSummary batchSizes;
  private final io.micrometer.core.instrument.Timer commitTime;
  private volatile boolean running = true;
  private volatile boolean healthy = true;
  /** While not healthy: work is refused at once until this {@link System#nanoTime} instant. */
  private volatile long retryAt;
  private volatile String fault;
  // writer thread only
  private long retryMs;
  private long faultSince;
  private int failedAttempts;
  private long lastCheck = System.nanoTime();
  private static final long CHECK_IDLE_NS = TimeUnit.SECONDS.toNanos(1);

  GroupCommitWriter(
      Connection connection, StoreCaches caches, int queueCapacity, int maxBatch, MeterRegistry meters) {
    this(connection, null, caches, queueCapacity, maxBatch, meters);
  }

  GroupCommitWriter(
      Connection connection, Reopen reopen, StoreCaches caches, int queueCapacity, int maxBatch, MeterRegistry meters) {
    this(connection, reopen, caches, queueCapacity, maxBatch, meters, false);
  }

  /**
   * @param bookkeeping the second writer of a shared database ({@link Store#writeConcurrently}): its
   *     units touch no cached table, so it tells no cache about its transactions (the main
   *     writer's caches and keys are the main writer's alone), and each of its transactions holds
   *     the {@link ForgetBarrier} shared
   */
  GroupCommitWriter(Connection connection, Reopen reopen, StoreCaches caches, int queueCapacity, int maxBatch,
      MeterRegistry meters, boolean bookkeeping) {
    this.bookkeeping = bookkeeping;
    this.connection = connection;
    this.reopen = reopen;
    this.dialect = caches.dialect();
    this.pipelined = dialect == Dialect.POSTGRES;
    this.caches = caches;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.lazy = new ArrayBlockingQueue<>(Math.max(1, maxBatch));
    this.maxBatch = maxBatch;
    this.batchSizes =
        DistributionSummary.builder(MetricNames.STORE_COMMIT_BATCH)
            .description("units of work per commit (group commit)")
            .tag("writer", bookkeeping ? "bookkeeping" : "main")
            .register(meters);
    this.commitTime =
        io.micrometer.core.instrument.Timer.builder(MetricNames.STORE_COMMIT)
            .description("one group commit: its units of work and the COMMIT (fsync)")
            .tag("writer", bookkeeping ? "bookkeeping" : "main")
            .publishPercentileHistogram()
            .register(meters);
    this.thread = new Thread(this::loop, bookkeeping ? "store-writer-bookkeeping" : "store-writer");
    this.thread.setDaemon(false);
    this.thread.start();
  }

  <T> CompletableFuture<T> submit(SqlWork<T> work) {
    return submit(work, false);
  }

  /**
   * As {@link #submit}, for work nobody waits on soon (a delivery's bookkeeping): it does not wake
   * the writer but joins the next batch, ahead of that batch's other units, or runs on its own
   * once the writer has waited {@link #LAZY_WAIT_MS} ms for one (at most 100 ms when it came while
   * the writer was idle). Under little load each message's bookkeeping then shares the next
   * message's commit instead of taking a wake-up and a commit of its own.
   */
  <T> CompletableFuture<T> submitLazily(SqlWork<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    Task<T> t = new Task<>(work, f, false);
    StoreException refused = refusedNow();
    if (refused != null) {
      f.completeExceptionally(refused);
    } else if (!lazy.offer(t)) {
      if (queue.offer(t)) {
        java.util.concurrent.locks.LockSupport.unpark(thread); // more than maxBatch wait: no longer lazy
      } else {
        f.completeExceptionally(new StoreUnavailableException("store write queue is full", null));
      }
    }
    return f;
  }

  /** How long the writer waits for other work before it runs lazy units alone. */
  static final long LAZY_WAIT_MS = 20;

  /** Held while a batch is taken and run: by the writer thread, or by a caller of {@link #submitHere}. */
  private final java.util.concurrent.locks.ReentrantLock turn = new java.util.concurrent.locks.ReentrantLock();
  /** Completions handed to the completer and not yet run. */
  private final java.util.concurrent.atomic.AtomicInteger completing = new java.util.concurrent.atomic.AtomicInteger();
  /** While a caller of {@link #submitHere} runs a batch (under {@link #turn}): its futures complete on that caller. */
  private boolean inline;

  /**
   * As {@link #submit}, but when nobody is writing, the calling thread takes the turn: it runs the
   * batch — what is queued, then this unit — commits, and completes the futures itself, before
   * it returns. No hand-off to the writer thread and to the completer and back: under little load
   * those are most of an answer's latency and CPU. Under load the writer is busy, and the unit is
   * queued as by {@link #submit}. The caller may block for one commit, and its continuations run
   * before the next commit: for work answered on the calling thread with short continuations
   * (ingress on an event loop). When the completer still has futures to complete, the batch's go
   * to it, so that futures still complete in commit order.
   */
  <T> CompletableFuture<T> submitHere(SqlWork<T> work) {
    // not from a continuation of a batch this thread is running (that batch's futures complete
    // first), and not ahead of work queued for the writer thread (nor with it: a checkpoint would
    // run on this thread)
    if (!running || turn.isHeldByCurrentThread() || !queue.isEmpty() || !turn.tryLock()) {
      return submit(work);
    }
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      StoreException refused = refusedNow();
      if (refused != null) {
        f.completeExceptionally(refused);
        return f;
      }
      if (!queue.isEmpty()) {
        return submit(work); // queued meanwhile: the writer thread takes it, with this unit after it
      }
      List<Task<?>> batch = new ArrayList<>(lazy.size() + 1);
      lazy.drainTo(batch); // bookkeeping submitted before this unit: committed with it, ahead of it
      batch.add(new Task<>(work, f, false));
      inline = completing.get() == 0;
      runAll(batch);
    } catch (Error e) {
      // as on the writer thread, which dies of it and so ends the node (serve exits on any Error):
      // the transaction it left open must not serve another batch
      Thread.UncaughtExceptionHandler h = Thread.getDefaultUncaughtExceptionHandler();
      if (h != null) {
        h.uncaughtException(Thread.currentThread(), e);
      }
      throw e;
    } finally {
      inline = false;
      turn.unlock();
    }
    return f;
  }

  /** Runs {@code work} between two group commits, outside any transaction. */
  <T> CompletableFuture<T> submitAlone(SqlWork<T> work) {
    return submit(work, true);
  }

  private <T> CompletableFuture<T> submit(SqlWork<T> work, boolean alone) {
    CompletableFuture<T> f = new CompletableFuture<>();
    StoreException refused = refusedNow();
    if (refused != null) {
      f.completeExceptionally(refused);
    } else if (!queue.offer(new Task<>(work, f, alone))) {
      f.completeExceptionally(new StoreUnavailableException("store write queue is full", null));
    } else {
      java.util.concurrent.locks.LockSupport.unpark(thread);
    }
    return f;
  }

  /** Why work submitted now is refused at once (the store closed, or failing until its next attempt), or null. */
  private StoreException refusedNow() {
    if (!running) {
      return new StoreException("store is closed", null);
    }
    return !healthy && System.nanoTime() - retryAt < 0 ? unavailable(null) : null;
  }

  private StoreUnavailableException unavailable(Throwable cause) {
    return new StoreUnavailableException("store cannot write for now (" + fault + "); retrying", cause);
  }

  /** The caches the writer tells about its transactions (readers' connections share them). */
  StoreCaches caches() {
    return caches;
  }

  boolean healthy() {
    return healthy && running && thread.isAlive();
  }

  int queued() {
    return queue.size() + lazy.size();
  }

  private void loop() {
    List<Task<?>> batch = new ArrayList<>(maxBatch);
    List<Task<?>> taken = new ArrayList<>(maxBatch);
    while (running || !queue.isEmpty() || !lazy.isEmpty()) {
      try {
        // waits without taking anything: units are taken only under the turn, so that a caller of
        // submitHere never commits its unit ahead of one queued before it (submit unparks)
        if (queue.isEmpty()) {
          java.util.concurrent.locks.LockSupport.parkNanos(
              TimeUnit.MILLISECONDS.toNanos(lazy.isEmpty() ? 100 : LAZY_WAIT_MS));
          if (Thread.interrupted()) {
            throw new InterruptedException();
          }
        }
        turn.lock();
        Task<?> first = queue.poll();
        if (first == null && !lazy.isEmpty()) {
          lazy.drainTo(batch);
        } else if (first != null) {
          taken.add(first);
          queue.drainTo(taken, maxBatch - 1);
          // every lazy unit first: one queued before a unit taken here is then committed before it
          // (or with it), as with a single queue (Store#writeAfterBookkeeping relies on that); at
          // most maxBatch of them wait (beyond, they are queued), so a batch is at most twice that
          lazy.drainTo(batch);
          batch.addAll(taken);
          taken.clear();
        }
        if (batch.isEmpty()) {
          if (!healthy && running && System.nanoTime() - retryAt >= 0) {
            probe(); // nothing to write, but readiness waits on a write that succeeds
          } else if (healthy && running && reopen != null && System.nanoTime() - lastCheck > CHECK_IDLE_NS) {
            // a database server can go away while nothing is written: readiness should say so
            // before the next message finds out
            lastCheck = System.nanoTime();
            if (!valid(connection)) {
              probe();
            }
          }
          continue;
        }
        if (!healthy && System.nanoTime() - retryAt < 0) {
          refuse(batch); // queued just before the last attempt failed: not before the next one
          continue;
        }
        runAll(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } finally {
        if (turn.isHeldByCurrentThread()) {
          turn.unlock();
        }
        batch.clear();
      }
    }
    // after any caller of submitHere has finished its batch (it sees running false afterwards)
    turn.lock();
    try {
      for (Task<?> t; (t = queue.poll()) != null || (t = lazy.poll()) != null; ) {
        t.future.completeExceptionally(new StoreException("store is closed", null));
      }
      completions.shutdown();
    } finally {
      turn.unlock();
    }
  }

  /** Runs a batch's units: runs of them in one transaction each, those to run alone between. Under {@link #turn}. */
  private void runAll(List<Task<?>> batch) {
    int from = 0;
    for (int i = 0; i <= batch.size(); i++) {
      if (i == batch.size() || batch.get(i).alone) {
        if (i > from) {
          runBatch(batch.subList(from, i));
        }
        if (i < batch.size()) {
          runAlone(batch.get(i));
        }
        from = i + 1;
      }
    }
  }

  /** Runs {@code completion} on the completer thread, after those handed to it before. */
  private void completeLater(Runnable completion) {
    inline = false; // whatever this batch completes after this goes to the completer too, in order
    completing.incrementAndGet();
    try {
      completions.execute(() -> {
        try {
          completion.run();
        } finally {
          completing.decrementAndGet();
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      completing.decrementAndGet();
      throw closed;
    }
  }

  /**
   * Runs transaction-control SQL on a statement compiled once: {@link #connection} is wrapped in the
   * {@link StatementCache}. Executed as plain SQL, SQLite parsed and planned each of them again —
   * two per unit of work plus two per batch (async-profiler: 6 % of this thread).
   */
  private void exec(String sql) throws SQLException {
    try (java.sql.PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.execute();
    }
  }

  /**
   * A write that reaches the disk (SQLite: page 1 of the file; PostgreSQL: the schema version's
   * row): succeeds only when the store can write.
   */
  private void probe() {
    Task<Object> t = new Task<>(c -> {
      Schema.rewriteVersion(c, dialect);
      return null;
    }, new CompletableFuture<>(), false);
    runBatch(List.of(t));
  }

  private void refuse(List<Task<?>> tasks) {
    List<Task<?>> refused = List.copyOf(tasks);
    StoreUnavailableException e = unavailable(null);
    completeLater(() -> refused.forEach(t -> t.future.completeExceptionally(e)));
  }

  /**
   * Whether a failure is the store's (disk full, I/O error, read-only, locked, out of memory, the
   * database unreachable or shutting down) rather than the unit of work's own (a constraint, a
   * bug): then no unit of the batch can commit.
   */
  static boolean storeFault(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.sqlite.SQLiteException s) {
        int primary = s.getResultCode().code & 0xff;
        return switch (primary) {
          case 5, 6, 7, 8, 10, 11, 13, 14, 15, 26 -> true; // BUSY LOCKED NOMEM READONLY IOERR CORRUPT FULL CANTOPEN PROTOCOL NOTADB
          default -> false;
        };
      }
      if (t instanceof java.sql.SQLTransientConnectionException
          || t instanceof java.sql.SQLNonTransientConnectionException) {
        return true; // e.g. the pool found no live connection in time
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        // PostgreSQL: 08 connection, 53 insufficient resources (disk full, out of memory, too many
        // connections), 57P operator intervention (shutdown, starting up), 58 system (I/O),
        // 25006 a read-only transaction (a standby, or default_transaction_read_only)
        return state.startsWith("08") || state.startsWith("53") || state.startsWith("57P")
            || state.startsWith("58") || state.equals("25006");
      }
    }
    return false;
  }

  private void faulted(SQLException e) {
    failedAttempts++;
    long now = System.nanoTime();
    if (healthy) {
      faultSince = now;
      retryMs = FIRST_RETRY_MS;
      fault = String.valueOf(e.getMessage());
      healthy = false;
      log.error("store writes failing ({}): answering 503 and retrying until a write succeeds", fault);
    } else {
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      log.debug("store write attempt {} failed: {}", failedAttempts, e.getMessage());
    }
    retryAt = now + TimeUnit.MILLISECONDS.toNanos(retryMs);
    // what waits in the queue would fail the same way: its callers hear at once, not in 2 s
    List<Task<?>> waiting = new ArrayList<>();
    lazy.drainTo(waiting);
    queue.drainTo(waiting);
    refuse(waiting);
  }

  private void recovered() {
    healthy = true;
    log.info("store writes recovered after {} s ({} failed attempts)",
        String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - faultSince) / 1e9), failedAttempts);
    failedAttempts = 0;
    fault = null;
  }

  private void rollBackAndReset() {
    try (Statement st = connection.createStatement()) {
      st.execute("ROLLBACK");
    } catch (SQLException noTransaction) {
      log.debug("no transaction left to roll back: {}", noTransaction.getMessage());
    }
    if (connection instanceof StatementCache.Resettable r) {
      r.resetStatements();
    }
  }

  /**
   * After a fault: when the connection itself is broken (the database restarted, failed over,
   * dropped the socket), opens a new one for the next attempt; until one opens, attempts fail and
   * back off as for any fault. Called after the batch's callers were answered: opening may wait
   * for the pool's connection timeout.
   */
  private void reconnectIfBroken(SQLException fault) {
    // a connection to a server that became read-only (a failover left the old primary up as a
    // standby) is still valid, but will never write again: it is replaced too
    boolean readOnly = "25006".equals(fault.getSQLState());
    if (reopen != null && (readOnly || !valid(connection))) {
      try {
        connection.close(); // first: its pool slot is the new connection's
      } catch (SQLException alreadyGone) {
        log.debug("closing the broken writer connection: {}", alreadyGone.getMessage());
      }
      try {
        connection = reopen.open();
      } catch (SQLException | RuntimeException e) {
        log.debug("no new writer connection yet: {}", e.getMessage());
      }
    }
  }

  private static boolean valid(Connection c) {
    try {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * One transaction for the batch. SQLite: units in runs with no savepoint per unit ({@link
   * #runInRuns}). PostgreSQL: every unit in its own savepoint; each statement is a round trip, so
   * the RELEASE of one unit and the SAVEPOINT of the next go as one (as do BEGIN and the first
   * SAVEPOINT, the last RELEASE and COMMIT).
   */
  private void runBatch(List<Task<?>> batch) {
    Object[] results = new Object[batch.size()];
    Throwable[] errors = new Throwable[batch.size()];
    long started = System.nanoTime();
    caches.begin();
    try {
      // explicit transaction control: nothing stays open between batches, and IMMEDIATE takes
      // the write lock up front instead of upgrading a read lock half-way
      if (pipelined && connection instanceof StatementCache.Resettable r) {
        // PostgreSQL: each statement is a round trip, so transaction control goes with the
        // statements around it — the driver sends several statements and waits once: BEGIN and
        // the first SAVEPOINT with the first unit's first statement, a unit's RELEASE and the
        // next one's SAVEPOINT with the next unit's first statement (or with the unit's deferred
        // updates, Pipeline), the last RELEASE with the COMMIT. A savepoint stays defined after a
        // ROLLBACK TO, so the next unit runs in it as well.
        r.deferControl(dialect.begin() + (bookkeeping ? "; " + ForgetBarrier.SHARED : "") + "; SAVEPOINT unit");
        boolean committed = false;
        for (int i = 0; i < batch.size(); i++) {
          boolean last = i == batch.size() - 1;
          errors[i] = runPipelined(r, batch.get(i), results, i, last);
          committed = last && errors[i] == null;
        }
        if (!committed) {
          r.executeWithPending("COMMIT");
        }
      } else {
        exec(dialect.begin());
        runInRuns(batch, results, errors);
        exec("COMMIT");
      }
      if (!healthy) {
        recovered();
      }
      // before any future completes: nobody may see a cache entry the transaction outdated
      caches.afterCommit(connection);
      afterTransaction();
    } catch (SQLException e) {
      rollBackAndReset();
      caches.afterRollback();
      afterTransaction();
      faulted(e);
      List<Task<?>> failed = List.copyOf(batch);
      StoreUnavailableException err = unavailable(e);
      completeLater(() -> {
        for (Task<?> t : failed) {
          t.future.completeExceptionally(err);
        }
      });
      reconnectIfBroken(e);
      return;
    }
    batchSizes.record(batch.size());
    commitTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    // Completing runs the callers' continuations (answers, deliveries, status callbacks): on the
    // completer thread, in order, so that the writer goes on to the next batch at once; or on the
    // caller that took the turn (submitHere), when the completer had nothing left to complete
    List<Task<?>> done = List.copyOf(batch);
    Runnable completion = () -> {
      for (int i = 0; i < done.size(); i++) {
        complete(done.get(i), results[i], errors[i]);
      }
    };
    if (inline) {
      completion.run();
    } else {
      completeLater(completion);
    }
  }

  /**
   * The batch in runs (SQLite): each run is as many units marked {@link SqlWork#rerunnable} as
   * follow one another, then the next unit not marked, if any; no unit has a savepoint of its own.
   * A run starts at a point it can roll back to: the transaction's start for the first run, a
   * savepoint for the others. When one of its units fails, the run is rolled back there and run
   * again from its start without that unit: the units before it run twice (they may), a unit not
   * marked never does (it ends its run). Failures are rare; what this saves is a SAVEPOINT and a
   * RELEASE per unit, and the copy SQLite makes of each page a unit changes when a savepoint is
   * open (docs/benchmarks.md).
   */
  private void runInRuns(List<Task<?>> batch, Object[] results, Throwable[] errors) throws SQLException {
    for (int start = 0, end; start < batch.size(); start = end + 1) {
      end = start; // the run is [start, end]
      while (end < batch.size() - 1 && batch.get(end).work instanceof SqlWork.Rerunnable<?>) {
        end++;
      }
      boolean first = start == 0;
      if (!first) {
        exec("SAVEPOINT run");
      }
      for (int i = start; i <= end; i++) {
        if (errors[i] != null) {
          continue; // failed in an earlier pass over this run
        }
        errors[i] = runUnit(batch.get(i), results, i);
        if (errors[i] != null) {
          if (first) {
            exec("ROLLBACK");
            caches.afterRollback();
            caches.begin();
            exec(dialect.begin());
          } else {
            exec("ROLLBACK TO run");
          }
          i = start - 1; // again from the run's start, without the failed unit
        }
      }
      if (!first) {
        exec("RELEASE run");
      }
    }
  }

  /** Runs one unit; returns its own failure, or null. A store fault is thrown: nothing commits. */
  private Throwable runUnit(Task<?> task, Object[] results, int i) throws SQLException {
    try {
      results[i] = task.work.run(connection);
      return null;
    } catch (SQLException | RuntimeException e) {
      if (storeFault(e)) {
        throw e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
      }
      results[i] = null;
      return e;
    }
  }

  /**
   * As {@link #runUnit}, on a connection that defers updates and transaction control: the unit's
   * deferred updates go with its RELEASE (should they fail, the unit fails); without any, the
   * RELEASE waits for the next unit's first statement; the last unit's goes with the COMMIT.
   */
  private Throwable runPipelined(StatementCache.Resettable r, Task<?> task, Object[] results, int i, boolean last)
      throws SQLException {
    try {
      results[i] = task.work.run(r);
      if (last) {
        r.executeWithPending("RELEASE unit; COMMIT");
      } else if (r.pendingUpdates()) {
        r.executeWithPending("RELEASE unit; SAVEPOINT unit");
      } else {
        r.deferControl("RELEASE unit; SAVEPOINT unit");
      }
      return null;
    } catch (SQLException | RuntimeException e) {
      // nothing of the unit reached the database when the control before it is still held back
      boolean untouched = r.discardUpdates();
      if (storeFault(e) || savepointLost(e)) {
        throw e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
      }
      if (!untouched) {
        exec("ROLLBACK TO unit");
      }
      return e;
    }
  }

  /**
   * Whether the transaction control sent with a unit's first statement failed (no such
   * savepoint): the units before it cannot be told apart from this one, so none commits.
   */
  private static boolean savepointLost(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && "3B001".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private void runAlone(Task<?> task) {
    Object result = null;
    Throwable error = null;
    caches.begin();
    try {
      result = task.work.run(connection);
      if (connection instanceof StatementCache.Resettable r) {
        r.executeWithPending(null);
      }
    } catch (SQLException | RuntimeException e) {
      if (connection instanceof StatementCache.Resettable r) {
        r.discardUpdates();
      }
      error = e;
    }
    if (error == null) {
      caches.afterCommit(connection);
    } else {
      caches.afterRollback();
    }
    afterTransaction();
    Object r = result;
    Throwable err = error;
    if (inline) {
      complete(task, r, err);
    } else {
      completeLater(() -> complete(task, r, err));
    }
  }

  private void afterTransaction() {
    if (!bookkeeping) {
      caches.afterTransaction();
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void complete(Task<T> task, Object result, Throwable error) {
    if (error != null) {
      task.future.completeExceptionally(
          error instanceof StoreException ? error : new StoreException("store operation failed", error));
    } else {
      task.future.complete((T) result);
    }
  }

  @Override
  public void close() {
    running = false;
    java.util.concurrent.locks.LockSupport.unpark(thread); // not parked until its next check, up to 100 ms
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
      completions.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
