package io.parlor.bench;

import io.parlor.adapter.webhook.Signatures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 17's queue target: a million messages queued behind a destination that is down, in a
 * node with a 512 MiB heap, without ingress slowing down; the node killed (SIGKILL) and restarted
 * on that store with the same heap; the destination back; every message delivered, once.
 *
 * <p>The node is the server's fat jar in a process of its own ({@code -Xmx512m}); the load
 * generator and the destination (a raw HTTP sink answering 503 while "down") run here. Heap is
 * read after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}).
 *
 * <pre>
 * bench/run-queue                  # 1,000,000 messages, 32 connections, -Xmx512m
 * bench/run-queue 200000 32 256m
 * </pre>
 */
public final class QueueBench {
  private static final String SECRET = "bench-secret-000000000001";
  private static final int PEOPLE = 64;
  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  private QueueBench() {}

  public static void main(String[] args) throws Exception {
    int total = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    String heap = args.length > 2 ? args[2] : "512m";
    Path jar = Path.of(System.getProperty("bench.parlorJar", "deploy/server/target/parlor.jar")).toAbsolutePath();
    Path dir = Files.createTempDirectory("parlor-queue");
    BitSet seen = new BitSet(total);
    AtomicLong deliveries = new AtomicLong();
    AtomicLong twice = new AtomicLong();
    Pattern idOf = Pattern.compile("\"text\":\"q(\\d+) ");
    RawHttpSink sink = new RawHttpSink((path, body) -> {
      if (!path.equals("/messages")) {
        return;
      }
      Matcher m = idOf.matcher(new String(body, StandardCharsets.UTF_8));
      if (m.find()) {
        int id = Integer.parseInt(m.group(1));
        deliveries.incrementAndGet();
        synchronized (seen) {
          if (seen.get(id)) {
            twice.incrementAndGet();
          }
          seen.set(id);
        }
      }
    });
    sink.down = true;
    System.out.printf(Locale.ROOT, "Parlor queue benchmark: %,d messages of 1 KB behind a destination that is down, "
        + "%d connections, node heap -Xmx%s, %d cores%n", total, connections, heap, Runtime.getRuntime().availableProcessors());
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    Process node = null;
    try {
      int port = NginxBench.freePort();
      Path config = dir.resolve("parlor.yaml");
      Files.writeString(config, String.join("\n",
          "http:", "  port: " + port,
          "store:", "  path: " + dir.resolve("parlor.db"),
          "logging:", "  level: warn",
          "delivery:", "  maxQueued: " + (total + total / 10),
          "policy:", "  senderPerMinute: 1000000", "  senderBurst: 1000000", "  pairPerMinute: 1000000",
          "  pairBurst: 1000000", "  networkPerSecond: 10000000", "  networkBurst: 10000000",
          "  holdAfterStrangers: 1000000",
          "networks:",
          "  - id: src", "    type: webhook", "    secret: " + SECRET,
          "    deliveryUrl: http://127.0.0.1:" + sink.port() + "/src",
          "    statusUrl: http://127.0.0.1:" + sink.port() + "/status",
          "  - id: dst", "    type: webhook", "    secret: " + SECRET,
          "    deliveryUrl: http://127.0.0.1:" + sink.port() + "/messages", ""));
      URI uri = URI.create("http://127.0.0.1:" + port);
      node = start(jar, heap, config, dir.resolve("node-1.log"));
      NginxBench.waitReady(http, uri, node, Duration.ofSeconds(60));
      for (int p = 0; p < PEOPLE; p++) {
        http.send(HttpRequest.newBuilder(uri.resolve("/admin/v1/people/p" + p))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"dst:user" + p + "\"],\"optIn\":true}")).build(),
            HttpResponse.BodyHandlers.discarding());
      }
      long heapIdle = heapUsedAfterGc(node.pid());
      System.out.printf(Locale.ROOT, "node started: heap after a full GC %,d KB, RSS %,d KB%n", heapIdle / 1024,
          rssKb(node.pid()));

