package io.parlor.core.store;

import java.util.concurrent.CompletableFuture;

/**
 * The store's seam: every table is read and written through units of work ({@link SqlWork}) that
 * one of two implementations runs — {@link SqliteStore}, the embedded default (one file on disk),
 * or {@link PostgresStore} (a PostgreSQL database the operator runs). The tables' SQL is written
 * once, in the subset both databases speak; where they differ the SQL asks its connection's
 * {@link Dialect}.
 *
 * <p>Both implementations write through one {@link GroupCommitWriter} (many units of work per
 * commit, futures completed after the commit) and read committed data on their own connections.
 * Thread-safe. No method blocks: work is queued and a future completes after commit.
 */
public interface Store extends AutoCloseable {
  /** Runs {@code work} in the next group commit; completes after the commit. */
  <T> CompletableFuture<T> write(SqlWork<T> work);

  /**
   * Runs {@code work} in a group commit that may run at the same time as {@link #write}'s, on a
   * connection of its own (PostgreSQL, as another node's writer would): for a delivery's
   * bookkeeping — a message's removal, its reference, its status — which touches no table a cache
   * keeps (people, holds, keys) and needs no order with other writes. It waits while a forget-me
   * runs ({@link ForgetBarrier}). Elsewhere the same as {@link #write}.
   */
  default <T> CompletableFuture<T> writeConcurrently(SqlWork<T> work) {
    return write(work);
  }

  /**
   * As {@link #write}, for a caller that answers on its own thread (ingress on an event loop):
   * SQLite runs the unit on the calling thread when its writer is idle, commits, and completes the
   * future before returning — the caller blocks for one commit, and its continuations must be
   * short. Under load, and on PostgreSQL, the same as {@link #write}.
   */
  default <T> CompletableFuture<T> writeHere(SqlWork<T> work) {
    return write(work);
  }

  /**
   * As {@link #writeConcurrently}, for bookkeeping nobody waits on soon: it may wait for other
   * work to share a commit with (SQLite: the next commit, or at most about 100 ms) instead of
   * waking the writer. Still committed before any write queued after it ({@link
   * #writeAfterBookkeeping}).
   */
  default <T> CompletableFuture<T> writeLazily(SqlWork<T> work) {
    return writeConcurrently(work);
  }

  /**
   * Whether {@link #writeConcurrently} runs apart from {@link #write} (then a write may not see
   * bookkeeping queued before it until that commits).
   */
  default boolean writesApart() {
    return false;
  }

  /**
   * As {@link #write}, once the bookkeeping queued before it ({@link #writeConcurrently}) has
   * committed: for work that names a message by the reference its delivery's bookkeeping writes.
   */
  default <T> CompletableFuture<T> writeAfterBookkeeping(SqlWork<T> work) {
    return writesApart() ? writeConcurrently(c -> null).thenCompose(v -> write(work)) : write(work);
  }

  /** Runs {@code work} on a reader connection (sees committed data only). */
  <T> CompletableFuture<T> read(SqlWork<T> work);

  /**
   * Reads for one thread that reads often (the delivery scheduler's): SQLite runs them on the
   * calling thread, on a connection of that reader's own, and returns a completed future — no
   * hand-off to the reader thread and back for each delivery. Elsewhere they go to {@link #read}.
   * Use it from one thread at a time, for short reads only.
   */
  default Reader ownReader() {
    return new Reader() {
      @Override
      public <T> CompletableFuture<T> read(SqlWork<T> work) {
        return Store.this.read(work);
      }
    };
  }

  /** See {@link #ownReader}. */
  interface Reader {
    <T> CompletableFuture<T> read(SqlWork<T> work);
  }

  /** Whether the last commit succeeded and the writer runs. */
  boolean writable();

  /** Notes that rows were deleted, so the next {@link #checkpointIfDeleted} can clear their traces. */
  void noteDeletion();

  /** Runs {@link #checkpoint} when rows were deleted since the last time. */
  CompletableFuture<Void> checkpointIfDeleted();

  /**
   * Leaves no copy of deleted rows in the store's logs where the store can see to it: SQLite
   * truncates its write-ahead log; PostgreSQL's WAL and dead tuples are the server's (see
   * docs/scaling.md), so there it does nothing.
   */
  CompletableFuture<Void> checkpoint();

  /** The SQL dialect of this store's connections. */
  Dialect dialect();

  /** Where the store is, for logs and the admin status: a file path or a JDBC URL without secrets. */
  String describe();

  /**
   * Several nodes on one database: calls {@code onNotify} with the payload of each notification on
   * {@code channel} (on the store's listener thread; keep it short), and {@code onMissed} when
   * notifications may have been lost (the connection that listens was re-established). A store
   * one node owns (SQLite) has nobody else to hear from: nothing is ever called.
   */
  default void listen(String channel, java.util.function.Consumer<String> onNotify, Runnable onMissed) {}

  /**
   * Whether this node runs the work done once per cluster (housekeeping, adopting a dead node's
   * statuses). Always true on a store one node owns.
   */
  default boolean leads() {
    return true;
  }

  /** This node's name when several nodes share the store (PostgreSQL); empty on SQLite. */
  default java.util.Optional<String> clusterNode() {
    return java.util.Optional.empty();
  }

  @Override
  void close();
}
