package io.parlor.core.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Wraps a connection so that {@code prepareStatement(sql)} returns a cached statement whose
 * {@code close()} only clears its parameters. SQLite compiles SQL on every prepare, which was the
 * writer thread's largest cost; units of work keep their plain try-with-resources JDBC code.
 * {@code unwrap(StoreCaches.class)} gives the store's in-memory caches. Confined to the one thread
 * that owns the connection.
 *
 * <p>A connection wrapped with {@code pipelined} (PostgreSQL's writer, where every statement is a
 * round trip to the server) also holds back updates deferred with {@link Pipeline#update}, and the
 * writer's transaction control between two units ({@link Resettable#deferControl}): they go to
 * the server with the next statement the connection runs, as one multi-statement round trip (the
 * driver sends them all and waits once), or with the writer's transaction control when the unit
 * of work ends ({@link Resettable#executeWithPending}).
 */
final class StatementCache {
  private StatementCache() {}

  /** Most distinct multi-statement combinations kept prepared; others are prepared each time. */
  private static final int MAX_COMBINED = 256;

  /** A connection whose cached statements can be dropped (after a failed write, see below). */
  interface Resettable extends Connection {
    /**
     * Closes every cached statement; the next prepare compiles afresh. After a statement failed
     * half-way (a full disk during a step or a COMMIT), the driver may refuse to run it again
     * ("statement is not executing"), so the writer drops them all before it retries. Deferred
     * updates are dropped too.
     */
    void resetStatements();

    /**
     * Runs {@code sql} (no parameters, no result read; null: nothing) after the deferred updates,
     * in one round trip.
     */
    void executeWithPending(String sql) throws SQLException;

    /**
     * Holds back transaction control ({@code sql}, no parameters) until the next statement or
     * {@link #executeWithPending}: the writer's RELEASE and SAVEPOINT between two units go with
     * the next unit's first statement.
     */
    void deferControl(String sql);

    /** Whether updates are deferred (not transaction control). */
    boolean pendingUpdates();

    /**
     * Drops the deferred updates (their unit failed and is rolled back); returns whether deferred
     * transaction control is still held back — then nothing of the failed unit reached the
     * database, and the control goes with the next statement.
     */
    boolean discardUpdates();
  }

  /** The statements of a pipelined connection: deferred with {@link Pipeline#update}. */
  interface Deferrable extends PreparedStatement {
    void defer() throws SQLException;
  }

  /** A deferred update (or transaction control): its SQL and the setter calls that bound it. */
  private record Pending(String sql, List<Object[]> calls, boolean control) {}

  static Resettable wrap(Connection target, StoreCaches caches) {
    return wrap(target, caches, false);
  }

  static Resettable wrap(Connection target, StoreCaches caches, boolean pipelined) {
    Map<List<Object>, PreparedStatement> cache = new HashMap<>();
    // (not pipelined) the wrapper handed out for each cached statement, made once: a proxy per
    // prepare cost more than the statement's own binding on the writer's hot path
    Map<PreparedStatement, PreparedStatement> wrappers = pipelined ? null : new java.util.IdentityHashMap<>();
    List<Pending> pending = new ArrayList<>();
    InvocationHandler h =
        (proxy, method, args) -> {
          String name = method.getName();
          if (args != null && args.length == 1 && args[0] == StoreCaches.class) {
            if (name.equals("unwrap")) {
              return caches;
            }
            if (name.equals("isWrapperFor")) {
              return true;
            }
          }
          if (name.equals("prepareStatement")
              && args != null
              && (args.length == 1 || (args.length == 2 && args[1] instanceof Integer))) {
            List<Object> key = args.length == 1 ? List.of(args[0]) : List.of(args[0], args[1]);
            PreparedStatement ps = cache.get(key);
            if (ps == null || ps.isClosed()) {
              if (ps != null && wrappers != null) {
                wrappers.remove(ps);
              }
              ps = (PreparedStatement) invoke(method, target, args);
              cache.put(key, ps);
            }
            return pipelined ? pipelined((String) args[0], ps, target, cache, pending)
                : wrappers.computeIfAbsent(ps, StatementCache::reusable);
          }
          if (name.equals("executeWithPending")) {
            String sql = (String) args[0];
            if (sql == null) {
              if (!pending.isEmpty()) {
                runCombined(target, cache, pending, null, List.of(), false);
              }
            } else if (pending.isEmpty()) {
              try (PreparedStatement ps = ((Connection) proxy).prepareStatement(sql)) {
                ps.execute();
              }
            } else {
              runCombined(target, cache, pending, sql, List.of(), false);
            }
            return null;
          }
          if (name.equals("deferControl")) {
            pending.add(new Pending((String) args[0], List.of(), true));
            return null;
          }
          if (name.equals("pendingUpdates")) {
            return pending.stream().anyMatch(p -> !p.control());
          }
          if (name.equals("discardUpdates")) {
            pending.removeIf(p -> !p.control());
            return !pending.isEmpty();
          }
          if (name.equals("resetStatements") || name.equals("close")) {
            pending.clear();
            for (PreparedStatement ps : cache.values()) {
              try {
                ps.close();
              } catch (java.sql.SQLException ignored) {
                // a statement the failure left broken: it is dropped all the same
              }
            }
            cache.clear();
            if (wrappers != null) {
              wrappers.clear();
            }
            if (name.equals("resetStatements")) {
              return null;
            }
          }
          return invoke(method, target, args);
        };
    return (Resettable)
        Proxy.newProxyInstance(StatementCache.class.getClassLoader(), new Class<?>[] {Resettable.class}, h);
  }

  private static PreparedStatement reusable(PreparedStatement ps) {
    return new ReusableStatement(ps);
  }

  /**
   * A cached statement of a pipelined connection: records its setter calls, so that a deferred
   * update can be bound again into a multi-statement round trip; runs what was deferred before it
   * with its own {@code executeQuery} or {@code executeUpdate}, and before anything else it runs.
   */
  private static PreparedStatement pipelined(
      String sql, PreparedStatement ps, Connection target, Map<List<Object>, PreparedStatement> cache,
      List<Pending> pending) {
    // the parameters bound now, by index (the last set wins, as in JDBC); also bound on ps itself
    java.util.TreeMap<Integer, Object[]> calls = new java.util.TreeMap<>();
    InvocationHandler h =
        (proxy, method, args) -> {
          String name = method.getName();
          if (name.equals("close") && (args == null || args.length == 0)) {
            calls.clear();
            ps.clearParameters();
            ps.clearBatch();
            return null;
          }
          if (name.equals("clearParameters")) {
            calls.clear();
          } else if (name.startsWith("set") && args != null && args.length >= 2 && args[0] instanceof Integer i) {
            Object[] call = new Object[args.length + 1];
            call[0] = method;
            System.arraycopy(args, 0, call, 1, args.length);
            calls.put(i, call);
          } else if (name.equals("defer")) {
            pending.add(new Pending(sql, List.copyOf(calls.values()), false));
            return null;
          } else if (!pending.isEmpty() && (args == null || args.length == 0)
              && (name.equals("executeQuery") || name.equals("executeUpdate"))) {
            // its parameters stay bound (on ps too), as after any execution
            return runCombined(target, cache, pending, sql, List.copyOf(calls.values()), name.equals("executeQuery"));
          } else if (!pending.isEmpty() && name.startsWith("execute")) {
            runCombined(target, cache, pending, null, List.of(), false);
          }
          return invoke(method, ps, args);
        };
    return (PreparedStatement)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(), new Class<?>[] {Deferrable.class}, h);
  }

  /**
   * Sends the deferred updates and then {@code last} (null: none) bound by {@code lastCalls} as one
   * multi-statement round trip; returns {@code last}'s result set ({@code query}) or update count.
   * The deferred updates are gone afterwards, whether they ran or failed (a failure fails the
   * unit, which is rolled back); deferred transaction control that did not run stays owed.
   */
  private static Object runCombined(Connection target, Map<List<Object>, PreparedStatement> cache,
      List<Pending> pending, String last, List<Object[]> lastCalls, boolean query) throws SQLException {
    List<Pending> parts = new ArrayList<>(pending);
    pending.clear();
    try {
      return executeCombined(target, cache, parts, last, lastCalls, query);
    } catch (SQLException | RuntimeException e) {
      if (!failedInTransaction(target)) {
        // no statement of it failed in the transaction: it never reached the server (a client-side
        // failure before sending) or the COMMIT itself failed; the transaction control held back
        // is still owed, in front — else the writer would roll back to the unit before's savepoint
        List<Pending> control = parts.stream().filter(Pending::control).toList();
        pending.addAll(0, control);
      }
      throw e;
    }
  }

  /** Whether the connection's transaction failed (a statement of it did): PostgreSQL's driver knows. */
  private static boolean failedInTransaction(Connection target) {
    try {
      return target.unwrap(org.postgresql.core.BaseConnection.class).getTransactionState()
          == org.postgresql.core.TransactionState.FAILED;
    } catch (SQLException notPostgres) {
      return true; // then nothing is restored: the writer rolls back as for any failure
    }
  }

  private static Object executeCombined(Connection target, Map<List<Object>, PreparedStatement> cache,
      List<Pending> parts, String last, List<Object[]> lastCalls, boolean query) throws SQLException {
    StringBuilder sql = new StringBuilder();
    for (Pending p : parts) {
      sql.append(p.sql()).append(";\n");
    }
    if (last != null) {
      sql.append(last);
    } else {
      sql.setLength(sql.length() - 2);
    }
    List<Object> key = List.of("combined", sql.toString());
    PreparedStatement ps = cache.get(key);
    boolean keep = true;
    if (ps == null || ps.isClosed()) {
      ps = target.prepareStatement(sql.toString());
      keep = cache.size() < MAX_COMBINED;
      if (keep) {
        cache.put(key, ps);
      }
    }
    try {
      int offset = 0;
      for (Pending p : parts) {
        bind(ps, p.calls(), offset);
        offset += parameters(p.sql());
      }
      if (last != null) {
        bind(ps, lastCalls, offset);
      }
      boolean resultSet = ps.execute();
      for (Pending p : parts) {
        for (int i = statements(p.sql()); i > 0; i--) {
          if (resultSet && !p.control()) {
            throw new SQLException("a deferred update returned rows: " + p.sql());
          }
          resultSet = ps.getMoreResults(); // transaction control may (a lock taken with a SELECT)
        }
      }
      if (last == null) {
        return null;
      }
      if (query) {
        if (!resultSet) {
          throw new SQLException("no rows returned by " + last);
        }
        return ps.getResultSet();
      }
      return ps.getUpdateCount();
    } finally {
      if (keep) {
        ps.clearParameters();
      } else if (query && resultSetOpen(ps)) {
        ps.closeOnCompletion(); // with the result set its caller closes
      } else {
        ps.close();
      }
    }
  }

  private static boolean resultSetOpen(PreparedStatement ps) {
    try {
      return ps.getResultSet() != null;
    } catch (SQLException e) {
      return false;
    }
  }

  private static void bind(PreparedStatement ps, List<Object[]> calls, int offset) throws SQLException {
    for (Object[] call : calls) {
      Method setter = (Method) call[0];
      Object[] args = new Object[call.length - 1];
      System.arraycopy(call, 1, args, 0, args.length);
      args[0] = (Integer) args[0] + offset;
      try {
        setter.invoke(ps, args);
      } catch (IllegalAccessException e) {
        throw new SQLException(e);
      } catch (InvocationTargetException e) {
        throw e.getCause() instanceof SQLException s ? s : new SQLException(e.getCause());
      }
    }
  }

  /** The {@code ?} placeholders of {@code sql}, outside quoted literals and names. */
  static int parameters(String sql) {
    return count(sql, '?');
  }

  /** The statements of {@code sql}: one more than its {@code ;} separators outside quotes. */
  static int statements(String sql) {
    return count(sql, ';') + 1;
  }

  private static int count(String sql, char wanted) {
    int n = 0;
    char quote = 0;
    for (int i = 0; i < sql.length(); i++) {
      char ch = sql.charAt(i);
      if (quote != 0) {
        if (ch == quote) {
          quote = 0;
        }
      } else if (ch == '\'' || ch == '"') {
        quote = ch;
      } else if (ch == wanted) {
        n++;
      }
    }
    return n;
  }

  private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