      // fill: ids are handed out in order; the time of each tenth is noted
      AtomicInteger next = new AtomicInteger();
      AtomicLong accepted = new AtomicLong();
      AtomicLong refused = new AtomicLong();
      int tenth = total / 10;
      long[] at = new long[11];
      at[0] = System.nanoTime();
      Signatures sig = new Signatures(SECRET);
      String pad = "x".repeat(880);
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        Thread t = new Thread(() -> {
          RawHttpClient client = new RawHttpClient("127.0.0.1", port);
          for (int id; (id = next.getAndIncrement()) < total; ) {
            int p = id % PEOPLE;
            byte[] body = ("{\"id\":\"q" + id + "\",\"from\":\"src:sender" + p + "\",\"to\":\"dst:user" + p
                + "\",\"sentAt\":\"" + Instant.now() + "\",\"content\":{\"type\":\"text\",\"text\":\"q" + id + " " + pad
                + "\"}}").getBytes(StandardCharsets.UTF_8);
            while (true) {
              try {
                int code = client.post("/v1/networks/src/messages",
                    "Parlor-Signature: " + sig.sign(body, Instant.now()) + "\r\n", body);
                if (code == 202) {
                  long n = accepted.incrementAndGet();
                  if (n % tenth == 0) {
                    at[(int) (n / tenth)] = System.nanoTime();
                  }
                  break;
                }
                refused.incrementAndGet(); // 503: retried, as a network would
                Thread.sleep(100);
              } catch (IOException | InterruptedException e) {
                client.close();
                client = new RawHttpClient("127.0.0.1", port);
              }
            }
          }
          client.close();
        }, "load-" + c);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        t.join();
      }
      StringBuilder rates = new StringBuilder();
      for (int i = 1; i <= 10; i++) {
        rates.append(i == 1 ? "" : ", ").append(String.format(Locale.ROOT, "%,.0f", tenth / ((at[i] - at[i - 1]) / 1e9)));
      }
      System.out.printf(Locale.ROOT, "queued %,d in %.0f s (%,d answers 503 on the way); accepted/s by tenth: %s%n",
          accepted.get(), (at[10] - at[0]) / 1e9, refused.get(), rates);
      long heapFull = heapUsedAfterGc(node.pid());
      System.out.printf(Locale.ROOT, "%,d queued: heap after a full GC %,d KB (%.0f bytes per queued message above the"
          + " started node), RSS %,d KB, queue depth %d, held in memory %s%n", accepted.get(), heapFull / 1024,
          (double) (heapFull - heapIdle) / accepted.get(), rssKb(node.pid()), depth(http, uri),
          metric(http, uri, "parlor_queue_held"));

      // SIGKILL, the destination back, a restart on the same store with the same heap
      node.destroyForcibly().waitFor();
      sink.down = false;
      long restart = System.nanoTime();
      node = start(jar, heap, config, dir.resolve("node-2.log"));
      NginxBench.waitReady(http, uri, node, Duration.ofSeconds(300));
      double ready = (System.nanoTime() - restart) / 1e9;
      System.out.printf(Locale.ROOT, "killed (SIGKILL) and restarted on the same store: ready in %.1f s, heap %,d KB%n",
          ready, heapUsedAfterGc(node.pid()) / 1024);
      long drainStart = System.nanoTime();
      long until = drainStart + Duration.ofMinutes(30).toNanos();
      long lastReport = drainStart;
      int distinct;
      while (true) {
        synchronized (seen) {
          distinct = seen.cardinality();
        }
        if (distinct >= accepted.get() && depth(http, uri) == 0) {
          break;
        }
        if (System.nanoTime() > until || !node.isAlive()) {
          throw new IllegalStateException("not drained: " + distinct + " of " + accepted.get() + " delivered");
        }
        if (System.nanoTime() - lastReport > 60e9) {
          lastReport = System.nanoTime();
          System.out.printf(Locale.ROOT, "  draining: %,d delivered, heap %,d KB%n", distinct, heapUsed(node.pid()) / 1024);
        }
        Thread.sleep(200);
      }
      double drain = (System.nanoTime() - drainStart) / 1e9;
      System.out.printf(Locale.ROOT, "drained: %,d of %,d delivered in %.0f s (%,.0f/s), %d delivered twice, %,d"
          + " deliveries in all; queue depth %d; the node %s%n", distinct, accepted.get(), drain, distinct / drain,
          twice.get(), deliveries.get(), depth(http, uri), node.isAlive() ? "up" : "DOWN");
    } finally {
      if (node != null) {
        node.destroy();
        node.waitFor();
      }
      sink.close();
      if (System.getProperty("bench.keep") == null) {
        BenchFiles.deleteTree(dir);
      } else {
        System.out.println("kept " + dir);
      }
    }
    System.exit(0);
  }

  private static Process start(Path jar, String heap, Path config, Path log) throws IOException {
    return new ProcessBuilder("java", "-XX:+ExitOnOutOfMemoryError", "-Xmx" + heap, "-jar", jar.toString(), "serve",
        "--config", config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static long depth(HttpClient http, URI uri) throws Exception {
    Matcher m = Pattern.compile("\"queueDepth\":(\\d+)").matcher(http.send(
        HttpRequest.newBuilder(uri.resolve("/admin/v1/status")).build(), HttpResponse.BodyHandlers.ofString()).body());
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String metric(HttpClient http, URI uri, String name) throws Exception {
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.E+-]+)$").matcher(http.send(
        HttpRequest.newBuilder(uri.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body());
    return m.find() ? String.format(Locale.ROOT, "%,.0f", Double.parseDouble(m.group(2))) : "?";
  }

  /** Heap in use after a full collection, in bytes (jcmd). */
  private static long heapUsedAfterGc(long pid) throws Exception {
    jcmd(pid, "GC.run");
    return heapUsed(pid);
  }

  private static long heapUsed(long pid) throws Exception {
    Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
    return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
  }

  private static String jcmd(long pid, String command) throws Exception {
    Process p = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private static long rssKb(long pid) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("\\D", ""));
      }
    }
    return -1;
  }
}
