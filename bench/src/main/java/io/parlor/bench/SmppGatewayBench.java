package io.parlor.bench;

import io.parlor.adapter.smpp.SmppAdapterProvider;
import io.parlor.adapter.smpp.SmppConfig;
import io.parlor.adapter.webhook.Signatures;
import io.parlor.adapter.webhook.WebhookAdapterProvider;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import io.parlor.core.config.GatewayConfig;
import io.parlor.spi.Adapter;
import io.parlor.spi.AdapterContext;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.HealthState;
import io.parlor.spi.IngressResult;
import io.parlor.spi.config.ConfigProblem;
import io.parlor.spi.config.ConfigView;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.jsmpp.DefaultPDUReader;
import org.jsmpp.DefaultPDUSender;
import org.jsmpp.SynchronizedPDUSender;
import org.jsmpp.bean.BroadcastSm;
import org.jsmpp.bean.CancelBroadcastSm;
import org.jsmpp.bean.CancelSm;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.QueryBroadcastSm;
import org.jsmpp.bean.QuerySm;
import org.jsmpp.bean.RawDataCoding;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.ReplaceSm;
import org.jsmpp.bean.SubmitMulti;
import org.jsmpp.bean.SubmitSm;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.BindRequest;
import org.jsmpp.session.BroadcastSmResult;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.QueryBroadcastSmResult;
import org.jsmpp.session.QuerySmResult;
import org.jsmpp.session.SMPPServerSession;
import org.jsmpp.session.ServerMessageReceiverListener;
import org.jsmpp.session.ServerResponseDeliveryAdapter;
import org.jsmpp.session.Session;
import org.jsmpp.session.SubmitMultiResult;
import org.jsmpp.session.SubmitSmResult;
import org.jsmpp.session.connection.socket.SocketConnection;

/**
 * Sustained {@code submit_sm} per second with delivery receipts through the gateway (HTTP in → SMPP
 * out) against a fast in-process SMSC on jsmpp's server side (127.0.0.1): a closed-loop load of
 * signed envelopes from webhook network {@code src} to 64 people whose accounts are on SMPP network
 * {@code sms} (window 10). The SMSC answers every {@code submit_sm} with an id and then sends a
 * {@code deliver_sm} receipt ({@code stat:DELIVRD}, {@code receipted_message_id}); the core reports
 * "delivered" to {@code src}'s status URL only once that receipt arrived.
 *
 * <p>Baseline in the same run, against the same SMSC: the SMPP adapter alone (created through its
 * provider, no gateway), driven in a closed loop with {@code window x 2} deliveries outstanding.
 *
 * <pre>
 * bench/run-smpp                 # defaults: 48 connections, 60 s minimum warm-up, 20 s measured
 * bench/run-smpp 64 60 30        # connections, minimum warm-up seconds, measured seconds
 * </pre>
 *
 * <p>The gateway's warm-up goes on past its minimum until the JIT has settled ({@link Warmup}, at
 * most 240 s); the note says how long it took and the JIT's share of the measured window.
 */
public final class SmppGatewayBench {
  private static final String SECRET = "bench-secret-000000000001";
  private static final String SYSTEM_ID = "parlorbench";
  private static final String PASSWORD = "bench123";
  private static final int WINDOW = 10;
  private static final int PEOPLE = 64;
  private static final String TEXT =
      "benchmark payload of a typical chat message length, about eighty bytes long";

  /** The warm-up goes on past its minimum until the JIT settles, but not beyond this. */
  private static final int MAX_WARMUP_S = 240;

  private static final String COMMON_POOL = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private SmppGatewayBench() {}

  /** cpuPerMessage: the whole process's CPU time in the window (node, SMSC, load, sink) per submit_sm, µs. */
  record Row(String name, double accepted, double submits, double receipts, double delivered, Histogram ack,
      double cpuPerMessage, String note) {}

