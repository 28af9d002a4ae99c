package io.parlor.bench;

import io.parlor.adapter.webhook.Signatures;
import io.parlor.adapter.webhook.WebhookAdapterProvider;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Issue 14: does a flood from one sender delay everyone else's messages? Other senders — 800
 * accounts, each well within its limits, 8 threads paced at {@code rate} messages a second in all
 * — write to people on another network, while in the same run, on a fresh node each time:
 *
 * <ol>
 *   <li>nobody floods (the baseline);
 *   <li>one account floods — {@code floodRate} messages a second on {@code floodConnections}
 *       connections (0: as fast as they go) — with the default volume limits (it gets 429 after
 *       its burst);
 *   <li>the same flood with the limits out of the way (what the limits buy).
 * </ol>
 *
 * Reports the other senders' ack latency (202 = stored) and their delivery latency (sent to
 * received by the destination's sink), p50 / p99 / max, and what the flood got.
 *
 * <pre>
 * bench/run-flood                 # 400 msg/s of others; a flood of 2,000 msg/s on 16 connections; 20 s + 20 s
 * bench/run-flood 400 16 20 20 2000
 * bench/run-flood 400 16 20 20 0  # the flood as fast as 16 connections go (an HTTP flood, not one sender's)
 * </pre>
 */
public final class FloodBench {
  private static final String SECRET = "bench-secret-000000000001";
  private static final int OTHER_THREADS = 8;
  private static final int ACCOUNTS_PER_THREAD = 100;
  private static final int PEOPLE = 64;

  record Result(String name, Histogram ack, Histogram delivery, long othersAccepted, long othersRefused,
      long floodAccepted, long floodRefused, double seconds) {}

