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
 * with group commit ({@link GroupCommitWriter}) — and, with a pool of three connections or more,
 * deliveries' bookkeeping through a second one ({@link #writeConcurrently}) — reads run on a pool
 * of reader threads, each borrowing a connection from a HikariCP pool of {@code store.poolSize}.
 *
 * <p>When the database goes away the writer's faults make the node answer 503 and fail its
 * readiness; the writer then opens a new connection and the node recovers by itself.
 *
 * <p>Several nodes share one database. Each holds, on a connection of its own (the listener),
 * a session advisory lock on its name — a second node started with the same {@code node.id}
 * refuses to start — and LISTENs there for what the others tell it: a lane with a new message,
 * a cache whose rows changed. One node at a time also holds the housekeeper lock ({@link
 * #leads}): it runs the cluster's housekeeping. Both locks live as long as the listener's
 * connection; when it breaks, the listener connects again, takes the locks again and tells its
 * listeners that notifications may have been missed.
 */
public final class PostgresStore implements Store {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PostgresStore.class);

  /** The class of the node-name locks (the two-int advisory lock form: class, hash of the name). */
  private static final int NODE_LOCK_CLASS = 0x70617201;

  /** The lock a node of the builds before several nodes held for as long as it ran. */
  private static final long OLD_NODE_LOCK = 0x7061726c6f72L + 1;

  /** How long a node that lost its listener's session tries to take its name again before it stops. */
  private static final long NAME_RETRY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

  /** The housekeeper lock: whoever holds it runs the cluster's housekeeping. */
  private static final long HOUSEKEEPER_LOCK = 0x7061726c6f72L + 2;

  private final String description;
  private final String node;
  private final HikariDataSource pool;
  /** The listener's connection: holds the locks, LISTENs. Used by the listener thread only. */
  private volatile Connection lock;
  private final String url;
  private final Properties props;
  private final Thread listener;
  private volatile boolean closed;
  private volatile boolean leader;
  /** channel → listeners; channels not yet LISTENed on the current connection wait in {@link #pendingChannels}. */
  private final java.util.Map<String, java.util.List<Listener>> listeners = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Queue<String> pendingChannels = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final StoreCaches caches;
  private final GroupCommitWriter writer;
  /** The second writer, for deliveries' bookkeeping ({@link #writeConcurrently}); null with a pool under 3. */
  private final GroupCommitWriter bookkeeping;
  private final ExecutorService readers;

  private record Listener(java.util.function.Consumer<String> onNotify, Runnable onMissed) {}

  private PostgresStore(String description, String node, String url, Properties props, HikariDataSource pool,
      Connection lock, StoreCaches caches, GroupCommitWriter writer, GroupCommitWriter bookkeeping, int readerThreads) {
    this.bookkeeping = bookkeeping;
    this.description = description;
    this.node = node;
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
    listen(StoreCaches.CACHE_CHANNEL, caches::othersChanged, () -> caches.othersChanged(null));
    this.listener = new Thread(this::listenLoop, "store-listener");
    listener.setDaemon(true);
    listener.start();
  }

  /**
   * The listener thread: hands notifications over, LISTENs on channels registered since, tries
   * for the housekeeper lock every 2 s, and connects again when its connection breaks.
   */
  private void listenLoop() {
    long nextCheck = 0;
    while (!closed) {
      Connection c = lock;
      try {
        for (String channel; (channel = pendingChannels.poll()) != null; ) {
          listenOn(c, channel); // should it fail, the reconnect LISTENs on every channel
        }
        org.postgresql.PGNotification[] ns = c.unwrap(org.postgresql.PGConnection.class).getNotifications(500);
        if (closed) {
          return; // what the notifications would tell is closing too
        }
        if (ns != null) {
          for (org.postgresql.PGNotification n : ns) {
            for (Listener l : listeners.getOrDefault(n.getName(), java.util.List.of())) {
              try {
                l.onNotify().accept(n.getParameter());
              } catch (RuntimeException e) {
                log.warn("a listener of {} failed", n.getName(), e);
              }
            }
          }
        }
        if (System.nanoTime() - nextCheck > 0) {
          nextCheck = System.nanoTime() + 2_000_000_000L;
          if (!c.isValid(2)) {
            throw new SQLException("the listener's connection is broken", "08006");
          }
          if (!leader) {
            leader = tryLock(c, "SELECT pg_try_advisory_lock(" + HOUSEKEEPER_LOCK + ")");
            if (leader) {
              log.info("this node runs the cluster's housekeeping");
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        leader = false;
        reconnect();
      }
    }
  }

  /**
   * The locks lived as long as the listener's connection: they are taken again as soon as the
   * database answers. If another node took this node's name meanwhile, this node stops at once
   * (exit 70, for its supervisor) rather than deliver the same lanes twice.
   */
  private void reconnect() {
    closeQuietly(lock);
    long nameSince = 0;
    while (!closed) {
      Connection fresh;
      try {
        fresh = DriverManager.getConnection(url, props);
      } catch (SQLException down) {
        sleep(2_000); // the database is away: writes fail and say so
        continue;
      }
      try {
        if (!tryNodeLock(fresh, node)) {
          closeQuietly(fresh);
          // the session this node had before may not be over yet on the server (its keepalives
          // end it within seconds): try again for a while before deciding another node took it
          if (nameSince == 0) {
            nameSince = System.nanoTime();
          }
          if (System.nanoTime() - nameSince < NAME_RETRY_NANOS) {
            sleep(2_000);
            continue;
          }
          log.error("another Parlor node named {} took the database {} while it was unreachable: stopping (exit 70)"
              + " rather than deliver the same lanes twice", node, description);
          Runtime.getRuntime().halt(70);
        }
        // listening again before anyone is told that something may have been missed
        for (String channel : listeners.keySet()) {
          listenOn(fresh, channel);
        }
      } catch (SQLException e) {
        closeQuietly(fresh);
        sleep(2_000);
        continue;
      }
      lock = fresh;
      pendingChannels.clear();
      log.info("the node lock on {} is held again", description);
      for (java.util.List<Listener> ls : listeners.values()) {
        for (Listener l : ls) {
          try {
            l.onMissed().run();
          } catch (RuntimeException e) {
            log.warn("a listener failed after the reconnect", e);
          }
        }
      }
      return;
    }
  }

  private static void listenOn(Connection c, String channel) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("LISTEN " + channel);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void listen(String channel, java.util.function.Consumer<String> onNotify, Runnable onMissed) {
    if (!channel.matches("[a-z_]+")) {
      throw new IllegalArgumentException("channel: lower-case letters and '_' only, got " + channel);
    }
    boolean first = listeners.computeIfAbsent(channel, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).isEmpty();
    listeners.get(channel).add(new Listener(onNotify, onMissed));
    if (first) {
      pendingChannels.add(channel);
    }
  }

  @Override
  public boolean leads() {
    return leader;
  }

  @Override
  public Optional<String> clusterNode() {
    return Optional.of(node);
  }

  /**
   * Connects, takes the node lock, and brings the schema to this build's version.
   *
   * @param poolSize most connections: one for the writer, the rest for readers
   * @param maxBatch most units of work in one commit
   */
  public static PostgresStore open(
      String url, Optional<String> user, Optional<String> password, int poolSize, int maxBatch, MeterRegistry meters) {
    return open(url, user, password, poolSize, maxBatch, meters, null, "parlor-1");
  }

  /**
   * As {@link #open}, sealing queued messages' payloads with {@code cipher} when it is not null,
   * as node {@code node} (unique among the nodes sharing the database).
   */
  public static PostgresStore open(String url, Optional<String> user, Optional<String> password, int poolSize,
      int maxBatch, MeterRegistry meters, PayloadCipher cipher, String node) {
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
      // the listener's session holds the node's locks: should the node's host or network vanish,
      // the server ends the session within seconds (not hours), and the locks with it
      Properties listenerProps = (Properties) props.clone();
      listenerProps.setProperty("options", "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3");
      lock = DriverManager.getConnection(url, listenerProps);
      if (!tryLock(lock, "SELECT pg_try_advisory_lock(" + OLD_NODE_LOCK + ")")) {
        throw new StoreException("a node of an older Parlor build (one node per database) is using the database "
            + description + ": stop it before starting this one", null);
      }
      tryLock(lock, "SELECT pg_advisory_unlock(" + OLD_NODE_LOCK + ")");
      if (!tryNodeLock(lock, node)) {
        throw new StoreException(
            "another Parlor node named " + node + " is using the database " + description
                + ": give each node its own node.id",
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
      caches.node(node);
      Connection w = pool.getConnection();
      Schema.createAndMigrate(w, Dialect.POSTGRES);
      if (cipher != null) {
        cipher.check(w);
        caches.get(PayloadCipher.class, () -> cipher);
      } else {
        PayloadCipher.checkNoneSealed(w);
      }
      GraphSeal seal = GraphSeal.open(w, Dialect.POSTGRES, cipher == null ? null : cipher.subkey(PayloadCipher.GRAPH_KEY_LABEL));
      caches.get(GraphSeal.class, () -> seal);
      HikariDataSource p = pool;
      GroupCommitWriter writer =
          new GroupCommitWriter(
              StatementCache.wrap(w, caches, true), () -> StatementCache.wrap(p.getConnection(), caches, true),
              caches, 10_000, maxBatch, meters);
      // with three connections or more, deliveries' bookkeeping has a writer of its own
      GroupCommitWriter bookkeeping;
      try {
        bookkeeping = poolSize < 3 ? null
            : new GroupCommitWriter(
                StatementCache.wrap(pool.getConnection(), caches, true),
                () -> StatementCache.wrap(p.getConnection(), caches, true), caches, 10_000, maxBatch, meters, true);
      } catch (SQLException | RuntimeException e) {
        writer.close(); // its thread would keep the JVM up
        throw e;
      }
      return new PostgresStore(description, node, url, listenerProps, pool, lock, caches, writer, bookkeeping,
          Math.max(1, poolSize - (bookkeeping == null ? 1 : 2)));
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

  /** Whether {@code c}'s session now holds the lock on node name {@code node} (as long as it lives). */
  private static boolean tryNodeLock(Connection c, String node) throws SQLException {
    try (java.sql.PreparedStatement ps =
        c.prepareStatement("SELECT pg_try_advisory_lock(" + NODE_LOCK_CLASS + ", hashtext(?))")) {
      ps.setString(1, node);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static boolean tryLock(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  /** The URL as logs and the admin status may show it: no query (which may carry credentials). */
  public static String redact(String url) {
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
  public boolean writesApart() {
    return bookkeeping != null;
  }

  @Override
  public <T> CompletableFuture<T> writeConcurrently(SqlWork<T> work) {
    return bookkeeping == null ? writer.submit(work) : bookkeeping.submit(work);
  }

  @Override
  public <T> CompletableFuture<T> read(SqlWork<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      readers.execute(
          () -> {
            try (Connection c = StatementCache.wrap(pool.getConnection(), caches)) {
              caches.begin();
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
    return writer.healthy() && (bookkeeping == null || bookkeeping.healthy());
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
    closed = true;
    listener.interrupt();
    writer.close();
    if (bookkeeping != null) {
      bookkeeping.close();
    }
    readers.shutdown();
    try {
      readers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.close();
    // the node's locks go last, with the listener's connection. The listener may be waiting for a
    // notification there, which an interrupt does not end (up to 500 ms): ending the connection does.
    Connection held = lock;
    if (held != null) {
      try {
        held.abort(Runnable::run);
      } catch (SQLException e) {
        log.debug("ending the listener's connection: {}", e.getMessage());
      }
    }
    try {
      listener.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly(lock); // a connection the listener made meanwhile
  }
}
