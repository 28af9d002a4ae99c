package io.parlor.bench;

import io.parlor.adapter.webhook.Signatures;
import io.parlor.adapter.webhook.WebhookAdapterProvider;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import io.parlor.core.config.GatewayConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * End-to-end throughput of one node: a closed-loop load generator sends signed envelopes over
 * HTTP from network "src" to a person whose preferred account is on network "dst"; dst delivers
 * to a local HTTP sink. Reports accepted messages per second, delivered messages per second (end
 * to end, including the queue draining), and ack latency percentiles (202 = durable).
 *
 * <p>Runs two configurations in the same run: the baseline with group commit disabled (one
 * message per commit, {@code maxBatch: 1}) and the default ({@code maxBatch: 256}). With {@code
 * -Dbench.content=variants} it runs instead, with group commit, the two version 2 paths of issue
 * 10: media by URL to a network that does not show media (graded to a text fallback with the
 * link), and reactions (each connection reacts to its own first message; the destination shows
 * reactions, so the target is translated into the id it knows, on the store's writer).
 *
 * <pre>
 * bench/run                     # defaults: 32 connections, 60 s warm-up, 20 s measured
 * bench/run 64 60 30            # connections, warm-up seconds, measured seconds
 * JAVA_OPTS=-Dbench.content=variants bench/run
 * JAVA_OPTS=-Dbench.content=groups bench/run    # one-to-one deliveries vs a 32-member group's legs
 * bench/with-postgres 32 30 20  # the same node on SQLite, then on PostgreSQL, then two nodes on it (-Dbench.content=stores)
 * bench/compare REF             # this build against REF's, text, alternated (see the script)
 * </pre>
 */
public final class ThroughputBench {
  private static final String SECRET = "bench-secret-000000000001";

  record Result(String name, long accepted, long delivered, double seconds, Histogram ack) {}

  public static void main(String[] args) throws Exception {
    try {
      measure(args);
    } catch (Exception | Error e) {
      org.slf4j.LoggerFactory.getLogger(ThroughputBench.class).error("the benchmark failed", e);
      System.exit(1); // the admin client's threads would keep the JVM alive
    }
  }

  private static void measure(String[] args) throws Exception {
    // as the server's Main does: on 2 cores the JDK HTTP client would otherwise start a thread per response
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "2");
    }
    int connections = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    // C2 on 2 cores keeps compiling for about a minute under this load: measure after it
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int measured = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    System.out.printf("Parlor end-to-end benchmark: %d connections, %d s warm-up, %d s measured, %d cores%n",
        connections, warmup, measured, Runtime.getRuntime().availableProcessors());
    List<Result> results = new ArrayList<>();
    if ("stores".equals(System.getProperty("bench.content"))) {
      // one node on each store, same settings, same run: SQLite (the default) first
      String url = System.getProperty("bench.pg.url");
      if (url == null) {
        throw new IllegalStateException("-Dbench.pg.url=jdbc:postgresql://… (bench/with-postgres starts a server and sets it)");
      }
      // payloads sealed (crypto-shredding): optional on SQLite, required on PostgreSQL
      String key = java.util.Base64.getEncoder().encodeToString(new byte[32]); // a benchmark's, not a secret
      if (!Boolean.getBoolean("bench.pg.only")) { // -Dbench.pg.only=true: PostgreSQL alone, to profile it
        results.add(run("SQLite, one node (maxBatch 256)", 256, connections, warmup, measured, Kind.TEXT));
        storeOverride = "store:\n  encryptionKey: " + key + "\n  path: ";
        results.add(run("SQLite, payloads sealed (maxBatch 256)", 256, connections, warmup, measured, Kind.TEXT));
      }
      storeOverride = String.join("\n", "store:", "  type: postgres", "  url: " + url,
          "  user: " + System.getProperty("bench.pg.user", "parlor"),
          "  password: " + System.getProperty("bench.pg.password", ""),
          "  encryptionKey: " + key);
      results.add(run("PostgreSQL, payloads sealed (maxBatch 256)", 256, connections, warmup, measured, Kind.TEXT));
      if (!"one".equals(System.getProperty("bench.pg.nodes"))) {
        // two nodes on the same database, the connections split between them: the aggregate
        nodes = 2;
        results.add(run("PostgreSQL, two nodes in one JVM, aggregate (maxBatch 256)", 256, connections, warmup, measured,
            Kind.TEXT));
        nodes = 1;
      }
    } else if ("groups".equals(System.getProperty("bench.content"))) {
      // one-to-one deliveries against a 32-member group's legs, same node settings, same run
      results.add(run("one-to-one text (maxBatch 256)", 256, connections, warmup, measured, Kind.TEXT));
      results.add(run("32-member group: legs (maxBatch 256)", 256, connections, warmup, measured, Kind.GROUP));
    } else if ("variants".equals(System.getProperty("bench.content"))) {
      results.add(run("media by URL, graded to a text fallback (maxBatch 256)", 256, connections, warmup, measured, Kind.MEDIA));
      results.add(run("reactions, native, target translated (maxBatch 256)", 256, connections, warmup, measured, Kind.REACTION));
    } else {
      if (!"groupcommit".equals(System.getProperty("bench.only"))) {
        results.add(run("baseline: one commit per message (maxBatch 1)", 1, connections, warmup, measured, Kind.TEXT));
      }
      results.add(run("group commit (maxBatch 256, default)", 256, connections, warmup, measured, Kind.TEXT));
    }
    System.out.println();
    System.out.println("| configuration | accepted msg/s | delivered msg/s (e2e) | ack p50 ms | ack p95 ms | ack p99 ms | ack max ms |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    for (Result r : results) {
      System.out.printf("| %s | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.2f |%n",
          r.name, r.accepted / r.seconds, r.delivered / r.seconds,
          ms(r.ack, 50), ms(r.ack, 95), ms(r.ack, 99), r.ack.getMaxValue() / 1000.0);
    }
    // the admin client's executor threads are not daemons: without this the JVM stays behind
    System.exit(0);
  }

  private static byte[] envelope(String id, int conn, int people, String content) {
    // text stays a version 1 envelope, byte for byte what earlier builds were measured with
    String v = content.equals(TEXT_CONTENT) ? "" : "\"v\":2,";
    return ("{" + v + "\"id\":\"" + id + "\",\"from\":\"src:sender" + conn + "\",\"to\":\"dst:user"
        + (conn % people) + "\",\"sentAt\":\"" + Instant.now() + "\",\"content\":" + content + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static final java.util.regex.Pattern CODE =
      java.util.regex.Pattern.compile("\"to\":\"(dst:user\\d+)\".*?\\b(\\d{6})\\b");

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Sets up the group through the user API as people would: p0..p31 sign in with the codes sent
   * to them, p0 creates the group inviting the others, each joins; returns each member's group
   * address.
   */
  private static String[] group(HttpClient http, URI node, Map<String, String> codes) throws Exception {
    String[] tokens = new String[GROUP_SIZE];
    for (int p = 0; p < GROUP_SIZE; p++) {
      String account = "dst:user" + p;
      post(http, node, "/v1/auth/start", null, "{\"address\":\"" + account + "\"}");
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!codes.containsKey(account) && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      String verified = post(http, node, "/v1/auth/verify", null,
          "{\"address\":\"" + account + "\",\"code\":\"" + codes.get(account) + "\"}");
      tokens[p] = field(verified, "token");
    }
    StringBuilder invite = new StringBuilder();
    for (int p = 1; p < GROUP_SIZE; p++) {
      invite.append(p == 1 ? "" : ",").append("\"dst:user").append(p).append('"');
    }
    String id = field(post(http, node, "/v1/me/groups", tokens[0], "{\"name\":\"Bench\",\"invite\":[" + invite + "]}"), "id");
    String[] addresses = new String[GROUP_SIZE];
    for (int p = 0; p < GROUP_SIZE; p++) {
      String shown = p == 0
          ? http.send(HttpRequest.newBuilder(node.resolve("/v1/me/groups/" + id)).header("authorization", "Bearer " + tokens[0])
              .GET().build(), HttpResponse.BodyHandlers.ofString()).body()
          : post(http, node, "/v1/me/groups/" + id + "/join", tokens[p], "");
      addresses[p] = field(shown, "address");
    }
    return addresses;
  }

  private static String post(HttpClient http, URI node, String path, String token, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private static String field(String json, String name) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("no " + name + " in " + json);
    }
    return m.group(1);
  }

  private static double ms(Histogram h, double p) {
    return h.getValueAtPercentile(p) / 1000.0;
  }

  /** What the load sends. */
  enum Kind {
    TEXT,
    MEDIA,
    REACTION,
    /** A 32-member group: each connection is a member writing to its group address. */
    GROUP
  }

  private static final int GROUP_SIZE = 32;
  /** The group run offers load until this many legs wait: enough to keep delivery saturated. */
  private static final int GROUP_BACKLOG = 20_000;

  private static final String TEXT_CONTENT =
      "{\"type\":\"text\",\"text\":\"benchmark payload of a typical chat message length, about eighty bytes long\"}";
  private static final String MEDIA_CONTENT =
      "{\"type\":\"media\",\"kind\":\"image\",\"url\":\"https://media.example.org/p/photo-0001.jpg\","
          + "\"mimeType\":\"image/jpeg\",\"size\":123456,\"sha256\":\"" + "ab".repeat(32) + "\",\"caption\":\"a photo\"}";

  private static String content(Kind kind, int conn) {
    switch (kind) {
      case MEDIA:
        return MEDIA_CONTENT;
      case REACTION:
        return "{\"type\":\"reaction\",\"target\":\"b-" + conn + "-first\",\"emoji\":\"\uD83D\uDC4D\"}";
      default:
        return TEXT_CONTENT;
    }
  }

  /** The policy keys that set the volume limits out of the way, on a build that has them. */
  private static String noLimits() {
    try {
      Class.forName("io.parlor.core.safety.Limits");
    } catch (ClassNotFoundException e) {
      return "";
    }
    return String.join("\n", "policy:", "  senderPerMinute: 1000000", "  senderBurst: 1000000",
        "  pairPerMinute: 1000000", "  pairBurst: 1000000", "  networkPerSecond: 10000000", "  networkBurst: 10000000",
        "  holdAfterStrangers: 1000000");
  }

  /** The config's store section instead of a SQLite file in the run's directory. */
  private static String storeOverride;
  /** Nodes started on the same store (several only on PostgreSQL), the connections split between them. */
  private static int nodes = 1;
  /** Each run's message ids are its own: runs on PostgreSQL share one database and its dedupe keys. */
  private static int runs;

  private static Result run(String name, int maxBatch, int connections, int warmup, int measured, Kind kind)
      throws Exception {
    Path dir = Files.createTempDirectory("parlor-bench");
    AtomicLong sinkCount = new AtomicLong();
    Map<String, String> codes = new java.util.concurrent.ConcurrentHashMap<>();
    RawHttpSink sink = new RawHttpSink((path, body) -> {
      if (path.equals("/messages")) {
        sinkCount.incrementAndGet();
        if (kind == Kind.GROUP && codes.size() < GROUP_SIZE) {
          java.util.regex.Matcher m = CODE.matcher(new String(body, StandardCharsets.UTF_8));
          if (m.find()) {
            codes.put(m.group(1), m.group(2)); // one-time codes of the members' sign-ins
          }
        }
      }
    });
    String base = "http://127.0.0.1:" + sink.port();
    Path file = dir.resolve("bench.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        storeOverride == null ? "store:\n  path: " + dir.resolve("bench.db")
            : storeOverride.endsWith("path: ") ? storeOverride + dir.resolve("bench.db") : storeOverride,
        "delivery:", "  maxBatch: " + maxBatch,
        "users:", "  codesPerClient: 1000",
        // the benchmark measures the path, not the policy: the volume limits out of the way (their
        // check still runs on every message); a build before them (bench/compare) has no such keys
        noLimits(),
        "networks:",
        "  - id: src", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + base + "/src",
        "    statusUrl: " + base + "/status",
        "  - id: dst", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + base + "/messages",
        kind == Kind.REACTION ? "    capabilities: {content: [reaction]}" : "", ""));
    List<Gateway> started = new ArrayList<>();
    for (int n = 1; n <= nodes; n++) {
      Path nodeFile = dir.resolve("bench-" + n + ".yaml");
      Files.writeString(nodeFile, "node:\n  id: bench-" + n + "\n" + Files.readString(file));
      ConfigLoader.Result cr = new ConfigLoader(Map.of(), List.of(new WebhookAdapterProvider())).load(nodeFile);
      if (!cr.ok()) {
        throw new IllegalStateException(cr.problems().toString());
      }
      started.add(Gateway.start(cr.config().orElseThrow(), Clock.systemUTC()));
    }
    String run = "r" + (++runs);
    try (AutoCloseable closeAll = () -> started.forEach(Gateway::close)) {
      Gateway node = started.get(0);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newFixedThreadPool(4)).build();
      URI nodeUri = URI.create("http://127.0.0.1:" + node.port());
      int people = 64;
      for (int p = 0; p < people; p++) {
        http.send(HttpRequest.newBuilder(nodeUri.resolve("/admin/v1/people/p" + p))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"dst:user" + p + "\""
                + (kind == Kind.GROUP && p < GROUP_SIZE ? ",\"src:sender" + p + "\"" : "") + "],\"optIn\":true}")).build(),
            HttpResponse.BodyHandlers.discarding());
      }
      String[] groupAddress = kind == Kind.GROUP ? group(http, nodeUri, codes) : null;
      Recorder recorder = new Recorder(3);
      AtomicLong accepted = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicBoolean measuring = new AtomicBoolean();
      Signatures sig = new Signatures(SECRET);
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        int conn = c;
        Thread t = new Thread(() -> {
          RawHttpClient client = new RawHttpClient("127.0.0.1", started.get(conn % started.size()).port());
          long i = 0;
          if (kind == Kind.REACTION) {
            // the message each connection's reactions are to
            byte[] first = envelope("b-" + conn + "-first", conn, people, TEXT_CONTENT);
            try {
              client.post("/v1/networks/src/messages", "Parlor-Signature: " + sig.sign(first, Instant.now()) + "\r\n", first);
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          }
          while (!stop.get()) {
            String id = run + "-" + conn + "-" + (i++);
            byte[] body;
            if (kind == Kind.GROUP) {
              while (node.queueDepth() > GROUP_BACKLOG && !stop.get()) {
                sleep(1);
              }
              int member = conn % GROUP_SIZE;
              body = ("{\"id\":\"" + id + "\",\"from\":\"src:sender" + member + "\",\"to\":\"" + groupAddress[member]
                  + "\",\"sentAt\":\"" + Instant.now() + "\",\"content\":" + TEXT_CONTENT + "}").getBytes(StandardCharsets.UTF_8);
            } else {
              body = envelope(id, conn, people, content(kind, conn));
            }
            long start = System.nanoTime();
            try {
              int code = client.post("/v1/networks/src/messages",
                  "Parlor-Signature: " + sig.sign(body, Instant.now()) + "\r\n", body);
              if (code == 202 && measuring.get()) {
                recorder.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
                accepted.incrementAndGet();
              }
            } catch (IOException e) {
              client.close();
              if (stop.get()) {
                return;
              }
            }
          }
        }, "load-" + c);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      Thread.sleep(warmup * 1000L);
      recorder.reset();
      long sinkAtStart = sinkCount.get();
      measuring.set(true);
      long t0 = System.nanoTime();
      long[] cpu0 = CpuShares.sample();
      Thread.sleep(measured * 1000L);
      measuring.set(false);
      long[] cpu1 = CpuShares.sample();
      double seconds = (System.nanoTime() - t0) / 1e9;
      long delivered = sinkCount.get() - sinkAtStart;
      CpuShares.print(cpu0, cpu1, delivered);
      stop.set(true);
      for (Thread t : threads) {
        t.join(5000);
      }
      Histogram h = recorder.getIntervalHistogram();
      // drain: what was accepted is delivered
      long drainUntil = System.nanoTime() + Duration.ofSeconds(180).toNanos();
      while (started.stream().anyMatch(g -> g.queueDepth() > 0) && System.nanoTime() < drainUntil) {
        Thread.sleep(50);
      }
      System.out.printf("  %s: accepted %,d, delivered %,d in %.1f s; queue after drain %d%n",
          name, accepted.get(), delivered, seconds, node.queueDepth());
      return new Result(name, accepted.get(), delivered, seconds, h);
    } finally {
      sink.close();
      if (System.getProperty("bench.keep") == null) BenchFiles.deleteTree(dir); else System.out.println("  kept " + dir);
    }
  }
}