  /**
   * CPU time of the live Java threads, by thread id: without the JIT compiler and GC threads, whose
   * share varies from run to run (C2 was still taking 13-25 % of the CPU 80 s into a run).
   */
  private static Map<Long, Long> javaThreadCpu() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new java.util.HashMap<>();
    for (long id : mx.getAllThreadIds()) {
      long t = mx.getThreadCpuTime(id);
      if (t > 0) {
        out.put(id, t);
      }
    }
    return out;
  }

  /** CPU seconds the Java threads used since {@code before} (threads that ended meanwhile are not counted). */
  private static double javaCpuSince(Map<Long, Long> before) {
    long sum = 0;
    for (Map.Entry<Long, Long> e : javaThreadCpu().entrySet()) {
      sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    }
    return sum / 1e9;
  }

  private static String cpuNote(double cpuSecs, double javaCpuSecs, double secs, long messages) {
    return String.format("; %.2f cores busy, of which Java threads %.2f (%.0f µs per message; the rest is JIT and GC)",
        cpuSecs / secs, javaCpuSecs / secs, javaCpuSecs * 1e6 / Math.max(1, messages));
  }

  /** CPU time of this whole process: less sensitive than throughput to how much CPU the host gives us. */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  public static void main(String[] args) throws Exception {
    // as the server's Main does: on 2 cores the JDK HTTP client would otherwise start a thread per response
    if (System.getProperty(COMMON_POOL) == null) {
      System.setProperty(COMMON_POOL, "2");
    }
    // 48: with 32 the closed loop is latency-bound (ack p50 ~8 ms, a quarter of a core idle); measured: 3,709-3,781/s vs 3,929-4,434/s with 48
    int connections = args.length > 0 ? Integer.parseInt(args[0]) : 48;
    // C2 on 2 cores keeps compiling for 60-75 s under this load: the gateway waits at least this, then for the JIT to settle
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int measured = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    String only = System.getProperty("bench.only", "");
    System.out.printf("Parlor SMPP benchmark: %d connections, %d s warm-up, %d s measured, window %d, %d cores%n",
        connections, warmup, measured, WINDOW, Runtime.getRuntime().availableProcessors());
    List<Row> rows = new ArrayList<>();
    try (FastSmsc smsc = new FastSmsc()) {
      if (!only.equals("gateway")) {
        rows.add(adapterOnly(smsc, warmup, measured));
      }
      if (!only.equals("adapter")) {
        rows.add(gateway(smsc, connections, warmup, measured));
      }
    }
    System.out.println();
    System.out.println("| configuration | accepted msg/s (202) | submit_sm/s at SMSC | receipts sent/s | "
        + "delivered statuses/s | ack p50 ms | ack p95 ms | ack p99 ms | ack max ms | CPU µs/msg |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Row r : rows) {
      if (r.ack == null) {
        System.out.printf("| %s | – | %,.0f | %,.0f | %s | – | – | – | – | %.0f |%n", r.name, r.submits, r.receipts,
            r.delivered < 0 ? "–" : String.format("%,.0f", r.delivered), r.cpuPerMessage);
      } else {
        System.out.printf("| %s | %,.0f | %,.0f | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.2f | %.0f |%n", r.name,
            r.accepted, r.submits, r.receipts, r.delivered, ms(r.ack, 50), ms(r.ack, 95), ms(r.ack, 99),
            r.ack.getMaxValue() / 1000.0, r.cpuPerMessage);
      }
    }
    rows.forEach(r -> System.out.println("  " + r.name + ": " + r.note));
    System.exit(0);
  }

  private static double ms(Histogram h, double p) {
    return h.getValueAtPercentile(p) / 1000.0;
  }

  // ---------------------------------------------------------------- baseline: the adapter alone

  private static Row adapterOnly(FastSmsc smsc, int warmup, int measured) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("host", "127.0.0.1");
    m.put("port", smsc.port());
    m.put("systemId", SYSTEM_ID);
    m.put("password", PASSWORD);
    m.put("window", WINDOW);
    m.put("sourceAddress", "12345");
    List<ConfigProblem> problems = new ArrayList<>();
    SmppAdapterProvider provider = new SmppAdapterProvider();
    SmppConfig config = provider.parseConfig(ConfigView.root(m, problems));
    if (config == null) {
      throw new IllegalStateException(problems.toString());
    }
    LongAdder receipts = new LongAdder();
    Adapter adapter = provider.create(config, new AdapterContext(NetworkId.of("sms"), Clock.systemUTC(),
        env -> CompletableFuture.completedFuture(new IngressResult.Accepted("g-" + env.id().value())),
        (n, h) -> {}, r -> receipts.increment()));
    adapter.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    long bindUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (adapter.health().state() != HealthState.CONNECTED && System.nanoTime() < bindUntil) {
      Thread.sleep(10);
    }
    Semaphore outstanding = new Semaphore(WINDOW * 2);
    LongAdder ok = new LongAdder();
    LongAdder failed = new LongAdder();
    AtomicBoolean running = new AtomicBoolean(true);
    long endBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup + measured + 5L);
    Thread pump = new Thread(() -> {
      long i = 0;
      while (running.get() && System.nanoTime() < endBy) {
        try {
          if (!outstanding.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            continue;
          }
        } catch (InterruptedException e) {
          return;
        }
        int p = (int) (i % PEOPLE);
        Envelope e = Envelope.of(MessageId.of("a-" + i), Address.of("sms:~relay" + p), Address.of(account(p)),
            Instant.now(), new Content.Text(TEXT));
        i++;
        adapter.deliver(e, new DeliveryTarget(Address.of(account(p)), "a-" + i)).whenComplete((r, err) -> {
          (err == null ? ok : failed).increment();
          outstanding.release();
        });
      }
    }, "bench-adapter-pump");
    pump.start();
    Thread.sleep(warmup * 1000L);
    long ok0 = ok.sum();
    long f0 = failed.sum();
    long s0 = smsc.submits.sum();
    long r0 = smsc.receiptsSent.sum();
    long rr0 = receipts.sum();
    long cpu0 = cpuNanos();
    Map<Long, Long> jcpu0 = javaThreadCpu();
    long t0 = System.nanoTime();
    Thread.sleep(measured * 1000L);
    double secs = (System.nanoTime() - t0) / 1e9;
    double cpuSecs = (cpuNanos() - cpu0) / 1e9;
    double javaCpuSecs = javaCpuSince(jcpu0);
    long okN = ok.sum() - ok0;
    long fN = failed.sum() - f0;
    long sN = smsc.submits.sum() - s0;
    long rN = smsc.receiptsSent.sum() - r0;
    long rrN = receipts.sum() - rr0;
    running.set(false);
    pump.join(5000);
    adapter.stop(Duration.ofSeconds(2)).toCompletableFuture().get(30, TimeUnit.SECONDS);
    String note = String.format("%,d deliveries completed OK, %d failed, %,d receipts reached the core side "
        + "(%,.0f/s) in %.1f s", okN, fN, rrN, rrN / secs, secs);
    System.out.println("  baseline: " + note);
    return new Row("baseline: SMPP adapter alone, window " + WINDOW + ", " + (WINDOW * 2) + " outstanding",
        okN / secs, sN / secs, rN / secs, -1, null, cpuSecs * 1e6 / Math.max(1, sN),
        note + cpuNote(cpuSecs, javaCpuSecs, secs, sN));
  }

  private static final String[] ACCOUNTS = new String[PEOPLE];

  static {
    for (int p = 0; p < PEOPLE; p++) {
      ACCOUNTS[p] = String.format(Locale.ROOT, "sms:+4477009000%02d", p);
    }
  }

  /** Precomputed: String.format per message took 15 % of the load generator's threads. */
  private static String account(int p) {
    return ACCOUNTS[p];
  }

  // ---------------------------------------------------------------- through the gateway

  private static Row gateway(FastSmsc smsc, int connections, int warmup, int measured) throws Exception {
    Path dir = Files.createTempDirectory("parlor-smpp-bench");
    AtomicLong delivered = new AtomicLong();
    AtomicLong otherStatuses = new AtomicLong();
    AtomicLong srcDeliveries = new AtomicLong();
    RawHttpSink sink = new RawHttpSink((path, body) -> {
      if (path.equals("/status")) {
        if (new String(body, StandardCharsets.UTF_8).contains("\"status\":\"delivered\"")) {
          delivered.incrementAndGet();
        } else {
          otherStatuses.incrementAndGet();
        }
      } else {
        srcDeliveries.incrementAndGet();
      }
    });
    String base = "http://127.0.0.1:" + sink.port();
    Path file = dir.resolve("bench.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("bench.db"),
        // the benchmark measures the path, not the policy: the volume limits out of the way
        "policy:", "  senderPerMinute: 1000000", "  senderBurst: 1000000", "  pairPerMinute: 1000000", "  pairBurst: 1000000",
          "  networkPerSecond: 10000000", "  networkBurst: 10000000", "  holdAfterStrangers: 1000000",
        "networks:",
        "  - id: src", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + base + "/src",
        "    statusUrl: " + base + "/status",
        "  - id: sms", "    type: smpp", "    host: 127.0.0.1", "    port: " + smsc.port(),
        "    systemId: " + SYSTEM_ID, "    password: " + PASSWORD, "    window: " + WINDOW,
        "    sourceAddress: \"12345\"", ""));
    ConfigLoader.Result cr = new ConfigLoader(Map.of(),
        List.of(new WebhookAdapterProvider(), new SmppAdapterProvider())).load(file);
    if (!cr.ok()) {
      throw new IllegalStateException(cr.problems().toString());
    }
    GatewayConfig config = cr.config().orElseThrow();
    try (Gateway node = Gateway.start(config, Clock.systemUTC())) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newFixedThreadPool(4)).build();
      URI nodeUri = URI.create("http://127.0.0.1:" + node.port());
      for (int p = 0; p < PEOPLE; p++) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(nodeUri.resolve("/admin/v1/people/p" + p))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"" + account(p) + "\"],\"optIn\":true}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IllegalStateException("opt-in failed: " + r.statusCode() + " " + r.body());
        }
      }
      long bindUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (smsc.boundSessions() == 0 && System.nanoTime() < bindUntil) {
        Thread.sleep(10);
      }
      long submitsBefore = smsc.submits.sum();
      long receiptsBefore = smsc.receiptsSent.sum();
      Recorder recorder = new Recorder(3);
      AtomicLong accepted = new AtomicLong();
      AtomicLong acceptedTotal = new AtomicLong();
      AtomicLong refused = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicBoolean measuring = new AtomicBoolean();
      Signatures sig = new Signatures(SECRET);
      long endBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(warmup, MAX_WARMUP_S) + measured + 30L);
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        int conn = c;
        Thread t = new Thread(() -> {
          RawHttpClient client = new RawHttpClient("127.0.0.1", node.port());
          String to = account(conn % PEOPLE);
          long i = 0;
          while (!stop.get() && System.nanoTime() < endBy) {
            String id = "s-" + conn + "-" + (i++);
            byte[] body = ("{\"id\":\"" + id + "\",\"from\":\"src:sender" + conn + "\",\"to\":\""
                + to + "\",\"sentAt\":\"" + Instant.now()
                + "\",\"content\":{\"type\":\"text\",\"text\":\"" + TEXT + "\"}}").getBytes(StandardCharsets.UTF_8);
            long start = System.nanoTime();
            try {
              int code = client.post("/v1/networks/src/messages",
                  "Parlor-Signature: " + sig.sign(body, Instant.now()) + "\r\n", body);
              if (code == 202) {
                acceptedTotal.incrementAndGet();
                if (measuring.get()) {
                  recorder.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
                  accepted.incrementAndGet();
                }
              } else {
                refused.incrementAndGet();
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
      String warmed = Warmup.await(warmup, MAX_WARMUP_S);
      recorder.reset();
      long jit0 = Warmup.jitMillis();
      long s0 = smsc.submits.sum();
      long r0 = smsc.receiptsSent.sum();
      long d0 = delivered.get();
      measuring.set(true);
      long cpu0 = cpuNanos();
      Map<Long, Long> jcpu0 = javaThreadCpu();
      long t0 = System.nanoTime();
      Thread.sleep(measured * 1000L);
      measuring.set(false);
      double secs = (System.nanoTime() - t0) / 1e9;
      double cpuSecs = (cpuNanos() - cpu0) / 1e9;
      double javaCpuSecs = javaCpuSince(jcpu0);
      long jitMs = Warmup.jitMillis() - jit0;
      long sN = smsc.submits.sum() - s0;
      long rN = smsc.receiptsSent.sum() - r0;
      long dN = delivered.get() - d0;
      stop.set(true);
      for (Thread t : threads) {
        t.join(5000);
      }
      Histogram h = recorder.getIntervalHistogram();
      long depthAtStop = node.queueDepth();
      long drainStart = System.nanoTime();
      long drainUntil = drainStart + Duration.ofSeconds(120).toNanos();
      while (node.queueDepth() > 0 && System.nanoTime() < drainUntil) {
        Thread.sleep(50);
      }
      double drainSecs = (System.nanoTime() - drainStart) / 1e9;
      // statuses trail the queue: give the last receipts a moment to become "delivered"
      long statusUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (delivered.get() + otherStatuses.get() < acceptedTotal.get() && System.nanoTime() < statusUntil) {
        Thread.sleep(50);
      }
      String note = String.format("accepted %,d (%,d in total, %,d refused), submit_sm %,d, receipts %,d, "
              + "delivered statuses %,d in %.1f s; queue at stop %,d, drained in %.1f s to %d; after drain: "
              + "%,d accepted, %,d submit_sm, %,d receipts sent, %,d delivered + %,d other statuses",
          accepted.get(), acceptedTotal.get(), refused.get(), sN, rN, dN, secs, depthAtStop, drainSecs,
          node.queueDepth(), acceptedTotal.get(), smsc.submits.sum() - submitsBefore,
          smsc.receiptsSent.sum() - receiptsBefore, delivered.get(),
          otherStatuses.get());
      StringBuilder meters = new StringBuilder();
      for (io.micrometer.core.instrument.Counter c : node.meters().find("parlor.receipts").counters()) {
        meters.append(String.format(" receipts{outcome=%s}=%,.0f", c.getId().getTag("outcome"), c.count()));
      }
      note += ";" + meters + "; " + warmed + ", JIT " + String.format("%.0f", jitMs / 1e3 / secs * 100)
          + " % of a core in the measured window";
      System.out.println("  gateway: " + note);
      return new Row("gateway: HTTP in → SMPP out, " + connections + " connections, window " + WINDOW,
          accepted.get() / secs, sN / secs, rN / secs, dN / secs, h, cpuSecs * 1e6 / Math.max(1, sN),
          note + cpuNote(cpuSecs, javaCpuSecs, secs, sN));
    } finally {
      sink.close();
      BenchFiles.deleteTree(dir);
    }
  }

  // ---------------------------------------------------------------- the SMSC

  /**
   * A fast SMSC on jsmpp's server side, 127.0.0.1 only, TCP_NODELAY: answers submit_sm with a hex
   * id at once, then sends a deliver_sm receipt for it (after the submit_sm_resp went out), answers
   * enquire_link, accepts transceiver binds with {@link #SYSTEM_ID}/{@link #PASSWORD}.
   */
  static final class FastSmsc implements AutoCloseable {
    final LongAdder submits = new LongAdder();
    final LongAdder receiptsSent = new LongAdder();
    final LongAdder receiptsFailed = new LongAdder();
    private final ServerSocket server;
    private final List<SMPPServerSession> sessions = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger(0x100000);
    private final Map<String, String[]> addresses = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(daemon("smsc-worker"));
    private final ExecutorService receiptSenders = Executors.newFixedThreadPool(WINDOW * 2, daemon("smsc-receipt"));
    private static final DateTimeFormatter DATE =
        DateTimeFormatter.ofPattern("yyMMddHHmm", Locale.ROOT).withZone(ZoneOffset.UTC);

    FastSmsc() throws IOException {
      server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread acceptor = new Thread(this::acceptLoop, "smsc-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int boundSessions() {
      int n = 0;
      for (SMPPServerSession s : sessions) {
        n += s.getSessionState().isBound() ? 1 : 0;
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (SMPPServerSession s : sessions) {
        s.close();
      }
      workers.shutdownNow();
      receiptSenders.shutdownNow();
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          socket.setTcpNoDelay(true);
          workers.execute(() -> serve(socket));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket socket) {
      try {
        SocketConnection conn = new SocketConnection(socket);
        conn.setSoTimeout(5000);
        // 8 PDU-processing threads, a queue deep enough not to throttle
        SMPPServerSession session = new SMPPServerSession(conn, (n, o, s) -> {}, new Listener(),
            new AfterResp(), 8, 10_000, new SynchronizedPDUSender(new DefaultPDUSender()), new DefaultPDUReader());
        session.setTransactionTimer(10_000);
        sessions.add(session);
        BindRequest bind = session.waitForBind(5000);
        if (SYSTEM_ID.equals(bind.getSystemId()) && PASSWORD.equals(bind.getPassword())) {
          bind.accept("fast-smsc");
        } else {
          bind.reject(0x0E);
        }
      } catch (Exception e) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }

    private void sendReceipt(SMPPServerSession s, String id) {
      String[] addr = addresses.remove(id);
      String src = addr == null ? "12345" : addr[0];
      String dst = addr == null ? "447700900000" : addr[1];
      String now = DATE.format(Instant.now());
      String text = "id:" + id + " sub:001 dlvrd:001 submit date:" + now + " done date:" + now
          + " stat:DELIVRD err:000 text:";
      try {
        s.deliverShortMessage("", TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, dst,
            TypeOfNumber.UNKNOWN, NumberingPlanIndicator.ISDN, src, new ESMClass(0x04), (byte) 0, (byte) 0,
            new RegisteredDelivery(0), new RawDataCoding((byte) 0), text.getBytes(StandardCharsets.US_ASCII),
            new OptionalParameter.Receipted_message_id(id), new OptionalParameter.Message_state((byte) 2));
        receiptsSent.increment();
      } catch (Exception e) {
        receiptsFailed.increment();
      }
    }

    private final class Listener implements ServerMessageReceiverListener {
      @Override
      public SubmitSmResult onAcceptSubmitSm(SubmitSm sm, SMPPServerSession s) throws ProcessRequestException {
        String id = Integer.toHexString(ids.incrementAndGet()).toUpperCase(Locale.ROOT);
        addresses.put(id, new String[] {sm.getSourceAddr(), sm.getDestAddress()});
        submits.increment();
        try {
          return new SubmitSmResult(new org.jsmpp.util.MessageId(id), new OptionalParameter[0]);
        } catch (org.jsmpp.PDUStringException e) {
          throw new ProcessRequestException("bad id", 0x08);
        }
      }

      @Override
      public SubmitMultiResult onAcceptSubmitMulti(SubmitMulti m, SMPPServerSession s) throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }

      @Override
      public QuerySmResult onAcceptQuerySm(QuerySm q, SMPPServerSession s) throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }

      @Override
      public void onAcceptReplaceSm(ReplaceSm r, SMPPServerSession s) throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }

      @Override
      public void onAcceptCancelSm(CancelSm c, SMPPServerSession s) throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }

      @Override
      public BroadcastSmResult onAcceptBroadcastSm(BroadcastSm b, SMPPServerSession s) throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }

      @Override
      public void onAcceptCancelBroadcastSm(CancelBroadcastSm c, SMPPServerSession s) throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }

      @Override
      public QueryBroadcastSmResult onAcceptQueryBroadcastSm(QueryBroadcastSm q, SMPPServerSession s)
          throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }

      @Override
      public DataSmResult onAcceptDataSm(DataSm d, Session s) throws ProcessRequestException {
        throw new ProcessRequestException("unsupported", 0x03);
      }
    }

    private final class AfterResp extends ServerResponseDeliveryAdapter {
      @Override
      public void onSubmitSmRespSent(SubmitSmResult result, SMPPServerSession s) {
        String id = result.getMessageId();
        receiptSenders.execute(() -> sendReceipt(s, id));
      }
    }

    private static ThreadFactory daemon(String name) {
      AtomicInteger n = new AtomicInteger();
      return r -> {
        Thread t = new Thread(r, name + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
    }
  }
}
