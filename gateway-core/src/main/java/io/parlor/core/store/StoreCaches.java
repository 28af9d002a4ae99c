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

  void afterTransaction() {
    for (Object cache : caches.values()) {
      if (cache instanceof AfterTransaction a) {
        a.afterTransaction();
      }
    }
  }
}
