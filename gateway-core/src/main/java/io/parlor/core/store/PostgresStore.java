package io.parlor.core.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The store on a PostgreSQL database the operator runs ({@code store.type: postgres}). The same
 * tables and SQL as {@link SqliteStore} ({@link Dialect}); writes go through one writer connection
 * with group commit ({@link GroupCommitWriter}), reads run on a pool of reader threads, each
 * borrowing a connection from a HikariCP pool of {@code store.poolSize}.
 *
 * <p>When the database goes away the writer's faults make the node answer 503 and fail its
 * readiness; the writer then opens a new connection and the node recovers by itself.
 *
 * <p>One node per database, for now: the node holds a session advisory lock for as long as it
 * runs, and a second node on the same database refuses to start (several nodes on one database
 * need the conversation leases of the scale-out work; without them two nodes would deliver the
 * same queue twice).
 */
public final class PostgresStore implements Store {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PostgresStore.class);

  /** The node lock: any number, the same in every node. */
  private static final long NODE_LOCK = 0x7061726c6f72L + 1;

  private final String description;
  private final HikariDataSource pool;
  private volatile Connection lock;
  private final String url;
  private final Properties props;
  private final java.util.concurrent.ScheduledExecutorService lockWatch =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "store-node-lock");
        t.setDaemon(true);
        return t;
      });
  private final StoreCaches caches;
  private final GroupCommitWriter writer;
  private final ExecutorService readers;

  private PostgresStore(String description, String url, Properties props, HikariDataSource pool, Connection lock,
      StoreCaches caches, GroupCommitWriter writer, int readerThreads) {
    this.description = description;
    this.url = url;
    this.props = props;
    this.pool = pool;
    this.lock = lock;
    this.caches = caches;
    this.writer = writer;
    AtomicInteger n = new AtomicInteger();
    this.readers =
        Executors.newFixedThreadPool(
            readerThreads,
            run -> {
              Thread t = new Thread(run, "store-reader-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    lockWatch.scheduleWithFixedDelay(this::keepLock, 2, 2, TimeUnit.SECONDS);
  }

  /**
   * The node lock lives as long as its connection: when the database restarts or drops it, the
   * lock is gone too. It is taken again as soon as the database answers; if another node took it
   * meanwhile, this node stops at once (exit 70, for its supervisor) rather than deliver the
   * queue a second time.
   */
  private void keepLock() {
    try {
      if (lock.isValid(2)) {
        return;
      }
    } catch (SQLException e) {
      // as invalid
    }
    Connection fresh;
    try {
      fresh = DriverManager.getConnection(url, props);
    } catch (SQLException down) {
      return; // the database is away: writes fail and say so; try again in 2 s
    }
    try {
      if (tryLock(fresh)) {
        closeQuietly(lock);
        lock = fresh;
        log.info("the node lock on {} is held again", description);
        return;
      }
    } catch (SQLException e) {
      closeQuietly(fresh);
      return;
    }
    closeQuietly(fresh);
    log.error("another Parlor node took the database {} while it was unreachable: stopping (exit 70) rather than"
        + " deliver the same queue twice", description);
    Runtime.getRuntime().halt(70);
  }

  /**
   * Connects, takes the node lock, and brings the schema to this build's version.
   *
   * @param poolSize most connections: one for the writer, the rest for readers
   * @param maxBatch most units of work in one commit
   */
  public static PostgresStore open(
      String url, Optional<String> user, Optional<String> password, int poolSize, int maxBatch, MeterRegistry meters) {
    return open(url, user, password, poolSize, maxBatch, meters, null);
  }

  /** As {@link #open}, sealing queued messages' payloads with {@code cipher} when it is not null. */
  public static PostgresStore open(String url, Optional<String> user, Optional<String> password, int poolSize,
      int maxBatch, MeterRegistry meters, PayloadCipher cipher) {
    String description = redact(url);
    Connection lock = null;
    HikariDataSource pool = null;
    try {
      Properties props = new Properties();
      user.ifPresent(u -> props.setProperty("user", u));
      password.ifPresent(p -> props.setProperty("password", p));
      props.setProperty("ApplicationName", "parlor");
      props.setProperty("connectTimeout", "5");
      // a half-open socket (the database's host gone) is noticed, not waited on forever
      props.setProperty("tcpKeepAlive", "true");
      props.setProperty("socketTimeout", "30");
      lock = DriverManager.getConnection(url, props);
      if (!tryLock(lock)) {
        throw new StoreException(
            "another Parlor node is using the database " + description + ": one node per database"
                + " for now (several nodes on one database need conversation leases, not built yet)",
            null);
      }
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(url);
      hc.setDataSourceProperties(props);
      hc.setMaximumPoolSize(poolSize);
      hc.setMinimumIdle(Math.min(2, poolSize));
      hc.setPoolName("parlor-store");
      // a down database is answered with 503 within seconds, not after Hikari's 30 s default
      hc.setConnectionTimeout(3_000);
      hc.setValidationTimeout(2_000);
      hc.setInitializationFailTimeout(-1); // the first connection is the schema's, just below
      hc.setMetricRegistry(null);
      pool = new HikariDataSource(hc);
      StoreCaches caches = new StoreCaches(Dialect.POSTGRES);
      Connection w = pool.getConnection();
      Schema.createAndMigrate(w, Dialect.POSTGRES);
      if (cipher != null) {
        cipher.check(w);
        caches.get(PayloadCipher.class, () -> cipher);
      } else {
        PayloadCipher.checkNoneSealed(w);
      }
      HikariDataSource p = pool;
      GroupCommitWriter writer =
          new GroupCommitWriter(
              StatementCache.wrap(w, caches), () -> StatementCache.wrap(p.getConnection(), caches),
              caches, 10_000, maxBatch, meters);
      return new PostgresStore(description, url, props, pool, lock, caches, writer, Math.max(1, poolSize - 1));
    } catch (SQLException | RuntimeException e) {
      closeQuietly(lock);
      if (pool != null) {
        pool.close();
      }
      throw e instanceof SQLException
          ? new StoreException("cannot open store at " + description + ": " + e.getMessage(), e)
          : (RuntimeException) e;
    }
  }

  /** Whether {@code c}'s session now holds the node lock (it holds it as long as it lives). */
  private static boolean tryLock(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + NODE_LOCK + ")")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  /** The URL as logs and the admin status may show it: no query (which may carry credentials). */
  static String redact(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        log.debug("closing a connection: {}", e.getMessage());
      }
    }
  }

  @Override
  public <T> CompletableFuture<T> write(SqlWork<T> work) {
    return writer.submit(work);
  }

  @Override
  public <T> CompletableFuture<T> read(SqlWork<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      readers.execute(
          () -> {
            try (Connection c = StatementCache.wrap(pool.getConnection(), caches)) {
              f.complete(work.run(c));
            } catch (SQLException | RuntimeException e) {
              f.completeExceptionally(
                  GroupCommitWriter.storeFault(e)
                      ? new StoreUnavailableException("store read failed: the database is unreachable", e)
                      : new StoreException("store read failed", e));
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      f.completeExceptionally(new StoreException("store is closed", e));
    }
    return f;
  }

  @Override
  public boolean writable() {
    return writer.healthy();
  }

  @Override
  public void noteDeletion() {
    // nothing to truncate here: PostgreSQL's WAL and dead tuples are the server's
  }

  @Override
  public CompletableFuture<Void> checkpointIfDeleted() {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> checkpoint() {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Dialect dialect() {
    return Dialect.POSTGRES;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    lockWatch.shutdownNow();
    writer.close();
    readers.shutdown();
    try {
      readers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.close();
    closeQuietly(lock);
  }
}
