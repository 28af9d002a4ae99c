package io.parlor.bench;

import io.parlor.adapter.webhook.Signatures;
import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
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
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 17's yardstick: a Parlor node against nginx as a plain reverse proxy, under the same
 * {@code wrk} load, in one run. Both forward to the same trivial upstream (a second nginx that
 * answers 200); wrk posts 1 KB signed envelopes, signed beforehand (bench/wrk/post.lua sends each
 * once) so that the load generator costs little. The node is the server's fat jar in a process of
 * its own, so that its CPU is its own: from {@code /proc/<pid>/stat}, from the start of the load
 * until its queue is drained, per accepted message (ingress, store, delivery and the status
 * callback). nginx's is that of the proxy's processes over the load. Runs are interleaved: nginx,
 * then Parlor, at C connections and then at one.
 *
 * <pre>
 * bench/vs-nginx                 # 64 connections, 60 s warm-up, 20 s measured, 3 runs
 * bench/vs-nginx 64 60 20 3
 * JAVA_OPTS="-Dbench.floor=3,2" bench/vs-nginx 64 30 15 3   # and the floor under the node
 * </pre>
 *
 * <p>{@code -Dbench.floor=3,2} adds {@code HttpFloor}, the node's own HTTP server and webhook
 * client with nothing between them (three exchanges a message; {@code 2}: without the status),
 * a process of its own measured as the node is; {@code -Dbench.parlorJar=none} leaves the node out.
 */
public final class NginxBench {
  private static final String SECRET = "bench-secret-000000000001";
  private static final int PEOPLE = 64;
  private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([0-9.]+)(ms|s|m)");
  private static final Pattern PERCENTILE = Pattern.compile("(?m)^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$");
  private static final Pattern ERRORS = Pattern.compile("Non-2xx or 3xx responses: (\\d+)|Socket errors: (.*)");

  private NginxBench() {}

  record Load(String name, int connections, double seconds, long requests, double p50ms, double p99ms, double cpuUs,
      long accepted, String problems) {}

  /** Who writes to whom: request {@code i}'s sender and recipient addresses. */
  interface Addressing {
    String from(String tag, int i);

    String to(String tag, int i);
  }

  /** The 64 pairs every run of this benchmark sends between: sender p to person p. */
  static final Addressing PAIRS = new Addressing() {
    @Override
    public String from(String tag, int i) {
      return "src:sender" + i % PEOPLE;
    }

    @Override
    public String to(String tag, int i) {
      return "dst:user" + i % PEOPLE;
    }
  };