  public static void main(String[] args) throws Exception {
    try {
      if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
        System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "2");
      }
      int rate = args.length > 0 ? Integer.parseInt(args[0]) : 400;
      int flood = args.length > 1 ? Integer.parseInt(args[1]) : 16;
      int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 20;
      int measured = args.length > 3 ? Integer.parseInt(args[3]) : 20;
      floodRate = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
      System.out.printf("Parlor flood benchmark: others %d msg/s from %d accounts, flood %s from one account on %d"
          + " connections, %d s warm-up, %d s measured, %d cores%n",
          rate, OTHER_THREADS * ACCOUNTS_PER_THREAD, floodRate == 0 ? "as fast as it can (closed loop)" : floodRate + " msg/s",
          flood, warmup, measured, Runtime.getRuntime().availableProcessors());
      List<Result> results = new ArrayList<>();
      results.add(run("nobody floods", rate, 0, true, warmup, measured));
      results.add(run("one account floods, default limits", rate, flood, true, warmup, measured));
      results.add(run("one account floods, limits out of the way", rate, flood, false, warmup, measured));
      System.out.println();
      System.out.println("| run | others' ack p50 / p99 / max ms | others' delivery p50 / p99 / max ms"
          + " | others accepted / refused | flood accepted / refused (429) per s |");
      System.out.println("|---|---:|---:|---:|---:|");
      for (Result r : results) {
        System.out.printf("| %s | %.2f / %.2f / %.1f | %.2f / %.2f / %.1f | %,d / %,d | %,.0f / %,.0f |%n",
            r.name, ms(r.ack, 50), ms(r.ack, 99), r.ack.getMaxValue() / 1000.0,
            ms(r.delivery, 50), ms(r.delivery, 99), r.delivery.getMaxValue() / 1000.0,
            r.othersAccepted, r.othersRefused, r.floodAccepted / r.seconds, r.floodRefused / r.seconds);
      }
    } catch (Exception | Error e) {
      org.slf4j.LoggerFactory.getLogger(FloodBench.class).error("the benchmark failed", e);
      System.exit(1);
    }
    System.exit(0);
  }

  /** The flood's messages a second in all (open loop), or 0: each connection as fast as it can. */
  private static int floodRate;

  private static double ms(Histogram h, double p) {
    return h.getValueAtPercentile(p) / 1000.0;
  }

  private static Result run(String name, int rate, int floodConnections, boolean limits, int warmup, int measured)
      throws Exception {
    Path dir = Files.createTempDirectory("parlor-flood");
    Recorder delivery = new Recorder(3);
    AtomicBoolean measuring = new AtomicBoolean();
    RawHttpSink sink = new RawHttpSink((path, body) -> {
      if (path.equals("/messages") && measuring.get()) {
        String s = new String(body, StandardCharsets.UTF_8);
        int at = s.indexOf("sent at ");
        if (at >= 0) {
          int end = at + 8;
          while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
          }
          long sent = Long.parseLong(s.substring(at + 8, end));
          delivery.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
        }
      }
    });
    String base = "http://127.0.0.1:" + sink.port();
    Path file = dir.resolve("flood.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("flood.db"),
        limits ? "" : String.join("\n", "policy:", "  senderPerMinute: 1000000", "  senderBurst: 1000000",
            "  pairPerMinute: 1000000", "  pairBurst: 1000000", "  networkPerSecond: 10000000",
            "  networkBurst: 10000000", "  holdAfterStrangers: 1000000"),
        "networks:",
        "  - id: src", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + base + "/src",
        "  - id: dst", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + base + "/messages",
        ""));
    ConfigLoader.Result cr = new ConfigLoader(Map.of(), List.of(new WebhookAdapterProvider())).load(file);
    if (!cr.ok()) {
      throw new IllegalStateException(cr.problems().toString());
    }
    Gateway node = Gateway.start(cr.config().orElseThrow(), Clock.systemUTC());
    try {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      URI uri = URI.create("http://127.0.0.1:" + node.port());
      for (int p = 0; p < PEOPLE; p++) {
        http.send(HttpRequest.newBuilder(uri.resolve("/admin/v1/people/p" + p))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"dst:user" + p + "\"],\"optIn\":true}")).build(),
            HttpResponse.BodyHandlers.discarding());
      }
      Signatures sig = new Signatures(SECRET);
      Recorder ack = new Recorder(3);
      AtomicLong othersAccepted = new AtomicLong();
      AtomicLong othersRefused = new AtomicLong();
      AtomicLong floodAccepted = new AtomicLong();
      AtomicLong floodRefused = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> threads = new ArrayList<>();
      long intervalNanos = 1_000_000_000L * OTHER_THREADS / rate;
      for (int t = 0; t < OTHER_THREADS; t++) {
        int thread = t;
        threads.add(start("others-" + t, () -> {
          RawHttpClient client = new RawHttpClient("127.0.0.1", node.port());
          long next = System.nanoTime();
          for (long i = 0; !stop.get(); i++) {
            // open loop: each message leaves at its time, however long the previous one took
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
              LockSupport.parkNanos(wait);
            }
            int account = (int) (i % ACCOUNTS_PER_THREAD);
            long sent = System.nanoTime();
            byte[] body = ("{\"id\":\"o-" + thread + "-" + i + "\",\"from\":\"src:s" + thread + "-" + account
                + "\",\"to\":\"dst:user" + ((thread * ACCOUNTS_PER_THREAD + account) % PEOPLE) + "\",\"sentAt\":\""
                + Instant.now() + "\",\"content\":{\"type\":\"text\",\"text\":\"an ordinary message, sent at " + sent
                + "\"}}").getBytes(StandardCharsets.UTF_8);
            try {
              int code = client.post("/v1/networks/src/messages", "Parlor-Signature: " + sig.sign(body, Instant.now()) + "\r\n",
                  body);
              if (measuring.get()) {
                if (code == 202) {
                  ack.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
                  othersAccepted.incrementAndGet();
                } else {
                  othersRefused.incrementAndGet();
                }
              }
            } catch (IOException e) {
              client.close();
            }
          }
        }));
      }
      for (int f = 0; f < floodConnections; f++) {
        int conn = f;
        threads.add(start("flood-" + f, () -> {
          RawHttpClient client = new RawHttpClient("127.0.0.1", node.port());
          long floodInterval = floodRate == 0 ? 0 : 1_000_000_000L * floodConnections / floodRate;
          long next = System.nanoTime();
          for (long i = 0; !stop.get(); i++) {
            if (floodInterval > 0) {
              next += floodInterval;
              long wait = next - System.nanoTime();
              if (wait > 0) {
                LockSupport.parkNanos(wait);
              }
            }
            byte[] body = ("{\"id\":\"f-" + conn + "-" + i + "\",\"from\":\"src:flood\",\"to\":\"dst:user0\",\"sentAt\":\""
                + Instant.now() + "\",\"content\":{\"type\":\"text\",\"text\":\"buy now buy now buy now\"}}")
                .getBytes(StandardCharsets.UTF_8);
            try {
              int code = client.post("/v1/networks/src/messages", "Parlor-Signature: " + sig.sign(body, Instant.now()) + "\r\n",
                  body);
              if (measuring.get()) {
                (code == 202 ? floodAccepted : floodRefused).incrementAndGet();
              }
            } catch (IOException e) {
              client.close();
            }
          }
        }));
      }
      Thread.sleep(warmup * 1000L);
      ack.reset();
      delivery.reset();
      measuring.set(true);
      long t0 = System.nanoTime();
      Thread.sleep(measured * 1000L);
      measuring.set(false);
      double seconds = (System.nanoTime() - t0) / 1e9;
      stop.set(true);
      for (Thread t : threads) {
        t.join(5000);
      }
      Histogram a = ack.getIntervalHistogram();
      Histogram d = delivery.getIntervalHistogram();
      long drainUntil = System.nanoTime() + Duration.ofSeconds(300).toNanos();
      while (node.queueDepth() > 0 && System.nanoTime() < drainUntil) {
        Thread.sleep(50);
      }
      System.out.printf("  %s: others %,d accepted, %,d refused; flood %,d accepted, %,d refused; queue after drain %d%n",
          name, othersAccepted.get(), othersRefused.get(), floodAccepted.get(), floodRefused.get(), node.queueDepth());
      return new Result(name, a, d, othersAccepted.get(), othersRefused.get(), floodAccepted.get(), floodRefused.get(),
          seconds);
    } finally {
      node.close();
      sink.close();
      BenchFiles.deleteTree(dir);
    }
  }

  private static Thread start(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
