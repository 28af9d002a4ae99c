package io.parlor.core.store;

import io.parlor.core.config.GatewayConfig;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * {@code parlor rotate-graph-key}: seals the store's social graph ({@link GraphSeal}) under the
 * next key version, in one transaction, with every node of the store stopped (a node running
 * would go on sealing under the old version). What a leaked graph key could read stops at the
 * rotation: rows written after it are sealed under keys it does not give.
 */
public final class GraphKeyRotation {
  private GraphKeyRotation() {}

  /** The version the graph is sealed under afterwards. */
  public static int rotate(GatewayConfig.StoreSettings ss) {
    String where = ss.postgres() ? PostgresStore.redact(ss.url()) : ss.path().toString();
    try {
      if (ss.postgres()) {
        Properties props = new Properties();
        ss.user().ifPresent(u -> props.setProperty("user", u));
        ss.password().ifPresent(p -> props.setProperty("password", p));
        props.setProperty("connectTimeout", "5");
        try (Connection c = DriverManager.getConnection(ss.url(), props)) {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery(
                  "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
                      + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
            rs.next();
            if (rs.getLong(1) > 0) {
              throw new StoreException("a Parlor node is using the database: stop every node first", null);
            }
          }
          Schema.createAndMigrate(c, Dialect.POSTGRES);
          return GraphSeal.rotate(c, Dialect.POSTGRES, master(ss));
        }
      }
      java.nio.channels.FileLock lock = SqliteStore.lock(ss.path());
      try (Connection c = SqliteStore.connect(ss.path())) {
        Schema.createAndMigrate(c, Dialect.SQLITE);
        return GraphSeal.rotate(c, Dialect.SQLITE, master(ss));
      } finally {
        if (lock != null) {
          lock.channel().close();
        }
      }
    } catch (SQLException | IOException e) {
      throw new StoreException("cannot rotate the graph key of the store at " + where + ": " + e.getMessage(), e);
    }
  }

  private static byte[] master(GatewayConfig.StoreSettings ss) throws IOException {
    if (ss.encryptionKey().isPresent()) {
      return GraphSeal.derive(ss.encryptionKey().get(), PayloadCipher.GRAPH_KEY_LABEL);
    }
    if (ss.postgres()) {
      throw new IOException("store.encryptionKey is not set");
    }
    return KeyFile.readOrCreate(SqliteStore.graphKeyFile(ss.path()), 32, false);
  }
}
