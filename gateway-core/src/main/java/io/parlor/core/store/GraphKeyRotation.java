package io.parlor.core.store;

import io.parlor.core.config.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code parlor rotate-graph-key}: replaces the store's key — the one the social graph is sealed
 * under ({@link GraphSeal}) and queued messages' epoch keys are wrapped by — with every node of
 * the store stopped (a node running would go on under the old key). In one transaction the graph
 * is sealed again under the new key (the next key version) and the epoch keys are wrapped again.
 * A SQLite store without {@code store.encryptionKey} gets a new key file; otherwise the operator
 * gives the new key, and puts it in every node's config afterwards. Once the old key is destroyed,
 * no copy of the store made before — a backup, a disk — can be read for who talked to whom.
 */
public final class GraphKeyRotation {
  private GraphKeyRotation() {}

  /**
   * @param newKey the new {@code store.encryptionKey} (32 bytes); required when the store has one,
   *     refused when a SQLite store keeps its key in a file (a new file is made)
   * @return the version the graph is sealed under afterwards
   */
  public static int rotate(GatewayConfig.StoreSettings ss, Optional<byte[]> newKey) {
    String where = ss.postgres() ? PostgresStore.redact(ss.url()) : ss.path().toString();
    try {
      if (ss.encryptionKey().isPresent() && newKey.isEmpty()) {
        throw new IOException("the store's key is store.encryptionKey: give the new key (32 bytes, base64)");
      }
      if (ss.encryptionKey().isEmpty() && newKey.isPresent()) {
        throw new IOException("the store's key is the file " + SqliteStore.graphKeyFile(ss.path())
            + " (no store.encryptionKey): a new file is made, no key is given");
      }
      if (newKey.isPresent() && newKey.get().length != 32) {
        throw new IOException("the new key must be 32 bytes, not " + newKey.get().length);
      }
      if (ss.postgres()) {
        return rotatePostgres(ss, newKey.orElseThrow());
      }
      java.nio.channels.FileLock lock = SqliteStore.lock(ss.path());
      try (Connection c = SqliteStore.connect(ss.path())) {
        Schema.createAndMigrate(c, Dialect.SQLITE);
        if (ss.encryptionKey().isPresent()) {
          return GraphSeal.rotate(c, Dialect.SQLITE, ss.encryptionKey().get(), newKey.orElseThrow());
        }
        Path file = SqliteStore.graphKeyFile(ss.path());
        Path next = SqliteStore.rotatedKeyFile(ss.path());
        // an earlier rotation interrupted after its commit: its new key is the store's (finished
        // here, as a start would); one interrupted before: its key opens nothing (dropped)
        settle(c, file, next);
        byte[] old = KeyFile.readOrCreate(file, 32, false);
        // the new key is on disk before the transaction that needs it commits; it takes the old
        // one's place after (a start in between finds it and finishes the move)
        byte[] fresh = KeyFile.readOrCreate(next, 32, true);
        int version;
        try {
          version = GraphSeal.rotate(c, Dialect.SQLITE, old, fresh);
        } catch (SQLException | RuntimeException e) {
          settle(c, file, next); // committed or not, as the store says: never drop a key it needs
          throw e;
        }
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        KeyFile.syncDirectory(file);
        return version;
      } finally {
        if (lock != null) {
          lock.channel().close();
        }
      }
    } catch (SQLException | IOException e) {
      throw new StoreException("cannot rotate the key of the store at " + where + ": " + e.getMessage(), e);
    }
  }

  /**
   * A rotation's next key file left behind: it takes the key file's place when the store is
   * sealed under it (the rotation committed), else it is deleted (it opens nothing).
   */
  static void settle(Connection c, Path file, Path next) throws IOException, SQLException {
    if (!Files.exists(next)) {
      return;
    }
    if (GraphSeal.sealedUnder(c, GraphSeal.derive(KeyFile.readOrCreate(next, 32, false), PayloadCipher.GRAPH_KEY_LABEL))) {
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      KeyFile.syncDirectory(file);
    } else {
      Files.delete(next);
    }
  }

  private static void checkNoNode(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
      rs.next();
      if (rs.getLong(1) > 0) {
        throw new SQLException("a Parlor node is using the database: stop every node first");
      }
    }
  }

  private static int rotatePostgres(GatewayConfig.StoreSettings ss, byte[] newKey) throws SQLException {
    Properties props = new Properties();
    ss.user().ifPresent(u -> props.setProperty("user", u));
    ss.password().ifPresent(p -> props.setProperty("password", p));
    props.setProperty("connectTimeout", "5");
    try (Connection c = DriverManager.getConnection(ss.url(), props)) {
      checkNoNode(c); // before the schema is touched: a running cluster is left as it is
      Schema.createAndMigrate(c, Dialect.POSTGRES);
      c.setAutoCommit(false);
      try {
        try (Statement st = c.createStatement()) {
          // first the lock a node takes to open the graph (one starting now waits for this
          // transaction), then no node may be running: each holds its name's lock for its life
          st.execute("SELECT pg_advisory_xact_lock(" + GraphSeal.SEAL_LOCK + ")");
        }
        checkNoNode(c);
        int version = GraphSeal.rotate(c, Dialect.POSTGRES, ss.encryptionKey().orElseThrow(), newKey);
        c.commit();
        return version;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }
}
