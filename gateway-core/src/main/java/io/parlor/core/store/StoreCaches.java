package io.parlor.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * In-memory caches of one store, reachable from its connections ({@link #of}). A cache that
 * implements {@link AfterTransaction} hears about the end of every write transaction on the writer
 * thread, committed or rolled back, which is where it drops what a transaction changed.
 * Thread-safe.
 */
public final class StoreCaches {
  private final Map<Class<?>, Object> caches = new ConcurrentHashMap<>();
  private final Dialect dialect;

  StoreCaches(Dialect dialect) {
    this.dialect = dialect;
  }

  /** The SQL dialect of the store these caches belong to. */
  Dialect dialect() {
    return dialect;
  }

  /** The channel on which PostgreSQL tells every node that a cache's rows changed. */
  static final String CACHE_CHANNEL = "parlor_cache";

  /** This node's name on a store that several nodes share (PostgreSQL); null on SQLite. */
  private volatile String node;

  void node(String name) {
    this.node = name;
  }

  /** The name of the node that owns {@code c}'s store when several share it; null otherwise. */
  public static String node(Connection c) {
    StoreCaches caches = of(c);
    return caches == null ? null : caches.node;
  }

  /**
   * A cache of rows that other nodes may change: when they do, it is emptied ({@link
   * #othersChanged}), as it is when a notification may have been missed (after a reconnect).
   */
  public interface Coherent {
    void othersChanged();
  }

  /**
   * Tells the other nodes, when this transaction commits, that rows behind {@code cache} changed
   * (PostgreSQL NOTIFY, and the version moved after the commit; nothing on a store one node owns).
   * A rolled-back transaction tells nobody.
   */
  public static void notifyOthers(Connection c, Class<? extends Coherent> cache) throws SQLException {
    StoreCaches caches = of(c);
    if (caches == null || caches.node == null) {
      return;
    }
    caches.moved.set(Boolean.TRUE);
    try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_notify('" + CACHE_CHANNEL + "', ?)")) {
      ps.setString(1, caches.node + " " + cache.getSimpleName());
      ps.executeQuery().close();
    }
  }

  /**
   * Several nodes: the {@code cache_version} sequence (schema migration 12) as this node's coherent
   * caches last saw it. A node moves the sequence after each commit that changed their rows and
   * before it answers anyone ({@link #afterCommit}); every unit of work that consults a coherent
   * cache reads it first, once ({@link #checked}), and empties the caches when it moved. So a
   * change another node has acknowledged is seen by the next unit here, whether or not its
   * notification has arrived yet (the notification stays: it empties idle caches early).
   */
  private volatile long version = Long.MIN_VALUE;

  /** Set on a thread when a unit of work begins there and a cache has not been checked in it yet. */
  private final ThreadLocal<Boolean> unchecked = new ThreadLocal<>();

  /** Set on a writer's thread when its transaction changed a coherent cache's rows. */
  private final ThreadLocal<Boolean> moved = new ThreadLocal<>();

  /**
   * A unit of work (a writer's transaction, a read) begins on this thread: the first coherent cache
   * it consults checks the version first. Nothing on a store one node owns.
   */
  void begin() {
    if (node != null) {
      unchecked.set(Boolean.TRUE);
    }
  }

  /**
   * Before a coherent cache answers on {@code c}: when other nodes share the store and this unit
   * of work has not checked yet, reads the version and empties every coherent cache if it moved.
   * Returns the caches of {@code c}'s store, or null for a connection no store wraps.
   */
  public static StoreCaches checked(Connection c) throws SQLException {
    StoreCaches caches = of(c);
    if (caches != null && caches.node != null && caches.unchecked.get() != null) {
      caches.unchecked.remove();
      long now;
      try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT last_value FROM cache_version");
          java.sql.ResultSet rs = ps.executeQuery()) {
        now = rs.next() ? rs.getLong(1) : Long.MIN_VALUE;
      }
      if (now != caches.version) {
        caches.version = now;
        caches.othersChanged((String) null);
      }
    }
    return caches;
  }

  /**
   * The writer committed: when its transaction changed a coherent cache's rows, moves the
   * version, before the callers are answered. A failure is logged: the notification sent at
   * commit still empties the others' caches.
   */
  void afterCommit(Connection c) {
    if (moved.get() == null) {
      return;
    }
    moved.remove();
    try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT nextval('cache_version')")) {
      ps.executeQuery().close();
    } catch (SQLException e) {
      org.slf4j.LoggerFactory.getLogger(StoreCaches.class)
          .warn("could not move the cache version after a change to people or holds ({}); other nodes see it when notified", e.getMessage());
    }
  }

  /** The writer's transaction was rolled back: nothing it changed needs telling. */
  void afterRollback() {
    moved.remove();
  }

  /**
   * A notification on {@link #CACHE_CHANNEL}: "node cache". Empties that cache unless this node
   * sent it; {@code null} (notifications may have been missed) empties every coherent cache.
   */
  void othersChanged(String payload) {
    String[] p = payload == null ? null : payload.split(" ", 2);
    if (p != null && (p.length < 2 || p[0].equals(node))) {
      return;
    }
    for (Object cache : caches.values()) {
      if (cache instanceof Coherent c && (p == null || cache.getClass().getSimpleName().equals(p[1]))) {
        c.othersChanged();
      }
    }
  }

  /** Told when a write transaction ended (on the writer thread, after commit or rollback). */
  public interface AfterTransaction {
    void afterTransaction();
  }

  /**
   * The caches of the store that owns {@code c}, or null for a connection that no store wraps
   * (callers then go to the database every time).
   */
  public static StoreCaches of(Connection c) {
    try {
      return c.isWrapperFor(StoreCaches.class) ? c.unwrap(StoreCaches.class) : null;
    } catch (SQLException e) {
      return null;
    }
  }

  /** The cache of {@code type}, or null when there is none. */
  public <T> T find(Class<T> type) {
    return type.cast(caches.get(type));
  }

  /** The cache of {@code type}, made by {@code create} on first use. */
  public <T> T get(Class<T> type, Supplier<T> create) {
    return type.cast(caches.computeIfAbsent(type, t -> create.get()));
  }

  /** Write transactions the main writer has ended, committed or rolled back (written on its thread). */
  private volatile long transactions;

  /**
   * How many write transactions the main writer of {@code c}'s store has ended so far, committed
   * or rolled back; -1 for a connection no store wraps. A row a unit of work stored during
   * transaction {@code n} is committed when a unit finds it while this is past {@code n}; while
   * it is still {@code n}, that unit may yet be rolled back (what a cache must not keep).
   */
  public static long transactions(Connection c) {
    StoreCaches caches = of(c);
    return caches == null ? -1 : caches.transactions;
  }

  void afterTransaction() {
    transactions++;
    for (Object cache : caches.values()) {
      if (cache instanceof AfterTransaction a) {
        a.afterTransaction();
      }
    }
  }
}
