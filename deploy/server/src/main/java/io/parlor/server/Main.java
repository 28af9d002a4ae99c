package io.parlor.server;

import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import io.parlor.core.config.GatewayConfig;
import io.parlor.spi.AdapterProvider;
import io.parlor.spi.config.ConfigProblem;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;

/**
 * The only {@code main}: {@code parlor serve [--config FILE]}, {@code parlor check-config FILE},
 * {@code parlor backup FILE [--config FILE]}, {@code parlor rotate-graph-key [--config FILE]},
 * {@code parlor audit-keys URL ...}, {@code parlor demo}. Exit codes: 0 clean stop, 2 bad config or arguments, 1 anything else.
 */
public final class Main {
  /**
   * {@code config/parlor.yaml} of the installation: the launcher says where that is ({@code
   * PARLOR_HOME}), so that {@code ./parlor serve} works from any directory; else the current one.
   */
  static final Path DEFAULT_CONFIG = home().resolve("config/parlor.yaml");

  static Path home() {
    String h = System.getenv("PARLOR_HOME");
    return h == null || h.isBlank() ? Path.of("") : Path.of(h);
  }

  static final String USAGE =
      String.join(
          "\n",
          "usage: parlor serve [--config FILE]   start a node (default config/parlor.yaml)",
          "       parlor check-config FILE       validate a config file",
          "       parlor backup FILE [--config CONFIG]   a consistent copy of the store, while the node runs",
          "       parlor rotate-graph-key [--config CONFIG] [--new-key-env VAR]",
          "                                      replace the store's key, sealing its social graph again",
          "                                      (every node stopped; VAR holds a new store.encryptionKey)",
          "       parlor audit-keys URL [--state FILE] [--signing-key BASE64] [--head FILE]...",
          "                                      check that a node's key log only grows and is the one",
          "                                      others were shown (exit 1 on a fork)",
          "       parlor demo [--stay]           run a scripted exchange between two simulated networks;",
          "                                      --stay keeps them up to try the web page (codes printed)");

  private Main() {}

  public static void main(String[] args) {
    // With fewer than 3 cores the JDK sizes its common pool to 1 thread, and CompletableFuture then
    // starts a new thread for every async step: the JDK HTTP client takes one per response it
    // receives (measured: 10,000 threads in 20 s of status callbacks). Two workers avoid that.
    if (System.getProperty(COMMON_POOL) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(COMMON_POOL, "2");
    }
    System.exit(run(args, System.out, System.err));
  }

