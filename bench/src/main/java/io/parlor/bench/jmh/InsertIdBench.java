package io.parlor.bench.jmh;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 17: how the store learns a new row's id. A queued message and its status each get one at
 * insert. Baseline in the same run: the insert, then {@code SELECT last_insert_rowid()} (what the
 * store did); against the insert giving it back itself ({@code RETURNING}, what it does). Each
 * operation inserts a 1 KB row and deletes it again, 256 to a commit, without fsync (the commit's
 * own cost is {@link StoreBench}'s; this is the statements').
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class InsertIdBench {
  private Path dir;
  private Connection c;
  private PreparedStatement insert;
  private PreparedStatement lastRowid;
  private PreparedStatement returning;
  private PreparedStatement delete;
  private final byte[] kilobyte = new byte[1000];
  private long next;

  @Setup(Level.Trial)
  public void open() throws Exception {
    dir = Files.createTempDirectory("parlor-jmh");
    c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ids.db"));
    try (Statement st = c.createStatement()) {
      st.execute("PRAGMA journal_mode=WAL");
      st.execute("PRAGMA synchronous=OFF");
      st.execute("CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, gid TEXT NOT NULL UNIQUE, envelope BLOB)");
    }
    insert = c.prepareStatement("INSERT INTO messages(gid, envelope) VALUES (?, ?)");
    lastRowid = c.prepareStatement("SELECT last_insert_rowid()");
    returning = c.prepareStatement("INSERT INTO messages(gid, envelope) VALUES (?, ?) RETURNING seq");
    delete = c.prepareStatement("DELETE FROM messages WHERE seq = ?");
    c.setAutoCommit(false);
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    c.commit();
    c.close();
    io.parlor.bench.BenchFiles.deleteTree(dir);
  }

  private long removed(long id) throws SQLException {
    delete.setLong(1, id);
    delete.executeUpdate();
    if (++next % 256 == 0) {
      c.commit();
    }
    return id;
  }

  @Benchmark
  public long baselineInsertThenLastRowid() throws SQLException {
    insert.setString(1, "g" + next);
    insert.setBytes(2, kilobyte);
    insert.executeUpdate();
    long id;
    try (ResultSet rs = lastRowid.executeQuery()) {
      rs.next();
      id = rs.getLong(1);
    }
    return removed(id);
  }

  @Benchmark
  public long insertReturning() throws SQLException {
    returning.setString(1, "g" + next);
    returning.setBytes(2, kilobyte);
    long id;
    try (ResultSet rs = returning.executeQuery()) { // closed before the commit: it ends the statement
      rs.next();
      id = rs.getLong(1);
    }
    return removed(id);
  }
}
