package io.parlor.bench;

import io.parlor.adapter.webhook.Signatures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 17: SMS through a Parlor node against Kannel 1.4.5, the same SMSC, load and receipts.
 * The SMSC is {@code bench/smsc/smsc.js} on the npm {@code smpp} package (an SMPP stack neither
 * system ships): it answers every {@code submit_sm} and sends its delivery receipt. Kannel
 * (bearerbox and smsbox from Debian, internal DLR storage) takes {@code GET /cgi-bin/sendsms} with
 * {@code dlr-mask=3} and calls a sink back on each receipt; the Parlor node (the server's fat jar)
 * takes signed envelopes on a webhook network for 64 people whose accounts are on an SMPP network,
 * and posts each message's "delivered" status to the same sink. Each system binds one
 * transceiver with a window of 10. The load: {@code messages} 160-character texts from 32
 * senders, each in a closed loop over a keep-alive connection; the figure is messages over the
 * time from the first request to the last receipt at the sink, and the CPU of the system's
 * processes over that time per message (the SMSC's too, apart). Each system first takes at least
 * {@code warm} messages (default as many), and for at least 60 s ({@code -Dbench.warmSeconds}), in
 * the same processes, not measured: the JIT (Parlor; C2 compiles for about a minute on 2 cores, so
 * a shorter warm-up measured the compiler too), connections and caches (both). Pairs are
 * interleaved: Kannel, then Parlor, each with a fresh SMSC and a fresh store.
 *
 * <pre>
 * bench/run-kannel                 # 20,000 messages, 32 senders, 3 pairs, 20,000 and 60 s to warm up
 * bench/run-kannel 20000 32 3 20000
 * </pre>
 */
public final class KannelBench {
  private static final String SECRET = "bench-secret-000000000001";
  private static final int PEOPLE = 64;
  private static final String TEXT = "x".repeat(160);

  private KannelBench() {}

  /** One system's run: messages, seconds from the first request to the last receipt, CPU (ns). */
  /** {@code commits} and {@code units}: the node's store commits and units of work in the window (Kannel: 0). */
  private record Run(String name, int messages, double seconds, long cpuNs, long smscCpuNs, long refused,
      double commits, double units) {
    double rate() {
      return messages / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int senders = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    // sent first to the same processes, not measured: the JIT (Parlor), connections and caches (both)
    int warm = args.length > 3 ? Integer.parseInt(args[3]) : messages;
    Path jar = Path.of(System.getProperty("bench.parlorJar", "deploy/server/target/parlor.jar"));
    Path smscJs = Path.of(System.getProperty("bench.smsc", "bench/smsc/smsc.js")).toAbsolutePath();
    Path dir = Files.createTempDirectory("parlor-vs-kannel");
    System.out.printf(Locale.ROOT, "SMS: Parlor against Kannel, %,d messages, %d senders, %d pairs, %d cores;"
        + " each warmed up with at least %,d messages and %d s%n", messages, senders, pairs,
        Runtime.getRuntime().availableProcessors(), warm, WARM_SECONDS);
    List<Run> runs = new ArrayList<>();
    try {
      for (int r = 1; r <= pairs; r++) {
        runs.add(print(kannel(dir.resolve("k" + r), smscJs, warm, messages, senders)));
        runs.add(print(parlor(dir.resolve("p" + r), jar, smscJs, warm, messages, senders)));
      }
      System.out.println();
      System.out.println("| run | messages/s | CPU µs per message | SMSC CPU µs per message |");
      System.out.println("|---|---:|---:|---:|");
      for (Run r : runs) {
        System.out.printf(Locale.ROOT, "| %s | %,.0f | %.0f | %.0f |%n", r.name, r.rate(), r.cpuNs / 1e3 / r.messages,
            r.smscCpuNs / 1e3 / r.messages);
      }
      for (int i = 0; i + 1 < runs.size(); i += 2) {
        System.out.printf(Locale.ROOT, "pair %d: Parlor %.2f× Kannel's messages/s%n", i / 2 + 1,
            runs.get(i + 1).rate() / runs.get(i).rate());
      }
    } finally {
      NginxBench.cleanUp(List.of(), dir);
    }
  }

  private static Run print(Run r) {
    System.out.printf(Locale.ROOT, "  %-8s %,6d messages in %.1f s: %,.0f messages/s, %.0f µs CPU per message"
        + " (SMSC %.0f)%s%n", r.name, r.messages, r.seconds, r.rate(), r.cpuNs / 1e3 / r.messages,
        r.smscCpuNs / 1e3 / r.messages, r.refused == 0 ? "" : ", " + r.refused + " refused and sent again");
    if (r.commits > 0) {
      System.out.printf(Locale.ROOT, "           store: %.2f commits per message, %.1f units of work a commit%n",
          r.commits / r.messages, r.units / r.commits);
    }
    return r;
  }

  /** The SMSC simulator, started; its port. */
  private record Smsc(Process process, int port) implements AutoCloseable {
    static Smsc start(Path js) throws IOException {
      Process p = new ProcessBuilder("node", js.toString(), "0").redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null || !line.startsWith("listening port=")) {
        p.destroy();
        throw new IllegalStateException("the SMSC did not start: " + line);
      }
      Thread drain = new Thread(() -> {
        try {
          while (out.readLine() != null) {
            // bind lines
          }
        } catch (IOException ended) {
          // gone
        }
      });
      drain.setDaemon(true);
      drain.start();
      return new Smsc(p, Integer.parseInt(line.substring("listening port=".length()).trim()));
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      process.waitFor();
    }
  }

  /** Counts receipts reported to the sink (Kannel's DLR callbacks, Parlor's "delivered" statuses). */
  private static final class Receipts implements AutoCloseable {
    final AtomicInteger count = new AtomicInteger();
    final AtomicLong last = new AtomicLong();
    final RawHttpSink sink;

    Receipts() throws IOException {
      sink = new RawHttpSink((path, body) -> {
        boolean receipt = path.startsWith("/dlr")
            || (path.startsWith("/status") && new String(body, StandardCharsets.UTF_8).contains("\"delivered\""));
        if (receipt) {
          count.incrementAndGet();
          last.set(System.nanoTime());
        }
      });
    }

    void await(int n, Duration limit) throws InterruptedException {
      long until = System.nanoTime() + limit.toNanos();
      while (count.get() < n) {
        if (System.nanoTime() > until) {
          throw new IllegalStateException(count.get() + " receipts of " + n + " after " + limit.toSeconds() + " s");
        }
        Thread.sleep(5);
      }
    }

    @Override
    public void close() throws IOException {
      sink.close();
    }
  }

  /** A request of the load: the path (and for Parlor, the body and its signature header). */
  private interface Request {
    int send(RawHttpClient c, int sender, int i) throws IOException;
  }

  /** {@code senders} threads, each in a closed loop, messages {@code first} to {@code end - 1}; returns the refusals. */
  private static long load(int port, int first, int end, int senders, Request request) throws Exception {
    AtomicInteger next = new AtomicInteger(first);
    AtomicLong refused = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int s = 0; s < senders; s++) {
      int sender = s;
      Thread t = new Thread(() -> {
        RawHttpClient c = new RawHttpClient("127.0.0.1", port);
        try {
          for (int i = next.getAndIncrement(); i < end; i = next.getAndIncrement()) {
            for (int attempt = 0; ; attempt++) {
              int code;
              try {
                code = request.send(c, sender, i);
              } catch (IOException e) {
                c.close(); // the server closed the connection: a new one
                c = new RawHttpClient("127.0.0.1", port);
                code = -1;
              }
              if (code >= 200 && code < 300) {
                break;
              }
              refused.incrementAndGet();
              if (attempt >= 100) {
                throw new IllegalStateException("message " + i + " refused 100 times (last status " + code + ")");
              }
              Thread.sleep(10);
            }
          }
        } catch (Exception | Error e) {
          failures.add(e);
        } finally {
          c.close();
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("the load failed", failures.get(0));
    }
    return refused.get();
  }

  private static String number(int p) {
    return String.format(Locale.ROOT, "+44770090%04d", p);
  }

  /** Least time each system is warmed up for before it is measured ({@code -Dbench.warmSeconds}). */
  private static final int WARM_SECONDS = Integer.getInteger("bench.warmSeconds", 60);

  /**
   * Warms a system up: rounds of messages until at least {@code warm} were sent and their receipts
   * came back, and at least {@link #WARM_SECONDS} passed. Returns how many were sent (the measured
   * messages' indices follow).
   */
  private static int warmUp(int port, int warm, int senders, Request send, Receipts receipts) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(WARM_SECONDS).toNanos();
    int round = Math.max(1, Math.min(warm, 5_000));
    int sent = 0;
    while (sent < warm || System.nanoTime() < until) {
      load(port, sent, sent + round, senders, send);
      sent += round;
      receipts.await(sent, Duration.ofSeconds(300));
    }
    return sent;
  }

  private static Run kannel(Path dir, Path smscJs, int warm, int messages, int senders) throws Exception {
    Files.createDirectories(dir);
    try (Smsc smsc = Smsc.start(smscJs); Receipts receipts = new Receipts()) {
      int admin = NginxBench.freePort();
      int boxPort = NginxBench.freePort();
      int sendsms = NginxBench.freePort();
      Path conf = dir.resolve("kannel.conf");
      Files.writeString(conf, String.join("\n",
          "group = core", "admin-port = " + admin, "admin-password = bench", "admin-interface = 127.0.0.1",
          "smsbox-port = " + boxPort, "smsbox-interface = 127.0.0.1", "box-allow-ip = 127.0.0.1",
          "log-file = \"" + dir.resolve("bearerbox.log") + "\"", "log-level = 4", "dlr-storage = internal", "",
          "group = smsc", "smsc = smpp", "smsc-id = sim", "host = 127.0.0.1", "port = " + smsc.port(),
          "transceiver-mode = true", "smsc-username = kannel", "smsc-password = secret", "system-type = \"\"",
          "max-pending-submits = 10", "msg-id-type = 0x03", "", "group = smsbox", "bearerbox-host = 127.0.0.1",
          "bearerbox-port = " + boxPort, "sendsms-port = " + sendsms, "sendsms-interface = 127.0.0.1",
          "log-file = \"" + dir.resolve("smsbox.log") + "\"", "log-level = 4", "", "group = sendsms-user",
          "username = bench", "password = bench", "max-messages = 1", "concatenation = false", ""));
      List<Process> boxes = new ArrayList<>();
      try {
        boxes.add(new ProcessBuilder("bearerbox", conf.toString()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("bearerbox.out").toFile()).start());
        NginxBench.waitPort(boxPort);
        boxes.add(new ProcessBuilder("smsbox", conf.toString()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("smsbox.out").toFile()).start());
        NginxBench.waitPort(sendsms);
        waitOnline(admin);
        String dlrUrl = URLEncoder.encode("http://127.0.0.1:" + receipts.sink.port() + "/dlr?s=%d", StandardCharsets.UTF_8);
        String text = URLEncoder.encode(TEXT, StandardCharsets.UTF_8);
        List<Long> pids = new ArrayList<>();
        boxes.forEach(b -> pids.add(b.pid()));
        Request send = (c, sender, i) -> c.get("/cgi-bin/sendsms?username=bench&password=bench&from=12345&to="
            + URLEncoder.encode(number(i % PEOPLE), StandardCharsets.UTF_8) + "&text=" + text
            + "&dlr-mask=3&dlr-url=" + dlrUrl);
        int warmed = warmUp(sendsms, warm, senders, send, receipts);
        long cpu0 = NginxBench.cpuNs(pids);
        long smsc0 = NginxBench.cpuNs(List.of(smsc.process().pid()));
        long t0 = System.nanoTime();
        long refused = load(sendsms, warmed, warmed + messages, senders, send);
        receipts.await(warmed + messages, Duration.ofSeconds(300));
        return new Run("Kannel", messages, (receipts.last.get() - t0) / 1e9, NginxBench.cpuNs(pids) - cpu0,
            NginxBench.cpuNs(List.of(smsc.process().pid())) - smsc0, refused, 0, 0);
      } finally {
        for (Process b : boxes) {
          b.destroy();
        }
        for (Process b : boxes) {
          b.waitFor();
        }
      }
    }
  }

  /** Waits until bearerbox reports its SMSC online (bound). */
  private static void waitOnline(int admin) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < until) {
      try {
        String status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin
            + "/status.txt?password=bench")).build(), HttpResponse.BodyHandlers.ofString()).body();
        if (status.contains("online")) {
          return;
        }
      } catch (IOException notYet) {
        // starting
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("Kannel's SMSC did not come online");
  }

  private static Run parlor(Path dir, Path jar, Path smscJs, int warm, int messages, int senders) throws Exception {
    Files.createDirectories(dir);
    try (Smsc smsc = Smsc.start(smscJs); Receipts receipts = new Receipts()) {
      int port = NginxBench.freePort();
      String sink = "http://127.0.0.1:" + receipts.sink.port();
      Path config = NginxBench.nodeConfig(dir, port, sink, SECRET,
          "  - id: sms", "    type: smpp", "    host: 127.0.0.1", "    port: " + smsc.port(), "    systemId: parlor",
          "    password: secret", "    window: 10", "    sourceAddress: \"12345\"");
      Process node = NginxBench.startNode(dir, jar, config);
      try {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + port);
        NginxBench.waitReady(http, uri, node, Duration.ofSeconds(60));
        for (int p = 0; p < PEOPLE; p++) {
          NginxBench.send(http, HttpRequest.newBuilder(uri.resolve("/admin/v1/people/p" + p))
              .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"sms:" + number(p) + "\"],\"optIn\":true}"))
              .build());
        }
        Signatures sig = new Signatures(SECRET);
        String tag = dir.getFileName().toString();
        Request send = (c, sender, i) -> {
          Instant now = Instant.now();
          byte[] body = ("{\"id\":\"" + tag + "-" + i + "\",\"from\":\"src:sender" + sender + "\",\"to\":\"sms:"
              + number(i % PEOPLE) + "\",\"sentAt\":\"" + now + "\",\"content\":{\"type\":\"text\",\"text\":\"" + TEXT
              + "\"}}").getBytes(StandardCharsets.UTF_8);
          return c.post("/v1/networks/src/messages", "Parlor-Signature: " + sig.sign(body, now) + "\r\n", body);
        };
        int warmed = warmUp(port, warm, senders, send, receipts);
        double[] store0 = NginxBench.storeCounts(http, uri);
        long cpu0 = NginxBench.cpuNs(List.of(node.pid()));
        long smsc0 = NginxBench.cpuNs(List.of(smsc.process().pid()));
        long t0 = System.nanoTime();
        long refused = load(port, warmed, warmed + messages, senders, send);
        receipts.await(warmed + messages, Duration.ofSeconds(300));
        long cpu = NginxBench.cpuNs(List.of(node.pid())) - cpu0;
        long smscCpu = NginxBench.cpuNs(List.of(smsc.process().pid())) - smsc0;
        double[] store = NginxBench.storeCounts(http, uri);
        return new Run("Parlor", messages, (receipts.last.get() - t0) / 1e9, cpu, smscCpu, refused,
            store[0] - store0[0], store[1] - store0[1]);
      } finally {
        node.destroy();
        node.waitFor();
      }
    }
  }
}