  private static final String COMMON_POOL = "java.util.concurrent.ForkJoinPool.common.parallelism";

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      err.println(USAGE);
      return 2;
    }
    try {
      switch (args[0]) {
        case "serve":
          return serve(args, err);
        case "check-config":
          if (args.length != 2) {
            err.println(USAGE);
            return 2;
          }
          return checkConfig(Path.of(args[1]), out, err);
        case "backup":
          return backup(args, out, err);
        case "rotate-graph-key":
          return rotateGraphKey(args, out, err);
        case "audit-keys":
          return AuditKeys.run(args, out, err);
        case "demo":
          if (args.length == 2 && args[1].equals("--stay")) {
            java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
            Signals.onTerminate(stop::countDown);
            return Demo.run(out, err, stop);
          }
          if (args.length != 1) {
            err.println(USAGE);
            return 2;
          }
          return Demo.run(out, err);
        case "-h":
        case "--help":
        case "help":
          out.println(USAGE);
          return 0;
        default:
          err.println("unknown command: " + args[0]);
          err.println(USAGE);
          return 2;
      }
    } catch (RuntimeException e) {
      err.println("parlor: " + e.getMessage());
      return 1;
    }
  }

  static List<AdapterProvider<?>> providers() {
    List<AdapterProvider<?>> list = new ArrayList<>();
    for (AdapterProvider<?> p : ServiceLoader.load(AdapterProvider.class)) {
      list.add(p);
    }
    return list;
  }

  /** Loads a config, printing every problem; null when invalid. */
  static GatewayConfig load(Path file, PrintStream err) {
    ConfigLoader.Result r = new ConfigLoader(System.getenv(), providers()).load(file);
    if (!r.ok()) {
      err.println(file + ": " + r.problems().size() + " problem(s):");
      for (ConfigProblem p : r.problems()) {
        err.println("  " + file + ": " + p.path() + ": got " + p.value() + "; expected " + p.expected());
      }
      return null;
    }
    return r.config().orElseThrow();
  }

  private static int checkConfig(Path file, PrintStream out, PrintStream err) {
    GatewayConfig c = load(file, err);
    if (c == null) {
      return 2;
    }
    out.println(file + ": OK (" + c.networks().size() + " network(s))");
    return 0;
  }

  /**
   * {@code backup FILE [--config CONFIG]}: a consistent copy of the store named by the config,
   * taken while the node runs (SQLite's {@code VACUUM INTO}: one read transaction, so the copy is
   * the store as of one commit; the node keeps accepting meanwhile). The copy is readable by its
   * owner only. Restore: stop the node, put the copy at {@code store.path}, start it.
   */
  private static int backup(String[] args, PrintStream out, PrintStream err) {
    Path file = DEFAULT_CONFIG;
    Path target = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else if (target == null && !args[i].startsWith("-")) {
        target = Path.of(args[i]);
      } else {
        err.println("unknown argument: " + args[i]);
        err.println(USAGE);
        return 2;
      }
    }
    if (target == null) {
      err.println(USAGE);
      return 2;
    }
    GatewayConfig config = load(file, err);
    if (config == null) {
      return 2;
    }
    if (config.store().postgres()) {
      err.println("parlor: the store is PostgreSQL (" + config.store().url() + "): back it up with the database's"
          + " own tools (pg_dump, or a base backup with WAL archiving); see docs/operations.md");
      return 2;
    }
    if (java.nio.file.Files.exists(target)) {
      err.println("parlor: " + target + " exists; choose a new file");
      return 2;
    }
    long bytes = io.parlor.core.store.SqliteStore.backup(config.storePath(), target);
    out.println("backup of " + config.storePath() + " written to " + target + " (" + bytes + " bytes)");
    if (config.store().encryptionKey().isEmpty()) {
      out.println("the store's graph key is in " + io.parlor.core.store.SqliteStore.graphKeyFile(config.storePath())
          + ": keep a copy of it apart from the backup; without it the backup's people and links cannot be read");
    }
    return 0;
  }

  /**
   * {@code rotate-graph-key [--config CONFIG] [--new-key-env VAR]}: replaces the store's key,
   * sealing its social graph again, with every node of the store stopped (refused while one runs).
   * With {@code store.encryptionKey} the new key comes from the environment variable VAR (base64
   * of 32 bytes, never on the command line); a SQLite store without it gets a new key file.
   */
  private static int rotateGraphKey(String[] args, PrintStream out, PrintStream err) {
    Path file = DEFAULT_CONFIG;
    String keyEnv = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else if (args[i].equals("--new-key-env") && i + 1 < args.length) {
        keyEnv = args[++i];
      } else {
        err.println("unknown argument: " + args[i]);
        err.println(USAGE);
        return 2;
      }
    }
    GatewayConfig config = load(file, err);
    if (config == null) {
      return 2;
    }
    java.util.Optional<byte[]> newKey = java.util.Optional.empty();
    if (keyEnv != null && config.store().encryptionKey().isEmpty()) {
      err.println("parlor: the store's key is the file " + io.parlor.core.store.SqliteStore.graphKeyFile(config.store().path())
          + " (no store.encryptionKey): a new file is made; give no --new-key-env");
      return 2;
    }
    if (keyEnv != null) {
      String v = System.getenv(keyEnv);
      byte[] raw;
      try {
        raw = v == null ? null : java.util.Base64.getDecoder().decode(v.trim());
      } catch (IllegalArgumentException e) {
        raw = null;
      }
      if (raw == null || raw.length != 32) {
        err.println("parlor: " + keyEnv + ": must hold the new key, 32 bytes in base64 (e.g. openssl rand -base64 32)");
        return 2;
      }
      newKey = java.util.Optional.of(raw);
    } else if (config.store().encryptionKey().isPresent()) {
      err.println("parlor: the store's key is store.encryptionKey: give the new one with --new-key-env VAR");
      return 2;
    }
    int version = io.parlor.core.store.GraphKeyRotation.rotate(config.store(), newKey);
    out.println("the store at " + (config.store().postgres()
        ? io.parlor.core.store.PostgresStore.redact(config.store().url()) : config.store().path())
        + " is sealed under a new key (version " + version + ")");
    if (keyEnv != null) {
      out.println("now set store.encryptionKey to the new key in every node's config before starting them"
          + " (the key log keeps its signing key: it is stored wrapped by the store's key, and was wrapped again)");
    } else {
      out.println("the new key is in " + io.parlor.core.store.SqliteStore.graphKeyFile(config.store().path())
          + ": copy it where the old one was kept, and destroy the old copies");
    }
    return 0;
  }

  private static int serve(String[] args, PrintStream err) {
    Path file = DEFAULT_CONFIG;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else if (args[i].startsWith("--config=")) {
        file = Path.of(args[i].substring("--config=".length()));
      } else {
        err.println("unknown argument: " + args[i]);
        err.println(USAGE);
        return 2;
      }
    }
    GatewayConfig config = load(file, err);
    if (config == null) {
      return 2;
    }
    Logging.configure(config.logFormat(), config.logLevel());
    // A thread that dies of an Error (out of memory, a stack overflow) leaves a node half alive:
    // exit instead, for the supervisor to restart it on the same store (nothing accepted is lost).
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
      if (e instanceof Error) {
        org.slf4j.LoggerFactory.getLogger(Main.class).error(
            "fatal: {} in thread {}; exiting for the supervisor to restart the node", e, t.getName());
        Runtime.getRuntime().halt(70);
      }
      org.slf4j.LoggerFactory.getLogger(Main.class).error("thread {} died", t.getName(), e);
    });
    Gateway gateway;
    try {
      gateway = Gateway.start(config, Clock.systemUTC());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    CountDownLatch stop = new CountDownLatch(1);
    Signals.onTerminate(stop::countDown);
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    gateway.close(Duration.ofSeconds(10));
    return 0;
  }
}
