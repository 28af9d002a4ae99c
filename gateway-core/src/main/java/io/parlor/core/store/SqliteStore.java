package io.parlor.core.store;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The embedded store: one SQLite file on disk in WAL mode with {@code secure_delete=ON}. Writes go
 * through one writer thread with group commit ({@link GroupCommitWriter}); reads run on one reader
 * thread with its own connection (WAL lets it read while the writer writes). Messages, dedupe
 * keys, people, linked accounts, relay handles and the status outbox all live here.
 *
 * <p>Thread-safe. No method blocks: work is queued and a future completes after commit.
 */
public final class SqliteStore implements Store {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SqliteStore.class);

  private final Path path;
  private final Connection writeConnection;
  private final Connection readConnection;
  private final GroupCommitWriter writer;
  private final ExecutorService reader;
  private final java.util.concurrent.atomic.AtomicBoolean deleted = new java.util.concurrent.atomic.AtomicBoolean();

  /** This process's hold on the store (null when another store of this process holds it). */
  private final java.nio.channels.FileLock lock;

  private SqliteStore(Path path, Connection w, Connection r, GroupCommitWriter writer, java.nio.channels.FileLock lock) {
    this.lock = lock;
    this.path = path;
    this.writeConnection = w;
    this.readConnection = r;
    this.writer = writer;
    this.reader =
        Executors.newSingleThreadExecutor(
            run -> {
              Thread t = new Thread(run, "store-reader");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Opens (creating if needed) the database at {@code path}.
   *
   * @param maxBatch most units of work in one commit
   */
  public static SqliteStore open(Path path, int maxBatch, MeterRegistry meters) {
    return open(path, maxBatch, meters, null);
  }

  /**
   * Opens (creating if needed) the database at {@code path}, sealing queued messages' payloads
   * with {@code cipher} when it is not null.
   */
  public static SqliteStore open(Path path, int maxBatch, MeterRegistry meters, PayloadCipher cipher) {
    java.nio.channels.FileLock lock = null;
    Connection w = null;
    try {
      Path parent = path.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        // only its owner may list or open the store's files (those SQLite creates later too)
        if (posix(parent.getRoot())) {
          Files.createDirectories(parent, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } else {
          Files.createDirectories(parent);
        }
      } else if (parent != null && posix(parent)) {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(parent);
        if (perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
          log.warn("the store's directory {} is open to other users ({}): make it 700",
              parent, java.nio.file.attribute.PosixFilePermissions.toString(perms));
        }
      }
      lock = lock(path);
      w = connect(path);
      try (Statement st = w.createStatement()) {
        st.execute("PRAGMA journal_mode=WAL");
      }
      restrict(path);
      Schema.createAndMigrate(w, Dialect.SQLITE);
      StoreCaches caches = new StoreCaches(Dialect.SQLITE);
      if (cipher != null) {
        cipher.check(w);
        caches.get(PayloadCipher.class, () -> cipher);
      } else {
        PayloadCipher.checkNoneSealed(w);
      }
      List<byte[]> previous = new java.util.ArrayList<>();
      GraphSeal seal = GraphSeal.open(w, Dialect.SQLITE, graphMaster(path, cipher, w, previous), previous);
      caches.get(GraphSeal.class, () -> seal);
      Connection r = StatementCache.wrap(connectReader(path), caches);
      GroupCommitWriter writer =
          new GroupCommitWriter(StatementCache.wrap(w, caches), caches, 10_000, maxBatch, meters);
      return new SqliteStore(path, w, r, writer, lock);
    } catch (SQLException | IOException e) {
      // nothing of a store that did not open stays held: a later try in this process takes it again
      try {
        if (w != null) {
          w.close();
        }
        if (lock != null) {
          lock.channel().close();
        }
      } catch (SQLException | IOException closing) {
        e.addSuppressed(closing);
      }
      throw new StoreException("cannot open store at " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Takes the store at {@code path} for this process ({@code <store>.lock}, an OS file lock that
   * goes with the process): a second node on the same file, or a key rotation while a node runs,
   * is refused. Null when this process holds it already (tests open a store twice).
   */
  static java.nio.channels.FileLock lock(Path path) throws IOException {
    Path file = path.resolveSibling(path.getFileName() + ".lock");
    java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
    try {
      java.nio.channels.FileLock l = ch.tryLock();
      if (l == null) {
        ch.close();
        throw new IOException("another process (a Parlor node, or a key rotation) is using the store: stop it first");
      }
      return l;
    } catch (java.nio.channels.OverlappingFileLockException sameProcess) {
      ch.close();
      return null;
    }
  }

  /** The file beside the store at {@code path} that holds its graph key when it has no master key. */
  public static Path graphKeyFile(Path path) {
    return path.resolveSibling(path.getFileName() + ".graph-key");
  }

  /**
   * The master key of the store's social graph ({@link GraphSeal}): derived from the store's key —
   * {@code store.encryptionKey} when set, else the key file beside the store, made at the first
   * start and only then (a store whose graph is sealed and whose key file is gone is refused, not
   * given a new key). {@code previous} gets the key the graph may still be sealed under: the key
   * file, once {@code store.encryptionKey} is set. A rotation interrupted between its commit and
   * its new key file taking the old one's place is finished here.
   */
  private static byte[] graphMaster(Path path, PayloadCipher cipher, Connection w, List<byte[]> previous)
      throws SQLException, IOException {
    Path file = graphKeyFile(path);
    Path next = rotatedKeyFile(path);
    // a rotation was interrupted: if its transaction committed, its key is the store's now
    GraphKeyRotation.settle(w, file, next);
    if (cipher != null) {
      if (Files.exists(file)) {
        previous.add(GraphSeal.derive(KeyFile.readOrCreate(file, 32, false), PayloadCipher.GRAPH_KEY_LABEL));
      }
      return cipher.subkey(PayloadCipher.GRAPH_KEY_LABEL);
    }
    if (!Files.exists(file) && GraphSeal.recorded(w) > 0) {
      throw new IOException("the store's social graph is sealed with the key in " + file
          + ", which is missing: restore it from where the store's backups are (it is not in them)");
    }
    return GraphSeal.derive(KeyFile.readOrCreate(file, 32, true), PayloadCipher.GRAPH_KEY_LABEL);
  }

  /** Where {@code rotate-graph-key} writes a SQLite store's next key before its transaction commits. */
  static Path rotatedKeyFile(Path path) {
    return path.resolveSibling(path.getFileName() + ".graph-key.next");
  }

  /**
   * Writes a consistent copy of the store at {@code db} to {@code target} (which must not exist)
   * while a node may be using it: {@code VACUUM INTO} reads one snapshot, so the copy is the
   * store as of one commit, compacted. The copy is readable by its owner only. Returns its size.
   */
  public static long backup(Path db, Path target) {
    if (!Files.exists(db)) {
      throw new StoreException("no store at " + db, null);
    }
    try (Connection c = connect(db); java.sql.PreparedStatement ps = c.prepareStatement("VACUUM INTO ?")) {
      Path parent = target.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      ps.setString(1, target.toAbsolutePath().toString());
      ps.execute();
      restrict(target);
      return Files.size(target);
    } catch (SQLException | IOException e) {
      throw new StoreException("backup of " + db + " to " + target + " failed: " + e.getMessage(), e);
    }
  }

  /** The store file and its WAL and shared-memory files: readable and writable by their owner only. */
  static void restrict(Path db) throws IOException {
    if (!posix(db.toAbsolutePath().getParent())) {
      return;
    }
    for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
      Path f = Path.of(db.toAbsolutePath() + suffix);
      if (Files.exists(f)) {
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      }
    }
  }

  private static boolean posix(Path p) {
    return p != null && p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /**
   * A connection that only reads, without memory-mapped I/O. A reader whose next read finds the
   * database changed since its last (after nearly every commit, under load) has SQLite drop its
   * whole mapping and map it again, then fault its pages back in; the munmap alone (with its
   * TLB flushes on every core) was 2 % of the node's CPU at 64 connections and over a quarter of
   * the delivery thread's (its one read of a thread's flag per message; issue 17). Reads go
   * through the page cache with pread instead: at one connection 1,064 → 1,673 messages/s and
   * 1,058 → 588 µs of CPU per message in one A/B run. The writer keeps its mapping: its own
   * commits do not invalidate it.
   */
  static Connection connectReader(Path path) throws SQLException {
    Connection c = connect(path);
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA mmap_size=0");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  static Connection connect(Path path) throws SQLException {
    java.util.Properties props = new java.util.Properties();
    // Otherwise the driver compiles and runs "SELECT last_insert_rowid()" after every INSERT (a
    // fresh statement each time: 19 % of the writer thread under load); the two tables whose
    // rowid we need read it through Rowids, on a cached statement.
    props.setProperty("jdbc.get_generated_keys", "false");
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + path.toAbsolutePath(), props);
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA busy_timeout=5000");
      // FULL: a commit survives power loss, not only a process crash; group commit pays for it.
      st.execute("PRAGMA synchronous=FULL");
      st.execute("PRAGMA secure_delete=ON");
      st.execute("PRAGMA foreign_keys=ON");
      st.execute("PRAGMA cache_size=-32768");
      st.execute("PRAGMA mmap_size=268435456");
      // The writer opens savepoints (a run of units after one not marked rerunnable, and before
      // the fifth session of issue 17 every unit); a unit that changes a page an earlier unit of
      // its batch changed first copies the page to the savepoint's journal. With temporary
      // storage in files that journal was a temporary file opened, written and closed in every
      // batch: 10 % of the writer's time under load in system calls (issue 17; +19-27 % messages/s
      // at 64 connections). In memory it is bounded by the pages one batch changes, and a
      // message's old pages never reach a temporary file on disk.
      st.execute("PRAGMA temp_store=MEMORY");
    }
    return c;
  }

  public Path path() {
    return path;
  }

  @Override
  public Dialect dialect() {
    return Dialect.SQLITE;
  }

  @Override
  public String describe() {
    return path.toString();
  }

  @Override
  public <T> CompletableFuture<T> write(SqlWork<T> work) {
    return writer.submit(work);
  }

  @Override
  public <T> CompletableFuture<T> writeHere(SqlWork<T> work) {
    return writer.submitHere(work);
  }

  @Override
  public <T> CompletableFuture<T> writeLazily(SqlWork<T> work) {
    return writer.submitLazily(work);
  }

  @Override
  public <T> CompletableFuture<T> read(SqlWork<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      reader.execute(
          () -> {
            try {
              f.complete(work.run(readConnection));
            } catch (SQLException | RuntimeException e) {
              f.completeExceptionally(new StoreException("store read failed", e));
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      f.completeExceptionally(new StoreException("store is closed", e));
    }
    return f;
  }

  private volatile boolean closed;

  /** Connections of {@link #ownReader}s, closed with the store. */
  private final List<Connection> ownReaders = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Override
  public Reader ownReader() {
    return new Reader() {
      private Connection connection; // opened at the first read, by the thread that reads

      @Override
      public <T> CompletableFuture<T> read(SqlWork<T> work) {
        if (closed) {
          return CompletableFuture.failedFuture(new StoreException("store is closed", null));
        }
        try {
          if (connection == null) {
            connection = StatementCache.wrap(connectReader(path), writer.caches());
            ownReaders.add(connection);
          }
          return CompletableFuture.completedFuture(work.run(connection));
        } catch (SQLException | RuntimeException e) {
          return CompletableFuture.failedFuture(new StoreException("store read failed", e));
        }
      }
    };
  }

  @Override
  public boolean writable() {
    return writer.healthy();
  }

  @Override
  public void noteDeletion() {
    deleted.set(true);
  }

  @Override
  public CompletableFuture<Void> checkpointIfDeleted() {
    return deleted.getAndSet(false) ? checkpoint() : CompletableFuture.completedFuture(null);
  }

  /** Truncates the write-ahead log so deleted rows leave no copy behind in it. */
  @Override
  public CompletableFuture<Void> checkpoint() {
    return writer.submitAlone(
        c -> {
          try (Statement st = c.createStatement()) {
            st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
          }
          return null;
        });
  }

  @Override
  public void close() {
    writer.close();
    reader.shutdown();
    try {
      reader.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
    for (Connection c : ownReaders) {
      try {
        c.close();
      } catch (SQLException e) {
        log.debug("closing a reader's connection: {}", e.getMessage());
      }
    }
    try {
      readConnection.close();
      try (Statement st = writeConnection.createStatement()) {
        st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      } catch (SQLException e) {
        // e.g. a full disk: the WAL stays and SQLite replays it at the next open; nothing is lost
        log.warn("closing the store: the write-ahead log could not be checkpointed ({})", e.getMessage());
      }
      writeConnection.close();
      if (lock != null) {
        lock.channel().close();
      }
    } catch (SQLException | IOException e) {
      throw new StoreException("closing the store failed", e);
    }
  }
}
