package io.parlor.core.safety;

import io.parlor.core.store.StoreCaches;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;

/**
 * The parties held now (sealed, as table {@code holds} keeps them), in memory: every message asks
 * whether its sender is held, and almost never is. Loaded whole on first use; holds are few (a
 * store with more than {@link #MAX} is asked every time instead).
 *
 * <p>Coherence as {@code PeopleCache}'s: every change to {@code holds} goes through {@link Reports}
 * on the writer connection, which calls {@link #changed}; from then until its transaction ends,
 * nobody uses the set, and when it ends the set is dropped and its generation advances, so a
 * reader that loaded an older snapshot cannot put it back. Several nodes on one database: the
 * change also notifies the others, which drop theirs. Thread-safe.
 */
final class HeldParties implements StoreCaches.AfterTransaction, StoreCaches.Coherent {
  static final int MAX = 100_000;

  private final Object lock = new Object();
  /** Sealed parties whose hold is not released; null when not loaded. */
  private volatile Set<String> held;
  private volatile boolean changing;
  /** Set when the last load found more than {@link #MAX}: asked every time until the next change. */
  private volatile boolean tooMany;
  private long generation;

  /** The set of the store behind {@code c}, or null when none. */
  static HeldParties of(Connection c) throws SQLException {
    StoreCaches caches = StoreCaches.checked(c);
    return caches == null ? null : caches.get(HeldParties.class, HeldParties::new);
  }

  /**
   * Whether either sealed party is held; null when the set cannot answer (a transaction is
   * changing holds, or there are too many to keep): the caller asks the database.
   */
  Boolean held(Connection c, String sealed, String orSealed) throws SQLException {
    if (changing || tooMany) {
      return null;
    }
    Set<String> s = held;
    if (s == null) {
      long g;
      synchronized (lock) {
        g = generation;
      }
      s = load(c);
      synchronized (lock) {
        if (!changing && g == generation) {
          if (s == null) {
            tooMany = true;
          } else {
            held = s;
          }
        }
      }
      if (s == null) {
        return null;
      }
    }
    return s.contains(sealed) || s.contains(orSealed);
  }

  private static Set<String> load(Connection c) throws SQLException {
    Set<String> out = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT party FROM holds WHERE state <> ? LIMIT ?")) {
      ps.setString(1, Reports.RELEASED);
      ps.setInt(2, MAX + 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out.size() > MAX ? null : out;
  }

  /** A write transaction changes holds: bypass the set until it ends. */
  void changed() {
    changing = true;
  }

  /** Another node committed a change to holds: load them again. */
  @Override
  public void othersChanged() {
    synchronized (lock) {
      drop();
    }
  }

  @Override
  public void afterTransaction() {
    if (!changing) {
      return;
    }
    synchronized (lock) {
      drop();
      changing = false;
    }
  }

  /** Holds {@link #lock}. */
  private void drop() {
    generation++;
    held = null;
    tooMany = false;
  }
}
