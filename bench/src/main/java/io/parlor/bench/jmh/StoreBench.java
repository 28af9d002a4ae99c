package io.parlor.bench.jmh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parlor.core.linking.PartyKey;
import io.parlor.core.store.MessageTable;
import io.parlor.core.store.SqlWork;
import io.parlor.core.store.SqliteStore;
import io.parlor.core.store.StoredMessage;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 17: the store's floor per message — a queued message appended and removed through the
 * store's writer, 256 to a commit as under load (SQLite on disk, WAL, {@code synchronous=FULL},
 * {@code secure_delete}). Baseline in the same run: the same 1 KB rows inserted and deleted in a
 * table with no index, on a plain connection, 256 to a commit (what SQLite itself costs here).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class StoreBench {
  private static final int BATCH = 256;
  private Path dir;
  private SqliteStore store;
  private Connection plain;
  private long next;
  private final Instant now = Instant.now();
  private final PartyKey a = PartyKey.person("a");
  private final PartyKey b = PartyKey.person("b");
  private final byte[] kilobyte = new byte[1000];

  @Setup(Level.Trial)
  public void open() throws Exception {
    dir = Files.createTempDirectory("parlor-jmh");
    store = SqliteStore.open(dir.resolve("store.db"), BATCH, new SimpleMeterRegistry());
    plain = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("plain.db"));
    try (var st = plain.createStatement()) {
      st.execute("PRAGMA journal_mode=WAL");
      st.execute("PRAGMA synchronous=FULL");
      st.execute("PRAGMA secure_delete=ON");
      st.execute("CREATE TABLE q(id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    }
    plain.setAutoCommit(false);
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    if (plainReader != null) {
      plainReader.close();
    }
    store.close();
    plain.close();
    io.parlor.bench.BenchFiles.deleteTree(dir);
  }

  private StoredMessage message(long n) {
    MessageId id = MessageId.of("m" + n);
    Envelope e = Envelope.of(id, Address.of("src:a"), Address.of("dst:b"), now, new Content.Text("x".repeat(880)));
    return new StoredMessage("g-" + n, 0, NetworkId.of("src"), id, "a b", a, b, e, now.plusSeconds(3600));
  }

  /**
   * A queued message's insert and its removal after delivery, through the store's writer, each
   * unit in a savepoint of its own (units not marked {@link SqlWork#rerunnable}).
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void storeAppendAndRemove() throws Exception {
    appendAndRemove(false);
  }

  /** The same, the units marked rerunnable: no savepoint per unit (issue 17, fifth session). */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void storeAppendAndRemoveRerunnable() throws Exception {
    appendAndRemove(true);
  }

  private void appendAndRemove(boolean rerunnable) throws Exception {
    long first = next;
    next += BATCH;
    CompletableFuture<?> last = null;
    for (long n = first; n < first + BATCH; n++) {
      StoredMessage m = message(n);
      last = store.write(unit(rerunnable, c -> MessageTable.insertLeg(c, m, now)));
    }
    last.get(10, TimeUnit.SECONDS);
    for (long n = first; n < first + BATCH; n++) {
      String gid = "g-" + n;
      last = store.write(unit(rerunnable, c -> MessageTable.delete(c, gid)));
    }
    last.get(10, TimeUnit.SECONDS);
  }

  private io.parlor.core.store.Store.Reader reader;
  private Connection plainReader;
  private PreparedStatement plainSeen;
  private final NetworkId source = NetworkId.of("src");
  private final MessageId unseen = MessageId.of("never-seen");

  /**
   * A read through the store's statement cache, on the calling thread ({@link SqliteStore#ownReader}):
   * the dedupe lookup a message's acceptance makes. Against {@link #baselineReadOnAPlainConnection},
   * what the cache and its wrappers cost per statement.
   */
  @Benchmark
  public boolean readThroughTheStatementCache() throws Exception {
    if (reader == null) {
      reader = store.ownReader();
    }
    return reader.read(c -> MessageTable.seen(c, source, unseen)).get();
  }

  /** Baseline: the same statement on a plain connection, prepared once. */
  @Benchmark
  public boolean baselineReadOnAPlainConnection() throws SQLException {
    if (plainSeen == null) {
      plainReader = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("store.db"));
      plainSeen = plainReader.prepareStatement(MessageTable.SEEN);
    }
    plainSeen.setString(1, source.value());
    plainSeen.setString(2, unseen.value());
    try (java.sql.ResultSet rs = plainSeen.executeQuery()) {
      boolean found = rs.next();
      plainSeen.clearParameters();
      return found;
    }
  }

  private static <T> SqlWork<T> unit(boolean rerunnable, SqlWork<T> work) {
    return rerunnable ? SqlWork.rerunnable(work) : work;
  }

  /** Baseline: a 1 KB row inserted and deleted, no index, one commit each for the 256. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void baselinePlainSqliteRow() throws SQLException {
    long first = next;
    next += BATCH;
    try (PreparedStatement ins = plain.prepareStatement("INSERT INTO q(id, body) VALUES (?, ?)")) {
      for (long n = first; n < first + BATCH; n++) {
        ins.setLong(1, n);
        ins.setBytes(2, kilobyte);
        ins.executeUpdate();
      }
    }
    plain.commit();
    try (PreparedStatement del = plain.prepareStatement("DELETE FROM q WHERE id = ?")) {
      for (long n = first; n < first + BATCH; n++) {
        del.setLong(1, n);
        del.executeUpdate();
      }
    }
    plain.commit();
  }
}