  public static void main(String[] args) throws Exception {
    int connections = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int measured = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    // -Dbench.parlorJar=a.jar,b.jar: several builds, each a node of its own, interleaved (an A/B)
    List<Path> jars = new ArrayList<>();
    for (String j : System.getProperty("bench.parlorJar", "deploy/server/target/parlor.jar").split(",")) {
      if (!j.equals("none")) { // none: no node (the floor alone, -Dbench.floor)
        jars.add(Path.of(j));
      }
    }
    // -Dbench.statusBatch=1,100: the src network's statusBatch for each node in turn (a jar may be
    // named twice to compare configurations); 1, one status a POST, when not given
    List<Integer> statusBatch = new ArrayList<>();
    for (String b : System.getProperty("bench.statusBatch", "").split(",")) {
      statusBatch.add(b.isBlank() ? 1 : Integer.parseInt(b.trim()));
    }
    while (statusBatch.size() < Math.max(1, jars.size())) {
      statusBatch.add(statusBatch.get(statusBatch.size() - 1));
    }
    // -Dbench.nodeJavaOptsEach="-XX:+UseG1GC|-XX:+UseParallelGC": JVM options for each node in turn,
    // after -Dbench.nodeJavaOpts (a jar may be named twice to compare them); none when not given
    List<String> javaOptsEach = new ArrayList<>(List.of(System.getProperty("bench.nodeJavaOptsEach", "").split("\\|")));
    while (javaOptsEach.size() < Math.max(1, jars.size())) {
      javaOptsEach.add(javaOptsEach.get(javaOptsEach.size() - 1));
    }
    Path lua = Path.of(System.getProperty("bench.lua", "bench/wrk/post.lua")).toAbsolutePath();
    Path dir = Files.createTempDirectory("parlor-vs-nginx");
    System.out.printf("Parlor against nginx as a reverse proxy, wrk: %d connections, %d s warm-up, %d s measured,"
        + " %d runs, %d cores%n", connections, warmup, measured, runs, Runtime.getRuntime().availableProcessors());
    List<Process> processes = new ArrayList<>();
    List<Load> results = new ArrayList<>();
    try {
      int upstream = freePort();
      int proxy = freePort();
      processes.add(nginx(dir.resolve("upstream"), upstreamConf(upstream), 1));
      Process nginxProxy = nginx(dir.resolve("proxy"), proxyConf(proxy, upstream), 2);
      processes.add(nginxProxy);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      waitPort(proxy);
      Target nginx = new Target("nginx proxy", URI.create("http://127.0.0.1:" + proxy), descendantsAndSelf(nginxProxy),
          false);
      List<Target> nodes = new ArrayList<>();
      for (int n = 0; n < jars.size(); n++) {
        int port = freePort();
        Path nodeDir = Files.createDirectories(dir.resolve("node-" + n));
        Process parlor = parlor(nodeDir, jars.get(n), port, upstream, statusBatch.get(n), javaOptsEach.get(n));
        processes.add(parlor);
        URI uri = URI.create("http://127.0.0.1:" + port);
        waitReady(http, uri, parlor, Duration.ofSeconds(60));
        for (int p = 0; p < PEOPLE; p++) {
          send(http, HttpRequest.newBuilder(uri.resolve("/admin/v1/people/p" + p))
              .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"dst:user" + p + "\"],\"optIn\":true}")).build());
        }
        String name = (jars.size() == 1 ? "Parlor" : "Parlor " + jars.get(n).getFileName())
            + (statusBatch.get(n) > 1 ? " statusBatch " + statusBatch.get(n) : "")
            + (javaOptsEach.get(n).isBlank() ? "" : " " + javaOptsEach.get(n).trim());
        nodes.add(new Target(name, uri, List.of(parlor.pid()), true));
      }
      // -Dbench.floor=3,2: the floor under a node's CPU, its own HTTP server and webhook client with
      // nothing between them (HttpFloor): 3, the three exchanges of a message with a status callback;
      // 2, without the status, as nginx's proxy
      for (String f : System.getProperty("bench.floor", "").split(",")) {
        if (f.isBlank()) {
          continue;
        }
        boolean status = switch (f.trim()) {
          case "3", "true" -> true;
          case "2" -> false;
          default -> throw new IllegalArgumentException("bench.floor: 3 or 2 (exchanges), not " + f);
        };
        int port = freePort();
        Path floorDir = Files.createDirectories(dir.resolve("floor-" + f.trim()));
        Process floor = floor(floorDir, port, upstream, status);
        processes.add(floor);
        waitPort(port);
        nodes.add(new Target(status ? "Java HTTP floor" : "Java HTTP floor, no status", URI.create("http://127.0.0.1:" + port),
            List.of(floor.pid()), false, true));
      }
      Bench b = new Bench(dir, lua, http, PAIRS);
      // C2 on 2 cores compiles for about a minute under load: measure after it
      System.out.printf("warm-up: %d s at %d connections%s (each node), %d s (nginx)%n", warmup, connections,
          connections == 1 ? "" : ", then " + Math.min(warmup, 15) + " s at 1", 10);
      for (int n = 0; n < nodes.size(); n++) {
        b.wrk(nodes.get(n), connections, warmup, "w" + n);
      }
      if (connections != 1) {
        // one connection takes other paths (each message its own commit, on the event loop): the
        // compiler was still at them in the first measured run at one connection (about 8 % of
        // the node's CPU there, issue 17's fourth session), so they are warmed too
        for (int n = 0; n < nodes.size(); n++) {
          b.wrk(nodes.get(n), 1, Math.min(warmup, 15), "w" + n + "c1");
        }
      }
      b.wrk(nginx, connections, 10, "wn");
      // an idle node should use next to no CPU (issue 17): each node, left alone for 10 s after its warm-up
      Thread.sleep(2_000);
      for (Target t : nodes) {
        long before = cpuNs(t.pids);
        Thread.sleep(10_000);
        System.out.printf(Locale.ROOT, "  %s idle: %.1f ms of CPU per second%n", t.name, (cpuNs(t.pids) - before) / 1e6 / 10);
      }
      int[] loads = connections == 1 ? new int[] {1} : new int[] {connections, 1};
      for (int r = 1; r <= runs; r++) {
        for (int c : loads) {
          results.add(b.wrk(nginx, c, measured, "n" + r + "c" + c));
          for (int n = 0; n < nodes.size(); n++) {
            results.add(b.wrk(nodes.get(n), c, measured, "p" + n + "r" + r + "c" + c));
          }
        }
      }
      System.out.println();
      System.out.println("| load | connections | requests/s | ack p50 ms | ack p99 ms | server CPU µs per message | accepted (202) |");
      System.out.println("|---|---:|---:|---:|---:|---:|---:|");
      for (Load l : results) {
        System.out.printf(Locale.ROOT, "| %s | %d | %,.0f | %.3f | %.3f | %.0f | %s |%n", l.name, l.connections,
            l.requests / l.seconds, l.p50ms, l.p99ms, l.cpuUs, l.accepted < 0 ? "–" : String.format("%,d", l.accepted));
      }
      for (int c : connections == 1 ? new int[] {1} : new int[] {connections, 1}) {
        int cc = c;
        double n = results.stream().filter(l -> l.connections == cc && l.name.startsWith("nginx"))
            .mapToDouble(l -> l.requests / l.seconds).average().orElse(0);
        results.stream().filter(l -> l.accepted >= 0).map(Load::name).distinct().forEach(name -> {
          double p = results.stream().filter(l -> l.connections == cc && l.name.equals(name))
              .mapToDouble(l -> l.accepted / l.seconds).average().orElse(0);
          System.out.printf(Locale.ROOT, "at %d connection%s: %s %,.0f accepted/s against nginx %,.0f requests/s"
              + " (%.0f %%), mean of the runs%n", cc, cc == 1 ? "" : "s", name, p, n, 100 * p / n);
        });
      }
      results.stream().filter(l -> !l.problems.isEmpty())
          .forEach(l -> System.out.printf("  %s at %d: %s%n", l.name, l.connections, l.problems));
    } finally {
      cleanUp(processes, dir);
    }
  }

  /**
   * A server under load: nginx, a Parlor node ({@code parlor}: ids must not repeat; its queue
   * drains), or {@code HttpFloor} ({@code floor}: its exchanges end after its answers; CPU per
   * message over those delivered).
   */
  record Target(String name, URI uri, List<Long> pids, boolean parlor, boolean floor) {
    Target(String name, URI uri, List<Long> pids, boolean parlor) {
      this(name, uri, pids, parlor, false);
    }
  }

  /** Runs of wrk against a server, with the server's CPU over each (also {@link RoutingBench}'s). */
  record Bench(Path dir, Path lua, HttpClient http, Addressing addressing) {
    Load wrk(Target target, int connections, int seconds, String tag) throws Exception {
      String name = target.name;
      boolean parlor = target.parlor;
      URI node = target.uri;
      // each request once: ids are unique, a retry would be a duplicate (cheaper, and not what is measured)
      // as many as the node could take at the rate -Dbench.maxRate (default 10,000/s; 4,000/s at one
      // connection); nginx's may repeat, and the warm-up's: 200,000 at most
      long rate = connections == 1 ? 4_000L : Long.getLong("bench.maxRate", 10_000L);
      int expected = (int) Math.min(tag.startsWith("w") ? 200_000 : 3_000_000, rate * seconds);
      Path requests = dir.resolve(tag + ".req");
      write(requests, tag, parlor ? expected : Math.min(expected, 50_000));
      int threads = Math.min(2, connections);
      List<Long> pids = target.pids;
      double accepted0 = parlor ? accepted(node) : 0;
      long[] floor0 = target.floor ? floorCounts(node) : null;
      double[] store0 = parlor ? storeCounts(node) : null;
      double[] statuses0 = parlor ? statusCounts(node) : null;
      java.util.TreeMap<Double, Double> commits0 = parlor ? commitBuckets(node) : null;
      long cpu0 = cpuNs(pids);
      Process wrk = new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency",
          "-s", lua.toString(), node + "/v1/networks/src/messages", "--", requests.toString(), String.valueOf(threads))
          .redirectErrorStream(true).start();
      String out = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (wrk.waitFor() != 0) {
        throw new IllegalStateException("wrk failed: " + out);
      }
      long accepted = -1;
      if (parlor) {
        // end to end: until what was accepted is delivered
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (queueDepth(node) > 0 && System.nanoTime() < until) {
          Thread.sleep(20);
        }
        accepted = Math.round(accepted(node) - accepted0);
      }
      long floorFailed = 0;
      if (target.floor) {
        // the floor's deliveries and statuses run after its answers: until the last is done
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long[] floor1 = floorCounts(node);
        while (floor1[0] > 0 && System.nanoTime() < until) {
          Thread.sleep(20);
          floor1 = floorCounts(node);
        }
        accepted = floor1[1] - floor0[1];
        floorFailed = floor1[2] - floor0[2];
      }
      String store = "";
      if (parlor && accepted > 0) {
        double[] store1 = storeCounts(node);
        java.util.TreeMap<Double, Double> commits1 = commitBuckets(node);
        double[] statuses1 = statusCounts(node);
        store = String.format(Locale.ROOT, "; per message: %.2f commits, %.2f units of work; commit p50 %s, p99 %s;"
            + " %.1f statuses a POST",
            (store1[0] - store0[0]) / accepted, (store1[1] - store0[1]) / accepted,
            quantile(commits0, commits1, 0.5), quantile(commits0, commits1, 0.99),
            (statuses1[1] - statuses0[1]) / Math.max(1, statuses1[0] - statuses0[0]));
      }
      long cpu = cpuNs(pids) - cpu0;
      Files.delete(requests);
      Matcher m = REQUESTS.matcher(out);
      if (!m.find()) {
        throw new IllegalStateException("no request count in wrk's output: " + out);
      }
      long count = Long.parseLong(m.group(1));
      double secs = Double.parseDouble(m.group(2)) * switch (m.group(3)) {
        case "ms" -> 1e-3;
        case "m" -> 60;
        default -> 1;
      };
      double p50 = -1;
      double p99 = -1;
      Matcher pm = PERCENTILE.matcher(out);
      while (pm.find()) {
        double v = Double.parseDouble(pm.group(2)) * switch (pm.group(3)) {
          case "us" -> 1e-3;
          case "s" -> 1e3;
          default -> 1;
        };
        if (pm.group(1).equals("50")) {
          p50 = v;
        } else {
          p99 = v;
        }
      }
      StringBuilder problems = new StringBuilder();
      Matcher em = ERRORS.matcher(out);
      while (em.find()) {
        problems.append(em.group().trim()).append("; ");
      }
      // wrk counts the answers within its window; up to a request per connection was still in flight
      if (parlor && (accepted < count || accepted > count + connections)) {
        problems.append(accepted).append(" accepted of ").append(count).append(" requests; ");
      }
      if (floorFailed > 0) {
        problems.append(floorFailed).append(" deliveries or statuses failed; ");
      }
      double perMessage = cpu / 1e3 / (accepted >= 0 ? Math.max(1, accepted) : Math.max(1, count));
      Load l = new Load(name, connections, secs, count, p50, p99, perMessage, accepted, problems.toString());
      System.out.printf(Locale.ROOT, "  %-12s %-8s %3d connections: %,8.0f requests/s, p50 %.3f ms, p99 %.3f ms,"
          + " %4.0f µs CPU per message%s%s%n", name, tag, connections, count / secs, p50, p99, perMessage,
          store, problems.isEmpty() ? "" : " (" + problems + ")");
      return l;
    }

    private void write(Path file, String tag, int n) throws IOException {
      Signatures sig = new Signatures(SECRET);
      // the text pads the envelope to about 1 KB, as issue 17's load
      String pad = "x".repeat(880);
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
          byte[] body = ("{\"id\":\"" + tag + "-" + i + "\",\"from\":\"" + addressing.from(tag, i) + "\",\"to\":\""
              + addressing.to(tag, i) + "\",\"sentAt\":\"" + now + "\",\"content\":{\"type\":\"text\",\"text\":\"" + pad + "\"}}")
              .getBytes(StandardCharsets.UTF_8);
          w.write(sig.sign(body, now));
          w.write('\t');
          w.write(new String(body, StandardCharsets.UTF_8));
          w.write('\n');
        }
      }
    }

    /** The floor's exchanges: under way, delivered and reported, failed. */
    private long[] floorCounts(URI floor) throws Exception {
      String[] parts = send(http, HttpRequest.newBuilder(floor.resolve("/pending")).build()).trim().split(" ");
      return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2])};
    }

    /** The store's commit times so far: the count at or under each bound of its histogram (seconds). */
    private java.util.TreeMap<Double, Double> commitBuckets(URI node) throws Exception {
      String scrape = send(http, HttpRequest.newBuilder(node.resolve("/metrics")).build());
      java.util.TreeMap<Double, Double> out = new java.util.TreeMap<>();
      Matcher m = Pattern.compile("(?m)^parlor_store_commit_seconds_bucket\\{[^}]*le=\"([^\"]+)\"[^}]*\\} ([0-9.E+-]+)$")
          .matcher(scrape);
      while (m.find()) {
        double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
        out.merge(le, Double.parseDouble(m.group(2)), Double::sum);
      }
      return out;
    }

    /** The bound of the histogram's bucket that holds quantile {@code q} of the commits between two scrapes. */
    private static String quantile(java.util.TreeMap<Double, Double> before, java.util.TreeMap<Double, Double> after,
        double q) {
      double total = after.lastEntry().getValue() - before.getOrDefault(after.lastKey(), 0.0);
      for (java.util.Map.Entry<Double, Double> e : after.entrySet()) {
        if (e.getValue() - before.getOrDefault(e.getKey(), 0.0) >= q * total) {
          return e.getKey().isInfinite() ? "> max" : String.format(Locale.ROOT, "≤ %.2f ms", e.getKey() * 1e3);
        }
      }
      return "?";
    }

    /** The store's commits and units of work so far (every writer's). */
    double[] storeCounts(URI node) throws Exception {
      return NginxBench.storeCounts(http, node);
    }

    /** The src network's status POSTs and the statuses they carried so far (the webhook adapter's counts). */
    double[] statusCounts(URI node) throws Exception {
      return counterPair(send(http, HttpRequest.newBuilder(node.resolve("/metrics")).build()),
          "(?m)^parlor_adapter_events_total\\{event=\"(status_posts|statuses_posted)\",network=\"src\"[^}]*\\} ([0-9.E+-]+)$",
          "status_posts");
    }

    private double accepted(URI node) throws Exception {
      String scrape = send(http, HttpRequest.newBuilder(node.resolve("/metrics")).build());
      Matcher m = Pattern.compile("(?m)^parlor_messages_received_total\\{[^}]*outcome=\"accepted\"[^}]*\\} ([0-9.E+-]+)$")
          .matcher(scrape);
      double total = 0;
      while (m.find()) {
        total += Double.parseDouble(m.group(1));
      }
      return total;
    }

    private long queueDepth(URI node) throws Exception {
      Matcher m = Pattern.compile("\"queueDepth\":(\\d+)")
          .matcher(send(http, HttpRequest.newBuilder(node.resolve("/admin/v1/status")).build()));
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
  }

  /** A node's store commits and units of work so far (every writer's), from its metrics. */
  static double[] storeCounts(HttpClient http, URI node) throws Exception {
    return counterPair(send(http, HttpRequest.newBuilder(node.resolve("/metrics")).build()),
        "(?m)^parlor_store_commit_batch_(count|sum)\\{[^}]*\\} ([0-9.E+-]+)$", "count");
  }

  /** Two counters of a scrape, summed over their tags: [those whose group 1 is {@code first}, the others]. */
  private static double[] counterPair(String scrape, String regex, String first) {
    double[] out = new double[2];
    Matcher m = Pattern.compile(regex).matcher(scrape);
    while (m.find()) {
      out[m.group(1).equals(first) ? 0 : 1] += Double.parseDouble(m.group(2));
    }
    return out;
  }

  static String send(HttpClient http, HttpRequest r) throws Exception {
    HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() >= 300) {
      throw new IllegalStateException(r.uri() + ": " + res.statusCode() + " " + res.body());
    }
    return res.body();
  }

  /** CPU (user and system) of processes, in ns; USER_HZ is 100 on Linux. */
  static long cpuNs(List<Long> pids) {
    long ticks = 0;
    for (long pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException | RuntimeException gone) {
        // ended meanwhile
      }
    }
    return ticks * 10_000_000L;
  }

  static List<Long> descendantsAndSelf(Process p) throws InterruptedException {
    // nginx starts its workers after the master: wait for them
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (p.descendants().count() < 2 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    List<Long> pids = new ArrayList<>();
    pids.add(p.pid());
    p.descendants().forEach(h -> pids.add(h.pid()));
    return pids;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String common(Path prefix, int workers) {
    return String.join("\n", "daemon off;", "master_process on;", "worker_processes " + workers + ";",
        "pid " + prefix.resolve("nginx.pid") + ";", "error_log " + prefix.resolve("error.log") + " warn;",
        "events { worker_connections 4096; }", "");
  }

  private static String temps(Path prefix) {
    return String.join("\n", "  access_log off;", "  client_body_temp_path " + prefix.resolve("body") + ";",
        "  proxy_temp_path " + prefix.resolve("proxy") + ";", "  fastcgi_temp_path " + prefix.resolve("fastcgi") + ";",
        "  uwsgi_temp_path " + prefix.resolve("uwsgi") + ";", "  scgi_temp_path " + prefix.resolve("scgi") + ";",
        "  keepalive_requests 10000000;", "  keepalive_timeout 300s;", "");
  }

  static String upstreamConf(int port) {
    return "http {\n%s  default_type application/json;\n  server {\n    listen 127.0.0.1:%d;\n"
        .formatted("%TEMPS%", port) + "    location / { return 200 \"{}\"; }\n  }\n}\n";
  }

  private static String proxyConf(int port, int upstream) {
    return ("http {\n%TEMPS%  upstream up { server 127.0.0.1:" + upstream + "; keepalive 128; }\n"
        + "  server {\n    listen 127.0.0.1:" + port + ";\n    location / {\n      proxy_pass http://up;\n"
        + "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n    }\n  }\n}\n");
  }

  static Process nginx(Path prefix, String http, int workers) throws IOException {
    Files.createDirectories(prefix);
    // as root, the workers run as nobody: they must reach the temp paths
    prefix.toFile().setExecutable(true, false);
    prefix.getParent().toFile().setExecutable(true, false);
    Path conf = prefix.resolve("nginx.conf");
    Files.writeString(conf, common(prefix, workers) + http.replace("%TEMPS%", temps(prefix)));
    return new ProcessBuilder("nginx", "-p", prefix.toString(), "-e", prefix.resolve("error.log").toString(),
        "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(prefix.resolve("stdout.log").toFile()).start();
  }

  static Process parlor(Path dir, Path jar, int port, int upstream, int statusBatch, String javaOpts) throws IOException {
    String base = "http://127.0.0.1:" + upstream;
    return startNode(dir, jar, nodeConfig(dir, port, base, SECRET, statusBatch,
        "  - id: dst", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + base + "/messages"), javaOpts);
  }

  /** {@code HttpFloor} from this benchmark's own jar, a process of its own ({@code -Dbench.nodeJavaOpts}, default -Xmx1g). */
  static Process floor(Path dir, int port, int upstream, boolean status) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-XX:+ExitOnOutOfMemoryError"));
    for (String o : System.getProperty("bench.nodeJavaOpts", "-Xmx1g").split(" ")) {
      if (!o.isBlank()) {
        cmd.add(o);
      }
    }
    String self = Path.of(NginxBench.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    cmd.addAll(List.of("-cp", self, "io.parlor.adapter.webhook.HttpFloor", String.valueOf(port),
        "http://127.0.0.1:" + upstream, SECRET, status ? "status" : "nostatus"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("floor.log").toFile()).start();
  }

  /**
   * A benchmark node's configuration in {@code dir}: HTTP on {@code port}, its store in {@code dir},
   * the webhook network {@code src} (delivery and status URLs under {@code srcBase}, secret
   * {@code secret}), then the lines of its other networks. Also {@link KannelBench}'s.
   */
  static Path nodeConfig(Path dir, int port, String srcBase, String secret, String... networks) throws IOException {
    return nodeConfig(dir, port, srcBase, secret, 1, networks);
  }

  /** As above, with the network {@code src}'s {@code statusBatch}. */
  static Path nodeConfig(Path dir, int port, String srcBase, String secret, int statusBatch, String... networks)
      throws IOException {
    Path config = dir.resolve("parlor.yaml");
    List<String> lines = new ArrayList<>(List.of(
        "http:", "  port: " + port,
        "store:", "  path: " + dir.resolve("parlor.db"),
        "logging:", "  level: warn",
        // the benchmark measures the path, not the policy: the volume limits out of the way (their
        // check still runs on every message)
        "policy:", "  senderPerMinute: 1000000", "  senderBurst: 1000000", "  pairPerMinute: 1000000",
        "  pairBurst: 1000000", "  networkPerSecond: 10000000", "  networkBurst: 10000000",
        "  holdAfterStrangers: 1000000",
        "networks:",
        "  - id: src", "    type: webhook", "    secret: " + secret, "    deliveryUrl: " + srcBase + "/src",
        "    statusUrl: " + srcBase + "/status"));
    if (statusBatch > 1) {
      lines.add("    statusBatch: " + statusBatch);
    }
    lines.addAll(List.of(networks));
    lines.add("");
    Files.writeString(config, String.join("\n", lines));
    return config;
  }

  /** The server's fat jar as a process of its own on {@code config} ({@code -Dbench.nodeJavaOpts}, default -Xmx1g). */
  static Process startNode(Path dir, Path jar, Path config) throws IOException {
    return startNode(dir, jar, config, "");
  }

  /** As above, with {@code more} JVM options after those. */
  static Process startNode(Path dir, Path jar, Path config, String more) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("java", "-XX:+ExitOnOutOfMemoryError"));
    for (String o : (System.getProperty("bench.nodeJavaOpts", "-Xmx1g") + " " + more).split(" ")) {
      if (!o.isBlank()) {
        cmd.add(o);
      }
    }
    cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "serve", "--config", config.toString()));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("parlor.log").toFile()).start();
  }

  /** Ends the processes a benchmark started and deletes its directory (kept with -Dbench.keep). */
  static void cleanUp(List<Process> processes, Path dir) throws Exception {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      p.waitFor();
    }
    if (System.getProperty("bench.keep") == null) {
      BenchFiles.deleteTree(dir);
    } else {
      System.out.println("kept " + dir);
    }
  }

  /** Waits until the node answers {@code /readyz} with 200 (also for {@link QueueBench}). */
  static void waitReady(HttpClient http, URI node, Process p, Duration limit) throws Exception {
    long until = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < until) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the node exited with " + p.exitValue());
      }
      try {
        if (http.send(HttpRequest.newBuilder(node.resolve("/readyz")).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // starting
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the node did not get ready in " + limit.toSeconds() + " s");
  }

  static void waitPort(int port) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < until) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("nginx did not listen on " + port);
  }
}
