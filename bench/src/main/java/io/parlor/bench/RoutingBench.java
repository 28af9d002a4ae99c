package io.parlor.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Issue 17: routing cost as the people linked grow from 10³ to 10⁶. Two nodes (the server's fat
 * jar, each a process of its own) deliver to the same trivial upstream (nginx answering 200):
 * the <em>baseline</em> keeps the first size's people; the <em>grown</em> node gets more people
 * linked (operator import, {@code PUT /admin/v1/people/{id}}) before each step. At each step both
 * take the same wrk load, one after the other: 1 KB signed envelopes, each the first message of a
 * new pair (a sender never seen, to a person drawn at random among all the node's people), so
 * that nothing of the pair is cached and both nodes' other tables grow alike. The figure is the
 * grown node's CPU per message over the baseline's in the same step (the machine's speed drifts
 * by more than the effect looked for); at the first step both have the same people, so that
 * ratio shows the method's own noise.
 *
 * <pre>
 * bench/run-routing                              # 1000,10000,100000,1000000; 20 s per step
 * bench/run-routing 1000,10000,100000,1000000 20 30
 * </pre>
 */
public final class RoutingBench {
  private RoutingBench() {}

  public static void main(String[] args) throws Exception {
    String[] sizeArgs = (args.length > 0 ? args[0] : "1000,10000,100000,1000000").split(",");
    int[] sizes = new int[sizeArgs.length];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = Integer.parseInt(sizeArgs[i].trim());
    }
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int connections = Integer.getInteger("bench.connections", 64);
    Path jar = Path.of(System.getProperty("bench.parlorJar", "deploy/server/target/parlor.jar"));
    Path lua = Path.of(System.getProperty("bench.lua", "bench/wrk/post.lua")).toAbsolutePath();
    Path dir = Files.createTempDirectory("parlor-routing");
    System.out.printf(Locale.ROOT, "Routing as linked people grow: %s people, wrk %d connections, %d s per step, %d s"
        + " warm-up, %d cores%n", String.join(" → ", sizeArgs), connections, seconds, warmup,
        Runtime.getRuntime().availableProcessors());
    List<Process> processes = new ArrayList<>();
    List<String> rows = new ArrayList<>();
    try {
      int upstream = NginxBench.freePort();
      processes.add(NginxBench.nginx(dir.resolve("upstream"), NginxBench.upstreamConf(upstream), 1));
      NginxBench.waitPort(upstream);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      NginxBench.Target[] nodes = new NginxBench.Target[2];
      String[] names = {"baseline", "grown"};
      for (int n = 0; n < 2; n++) {
        int port = NginxBench.freePort();
        Process p = NginxBench.parlor(Files.createDirectories(dir.resolve("node-" + n)), jar, port, upstream, 1, "");
        processes.add(p);
        URI uri = URI.create("http://127.0.0.1:" + port);
        NginxBench.waitReady(http, uri, p, Duration.ofSeconds(60));
        nodes[n] = new NginxBench.Target(names[n], uri, List.of(p.pid()), true);
      }
      for (NginxBench.Target t : nodes) {
        link(http, t.uri(), 0, sizes[0]);
      }
      int linked = sizes[0];
      for (int step = 0; step < sizes.length; step++) {
        if (sizes[step] > linked) {
          NginxBench.Bench counts = new NginxBench.Bench(dir, lua, http, null);
          double[] store0 = counts.storeCounts(nodes[1].uri());
          long t0 = System.nanoTime();
          link(http, nodes[1].uri(), linked, sizes[step]);
          double secs = (System.nanoTime() - t0) / 1e9;
          double[] store1 = counts.storeCounts(nodes[1].uri());
          System.out.printf(Locale.ROOT, "  linked people %,d → %,d on the grown node: %.0f s, %,.0f people/s, %.2f commits"
              + " per person%n", linked, sizes[step], secs, (sizes[step] - linked) / secs,
              (store1[0] - store0[0]) / (sizes[step] - linked));
          linked = sizes[step];
        }
        NginxBench.Load[] loads = new NginxBench.Load[2];
        for (int n = 0; n < 2; n++) {
          int people = n == 0 ? sizes[0] : sizes[step];
          NginxBench.Bench b = new NginxBench.Bench(dir, lua, http, firstContacts(people));
          if (step == 0) {
            b.wrk(nodes[n], connections, warmup, "w" + n);
          }
          loads[n] = b.wrk(nodes[n], connections, seconds, "s" + step + "n" + n);
        }
        double ratio = loads[1].cpuUs() / loads[0].cpuUs();
        rows.add(String.format(Locale.ROOT, "| %,d | %,.0f | %,.0f | %.0f | %.0f | %.2f | %.0f / %.0f |", sizes[step],
            loads[0].accepted() / loads[0].seconds(), loads[1].accepted() / loads[1].seconds(), loads[0].cpuUs(),
            loads[1].cpuUs(), ratio, rssMb(nodes[0].pids().get(0)), rssMb(nodes[1].pids().get(0))));
      }
      System.out.println();
      System.out.println("| people (grown) | baseline msg/s | grown msg/s | baseline CPU µs/msg | grown CPU µs/msg"
          + " | grown / baseline | RSS MB baseline / grown |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
      rows.forEach(System.out::println);
    } finally {
      NginxBench.cleanUp(processes, dir);
    }
  }

  /**
   * Every request the first message of its pair: a sender named after the request, to one of
   * {@code people} drawn by a hash of the request (the same file, the same draw).
   */
  static NginxBench.Addressing firstContacts(int people) {
    return new NginxBench.Addressing() {
      @Override
      public String from(String tag, int i) {
        return "src:s-" + tag + "-" + i;
      }

      @Override
      public String to(String tag, int i) {
        return "dst:user" + Math.floorMod(mix(tag.hashCode() * 0x9E3779B97F4A7C15L + i), people);
      }
    };
  }

  /** A 64-bit finaliser (MurmurHash3's): spreads consecutive inputs over the range. */
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  /** Requests in flight while linking people ({@code -Dbench.linkInFlight}). */
  private static final int LINK_IN_FLIGHT = Integer.getInteger("bench.linkInFlight", 128);

  /** Links persons p{from} … p{to − 1}, each with the account dst:user{i}. */
  static void link(HttpClient http, URI node, int from, int to) throws Exception {
    Semaphore inFlight = new Semaphore(LINK_IN_FLIGHT);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    for (int i = from; i < to && failed.get() == null; i++) {
      inFlight.acquire();
      HttpRequest r = HttpRequest.newBuilder(node.resolve("/admin/v1/people/p" + i))
          .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"dst:user" + i + "\"],\"optIn\":true}")).build();
      CompletableFuture<HttpResponse<Void>> f = http.sendAsync(r, HttpResponse.BodyHandlers.discarding());
      f.whenComplete((res, err) -> {
        if (err != null) {
          failed.compareAndSet(null, err);
        } else if (res.statusCode() >= 300) {
          failed.compareAndSet(null, new IllegalStateException(r.uri() + ": " + res.statusCode()));
        }
        inFlight.release();
      });
    }
    inFlight.acquire(LINK_IN_FLIGHT);
    if (failed.get() != null) {
      throw new IllegalStateException("linking people failed", failed.get());
    }
  }

  private static double rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (java.io.IOException | RuntimeException gone) {
      // ended
    }
    return -1;
  }
}
