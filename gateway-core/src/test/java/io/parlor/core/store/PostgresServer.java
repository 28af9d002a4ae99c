package io.parlor.core.store;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests: Debian's {@code postgresql} package (installed by
 * {@code ./parlor test}), a fresh cluster in a temporary directory, listening on 127.0.0.1 only,
 * password authentication (SCRAM). Started once per test JVM ({@link #shared}) and stopped when the
 * JVM exits; each test takes its own database ({@link #newDatabase}). As root, the server runs as
 * the {@code postgres} user (PostgreSQL refuses to run as root).
 */
public final class PostgresServer {
  public static final String USER = "parlor";
  public static final String PASSWORD = "test-password-not-secret";

  private static PostgresServer shared;
  private static final AtomicInteger databases = new AtomicInteger();

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** The server of this JVM, started on first use. */
  public static synchronized PostgresServer shared() {
    if (shared == null) {
      shared = startNew();
      PostgresServer s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(s::destroy, "postgres-stop"));
    }
    return shared;
  }

  public int port() {
    return port;
  }

  public Path dataDirectory() {
    return dir.resolve("data");
  }

  /** A new empty database; returns its JDBC URL. */
  public String newDatabase() {
    String name = "t" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
    try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("creating a test database: " + e.getMessage(), e);
    }
    return url(name);
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public Connection connect(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", USER);
    p.setProperty("password", PASSWORD);
    return DriverManager.getConnection(url(database), p);
  }

  /** A master key for the tests' stores (never a real one). */
  public static final String TEST_STORE_KEY = java.util.Base64.getEncoder().encodeToString(
      "parlor-test-store-key-0123456789".getBytes(StandardCharsets.US_ASCII));

  /** The config lines of a node on {@code url} (under {@code store:}). */
  public static String storeYaml(String url) {
    return storeYaml(url, true);
  }

  /** As {@link #storeYaml(String)}; without the encryption key when the caller's config has its own. */
  public static String storeYaml(String url, boolean withKey) {
    return String.join("\n",
        "store:",
        "  type: postgres",
        "  url: " + url,
        "  user: " + USER,
        "  password: " + PASSWORD,
        "  poolSize: 4") + (withKey ? "\n  encryptionKey: " + TEST_STORE_KEY : "");
  }

  /** Stops the server at once (as a crash would), keeping its files. */
  public void kill() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDirectory().toString(), "-m", "immediate", "-w", "stop"));
  }

  /** Starts the server again on the same port and files. */
  public void restart() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDirectory().toString(), "-l", dir.resolve("log").toString(),
        "-w", "-t", "60", "-o", options(port), "start"));
  }

  private static String options(int port) {
    // fsync off: a test cluster, thrown away with the JVM; nothing here tests power loss
    return "-p " + port + " -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off -c max_connections=300";
  }

  /** A server of its own (for a test that stops and starts it), stopped by {@link #destroy}. */
  public static PostgresServer startNew() {
    Path bin = binaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    try {
      Path dir = Files.createTempDirectory("parlor-pg-");
      Path pw = dir.resolve("pw");
      Files.writeString(pw, PASSWORD + "\n", StandardCharsets.UTF_8);
      if (root) {
        UserPrincipal pg = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        Files.setOwner(dir, pg);
        Files.setOwner(pw, pg);
      }
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      PostgresServer server = new PostgresServer(bin, dir, port, root);
      server.run(List.of(bin.resolve("initdb").toString(), "-D", server.dataDirectory().toString(), "-U", USER,
          "--auth=scram-sha-256", "--pwfile=" + pw, "-E", "UTF8", "--no-locale", "--no-sync"));
      server.restart();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("starting PostgreSQL for the tests: " + e.getMessage(), e);
    }
  }

  /** The newest installed PostgreSQL's programs. */
  private static Path binaries() {
    Path lib = Path.of("/usr/lib/postgresql");
    try (Stream<Path> versions = Files.isDirectory(lib) ? Files.list(lib) : Stream.empty()) {
      return versions
          .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
          .max(Comparator.comparing(v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))))
          .map(v -> v.resolve("bin"))
          .orElseThrow(() -> new IllegalStateException(
              "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): ./parlor test installs it,"
                  + " or apt-get install -y postgresql"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void run(List<String> command) {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(command);
    try {
      Path out = Files.createTempFile("parlor-pg-cmd", ".log");
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + ": no answer in 120 s");
      }
      String output = Files.readString(out);
      Files.deleteIfExists(out);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed (" + p.exitValue() + "):\n" + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the server and deletes its files. */
  public void destroy() {
    try {
      kill();
    } catch (RuntimeException e) {
      // already stopped
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: left for the system to clear
    }
  }
}
