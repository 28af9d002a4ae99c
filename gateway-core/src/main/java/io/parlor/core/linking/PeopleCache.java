package io.parlor.core.linking;

import io.parlor.core.store.StoreCaches;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * People, their accounts, handles and blocks as last committed, kept in memory so that routing a
 * message does not read the same few rows again and again (they were the store's largest cost).
 *
 * <p>Coherence: every change to people, accounts or blocks goes through {@link PeopleTable} on the
 * writer connection, which calls {@link #changed()}. From then until its transaction ends, nobody
 * uses the cache (the writer must see its own uncommitted change; a rollback must not leave it
 * behind); when it ends, the cache is emptied and its generation advances, so a reader that loaded
 * rows from an older snapshot cannot put them back. Bounded: a map that reaches {@link #MAX} is
 * emptied. Several nodes on one database: the change also notifies the others, which empty
 * their caches in the same way ({@link StoreCaches.Coherent}), and moves the cache version that
 * each of their units of work checks before the cache answers ({@link StoreCaches#checked}), so
 * that no node answers from before a change another node acknowledged. Thread-safe.
 */
final class PeopleCache implements StoreCaches.AfterTransaction, StoreCaches.Coherent {
  static final int MAX = 50_000;

  private final Map<String, Optional<Person>> people = new ConcurrentHashMap<>();
  private final Map<String, Optional<String>> byAccount = new ConcurrentHashMap<>();
  private final Map<String, Optional<String>> byHandle = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> blocks = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private volatile boolean changing;
  private long generation;

  /** The cache of the store behind {@code c}, or null when none. */
  static PeopleCache of(Connection c) throws SQLException {
    StoreCaches caches = StoreCaches.checked(c);
    return caches == null ? null : caches.get(PeopleCache.class, PeopleCache::new);
  }

  /** Loads a value from the database. */
  interface Loader<V> {
    V load() throws SQLException;
  }

  <V> V get(Map<String, V> map, String key, Loader<V> loader) throws SQLException {
    if (changing) {
      return loader.load();
    }
    V v = map.get(key);
    if (v != null) {
      return v;
    }
    long g;
    synchronized (lock) {
      g = generation;
    }
    v = loader.load();
    synchronized (lock) {
      if (!changing && g == generation) {
        if (map.size() >= MAX) {
          map.clear();
        }
        map.put(key, v);
      }
    }
    return v;
  }

  Map<String, Optional<Person>> people() {
    return people;
  }

  Map<String, Optional<String>> byAccount() {
    return byAccount;
  }

  Map<String, Optional<String>> byHandle() {
    return byHandle;
  }

  Map<String, Set<String>> blocks() {
    return blocks;
  }

  /** A write transaction changes people, accounts or blocks: bypass the cache until it ends. */
  void changed() {
    changing = true;
  }

  /** Another node committed a change to people, accounts or blocks: load them again. */
  @Override
  public void othersChanged() {
    synchronized (lock) {
      empty();
    }
  }

  @Override
  public void afterTransaction() {
    if (!changing) {
      return;
    }
    synchronized (lock) {
      empty();
      changing = false;
    }
  }

  /** Empties every map and advances the generation (a load begun before cannot refill it). Holds {@link #lock}. */
  private void empty() {
    generation++;
    people.clear();
    byAccount.clear();
    byHandle.clear();
    blocks.clear();
  }
}
