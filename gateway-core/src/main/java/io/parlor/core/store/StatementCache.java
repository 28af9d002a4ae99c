package io.parlor.core.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Wraps a connection so that {@code prepareStatement(sql)} returns a cached statement whose
 * {@code close()} only clears its parameters. SQLite compiles SQL on every prepare, which was the
 * writer thread's largest cost; units of work keep their plain try-with-resources JDBC code.
 * {@code unwrap(StoreCaches.class)} gives the store's in-memory caches. Confined to the one thread
 * that owns the connection.
 */
final class StatementCache {
  private StatementCache() {}

  /** A connection whose cached statements can be dropped (after a failed write, see below). */
  interface Resettable extends Connection {
    /**
     * Closes every cached statement; the next prepare compiles afresh. After a statement failed
     * half-way (a full disk during a step or a COMMIT), the driver may refuse to run it again
     * ("statement is not executing"), so the writer drops them all before it retries.
     */
    void resetStatements();
  }

  static Resettable wrap(Connection target, StoreCaches caches) {
    Map<List<Object>, PreparedStatement> cache = new HashMap<>();
    InvocationHandler h =
        (proxy, method, args) -> {
          if (args != null && args.length == 1 && args[0] == StoreCaches.class) {
            if (method.getName().equals("unwrap")) {
              return caches;
            }
            if (method.getName().equals("isWrapperFor")) {
              return true;
            }
          }
          if (method.getName().equals("prepareStatement")
              && args != null
              && (args.length == 1 || (args.length == 2 && args[1] instanceof Integer))) {
            List<Object> key = args.length == 1 ? List.of(args[0]) : List.of(args[0], args[1]);
            PreparedStatement ps = cache.get(key);
            if (ps == null || ps.isClosed()) {
              ps = (PreparedStatement) invoke(method, target, args);
              cache.put(key, ps);
            }
            return reusable(ps);
          }
          if (method.getName().equals("resetStatements") || method.getName().equals("close")) {
            for (PreparedStatement ps : cache.values()) {
              try {
                ps.close();
              } catch (java.sql.SQLException ignored) {
                // a statement the failure left broken: it is dropped all the same
              }
            }
            cache.clear();
            if (method.getName().equals("resetStatements")) {
              return null;
            }
          }
          return invoke(method, target, args);
        };
    return (Resettable)
        Proxy.newProxyInstance(StatementCache.class.getClassLoader(), new Class<?>[] {Resettable.class}, h);
  }

  private static PreparedStatement reusable(PreparedStatement ps) {
    InvocationHandler h =
        (proxy, method, args) -> {
          if (method.getName().equals("close") && (args == null || args.length == 0)) {
            ps.clearParameters();
            ps.clearBatch();
            return null;
          }
          return invoke(method, ps, args);
        };
    return (PreparedStatement)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(), new Class<?>[] {PreparedStatement.class}, h);
  }

  private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
