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
 * Many messages thus share one commit (and one fsync). Each unit runs inside its own savepoint, so
 * a failing unit is rolled back alone and fails only its own future. Futures complete in order on
 * a second thread, so the continuations they run never hold up the next commit.
 *
 * <p>Thread-safe: {@link #submit} may be called from any thread and never blocks; when the queue
 * is full it fails fast (back-pressure the caller turns into a 503).
 */
final class GroupCommitWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

  /** A unit of work; {@code alone} ones run outside any transaction (e.g. a WAL checkpoint). */
  private record Task<T>(SqlWork<T> work, CompletableFuture<T> future, boolean alone) {}

  private final Connection connection;
  private final StoreCaches caches;
  private final BlockingQueue<Task<?>> queue;
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

  GroupCommitWriter(
      Connection connection, StoreCaches caches, int queueCapacity, int maxBatch, MeterRegistry meters) {
    this.connection = connection;
    this.caches = caches;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.maxBatch = maxBatch;
    this.batchSizes =
        DistributionSummary.builder(MetricNames.STORE_COMMIT_BATCH)
            .description("units of work per commit (group commit)")
            .register(meters);
    this.commitTime =
        io.micrometer.core.instrument.Timer.builder(MetricNames.STORE_COMMIT)
            .description("one group commit: its units of work and the COMMIT (fsync)")
            .publishPercentileHistogram()
            .register(meters);
    this.thread = new Thread(this::loop, "store-writer");
    this.thread.setDaemon(false);
    this.thread.start();
  }

  <T> CompletableFuture<T> submit(SqlWork<T> work) {
    return submit(work, false);
  }

  /** Runs {@code work} between two group commits, outside any transaction. */
  <T> CompletableFuture<T> submitAlone(SqlWork<T> work) {
    return submit(work, true);
  }

  private <T> CompletableFuture<T> submit(SqlWork<T> work, boolean alone) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (!running) {
      f.completeExceptionally(new StoreException("store is closed", null));
    } else if (!queue.offer(new Task<>(work, f, alone))) {
      f.completeExceptionally(new StoreException("store write queue is full", null));
    }
    return f;
  }

  boolean healthy() {
    return healthy && running && thread.isAlive();
  }

  int queued() {
    return queue.size();
  }

  private void loop() {
    List<Task<?>> batch = new ArrayList<>(maxBatch);
    while (running || !queue.isEmpty()) {
      try {
        Task<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
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
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } finally {
        batch.clear();
      }
    }
    for (Task<?> t; (t = queue.poll()) != null; ) {
      t.future.completeExceptionally(new StoreException("store is closed", null));
    }
    completions.shutdown();
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

  private void runBatch(List<Task<?>> batch) {
    Object[] results = new Object[batch.size()];
    Throwable[] errors = new Throwable[batch.size()];
    long started = System.nanoTime();
    try {
      // explicit transaction control: nothing stays open between batches, and IMMEDIATE takes
      // the write lock up front instead of upgrading a read lock half-way
      exec("BEGIN IMMEDIATE");
      for (int i = 0; i < batch.size(); i++) {
        exec("SAVEPOINT unit");
        try {
          results[i] = batch.get(i).work.run(connection);
          exec("RELEASE unit");
        } catch (SQLException | RuntimeException e) {
          exec("ROLLBACK TO unit");
          exec("RELEASE unit");
          errors[i] = e;
        }
      }
      exec("COMMIT");
      healthy = true;
      // before any future completes: nobody may see a cache entry the transaction outdated
      caches.afterTransaction();
    } catch (SQLException e) {
      healthy = false;
      log.error("store commit failed; {} units of work failed", batch.size(), e);
      try (Statement st = connection.createStatement()) {
        st.execute("ROLLBACK");
      } catch (SQLException noTransaction) {
        log.debug("no transaction left to roll back: {}", noTransaction.getMessage());
      }
      caches.afterTransaction();
      List<Task<?>> failed = List.copyOf(batch);
      completions.execute(() -> {
        for (Task<?> t : failed) {
          t.future.completeExceptionally(new StoreException("commit failed", e));
        }
      });
      return;
    }
    batchSizes.record(batch.size());
    commitTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    // Completing runs the callers' continuations (answers, deliveries, status callbacks): on the
    // completer thread, in order, so that the writer goes on to the next batch at once.
    List<Task<?>> done = List.copyOf(batch);
    completions.execute(() -> {
      for (int i = 0; i < done.size(); i++) {
        complete(done.get(i), results[i], errors[i]);
      }
    });
  }

  private void runAlone(Task<?> task) {
    Object result = null;
    Throwable error = null;
    try {
      result = task.work.run(connection);
    } catch (SQLException | RuntimeException e) {
      error = e;
    }
    caches.afterTransaction();
    Object r = result;
    Throwable err = error;
    completions.execute(() -> complete(task, r, err));
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
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
      completions.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
