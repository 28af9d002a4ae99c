package io.parlor.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.http.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP server over a raw socket: keep-alive, pipelining order, limits and timeouts. */
class NettyHttpServerIT {
  private final ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor();
  private final java.util.concurrent.atomic.AtomicInteger dispatched = new java.util.concurrent.atomic.AtomicInteger();
  private NettyHttpServer server;
  private int port;

  @BeforeEach
  void start() throws Exception {
    HttpDispatcher echo =
        req -> {
          dispatched.incrementAndGet();
          String body = req.method() + " " + req.path() + " " + req.bodyLength();
          if (req.path().equals("/slow")) {
            CompletableFuture<HttpResponse> f = new CompletableFuture<>();
            delays.schedule(() -> f.complete(HttpResponse.text(200, body)), 200, TimeUnit.MILLISECONDS);
            return f;
          }
          if (req.path().equals("/slower")) {
            CompletableFuture<HttpResponse> f = new CompletableFuture<>();
            delays.schedule(() -> f.complete(HttpResponse.text(200, body)), 1_000, TimeUnit.MILLISECONDS);
            return f;
          }
          if (req.path().equals("/boom")) {
            throw new IllegalStateException("handler bug");
          }
          return CompletableFuture.completedFuture(HttpResponse.text(200, body));
        };
    server =
        new NettyHttpServer(
            new HttpServerSettings("127.0.0.1", 0, 1024, Duration.ofMillis(300), Duration.ofMillis(600)), echo);
    port = server.start();
  }

  @AfterEach
  void stop() {
    server.close();
    delays.shutdownNow();
  }

  private static String exchange(Socket s, String raw, int responses) throws IOException {
    s.setSoTimeout(5000);
    OutputStream out = s.getOutputStream();
    out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    InputStream in = s.getInputStream();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] b = new byte[4096];
    while (count(buf.toString(StandardCharsets.UTF_8), "HTTP/1.1 ") < responses || !complete(buf.toString(StandardCharsets.UTF_8))) {
      int n = in.read(b);
      if (n < 0) {
        break;
      }
      buf.write(b, 0, n);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  private static boolean complete(String s) {
    int i = s.lastIndexOf("content-length: ");
    if (i < 0) {
      return false;
    }
    int len = Integer.parseInt(s.substring(i + 16, s.indexOf("\r\n", i)).trim());
    int bodyStart = s.indexOf("\r\n\r\n", i) + 4;
    return bodyStart >= 4 && s.length() - bodyStart >= len;
  }

  private static int count(String s, String sub) {
    int n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      String a = exchange(s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 1);
      assertTrue(a.contains("GET /a 0") && a.contains("connection: keep-alive"), a);
      String b = exchange(s, "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 1);
      assertTrue(b.contains("POST /b 3"), b);
    }
  }

  /** A node that stops answers what it is answering (an answer waits for its commit) before it closes connections. */
  @Test
  void aDrainWaitsForTheAnswersUnderWayThenConnectionsClose() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream().write("GET /slower HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (dispatched.get() == 0 && System.nanoTime() < until) {
        Thread.sleep(2);
      }
      assertEquals(1, dispatched.get(), "the request reached the dispatcher");
      server.stopAccepting();
      assertTrue(!server.awaitAnswered(Duration.ofMillis(20)), "the answer is a second away");
      assertTrue(server.awaitAnswered(Duration.ofSeconds(2)), "answered within the limit");
      server.close(Duration.ofSeconds(1));
      String r = exchange(s, "", 1);
      assertTrue(r.startsWith("HTTP/1.1 200") && r.endsWith("GET /slower 0"), r);
      assertEquals(-1, s.getInputStream().read(), "then the connection closed");
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n", 2);
      assertTrue(r.indexOf("GET /slow") < r.indexOf("GET /fast") && r.indexOf("GET /slow") > 0, r);
    }
  }

  @Test
  void manyPipelinedRequestsInOneWriteAreEachAnsweredOrRefusedNeverProcessedSilently() throws Exception {
    int sent = 200;
    StringBuilder raw = new StringBuilder();
    for (int i = 0; i < sent; i++) {
      raw.append("GET /r").append(i).append(" HTTP/1.1\r\n\r\n"); // short: even a first read of 2 KB holds > 64
    }
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(raw.toString().getBytes(StandardCharsets.ISO_8859_1));
      String r = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // to the server's close
      int answered = count(r, "HTTP/1.1 200");
      assertEquals(RequestHandler.MAX_PIPELINED + 1, answered, "the queue's worth and the one being served");
      for (int i = 0; i < answered; i++) {
        assertTrue(r.contains("GET /r" + i + " 0"), "answer " + i);
      }
      assertTrue(r.indexOf("GET /r" + (answered - 1) + " 0") < r.indexOf("HTTP/1.1 429"), "the refusal comes in its turn");
      assertEquals(1, count(r, "HTTP/1.1 429"), r.substring(r.length() - 300));
      assertTrue(r.contains("\"code\":\"too_many_requests\"") && r.contains("connection: close"), "then the server closes");
      assertEquals(answered, dispatched.get(), "nothing processed without an answer");
    }
    // a well-behaved client pipelining a few is served in full
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20), 20);
      assertEquals(20, count(r, "HTTP/1.1 200"));
    }
  }

  @Test
  void oversizedBodyGetsJson413() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + "a".repeat(2000), 1);
      assertTrue(r.startsWith("HTTP/1.1 413"), r);
      assertTrue(r.contains("\"code\":\"too_large\""), r);
    }
  }

  @Test
  void expectContinueIsAnsweredAndItsRefusalsAreJson() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", 1);
      assertTrue(r.startsWith("HTTP/1.1 413") && r.contains("\"code\":\"too_large\""), r);
    }
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 200-ok\r\n\r\n", 1);
      assertTrue(r.startsWith("HTTP/1.1 417") && r.contains("\"code\":\"expectation_failed\""), r);
    }
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      byte[] b = new byte[64];
      int n = s.getInputStream().read(b);
      assertTrue(new String(b, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 100"), "100 Continue first");
      String r = exchange(s, "hello", 1);
      assertTrue(r.startsWith("HTTP/1.1 200") && r.contains("POST /x 5"), r);
    }
  }

  @Test
  void stalledBodyGets408AndIdleConnectionIsClosed() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-part", 1);
      assertTrue(r.startsWith("HTTP/1.1 408"), r);
      assertTrue(r.contains("request_timeout"), r);
    }
    try (Socket s = new Socket("127.0.0.1", port)) {
      exchange(s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 1);
      s.setSoTimeout(3000);
      assertEquals(-1, s.getInputStream().read(), "idle keep-alive connection closed by the server");
    }
  }

  @Test
  void stalledHeadersGet408Too() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      long t0 = System.nanoTime();
      String r = exchange(s, "GET /x HTTP/1.1\r\nHost: x\r\nX-Half", 1);
      assertTrue(r.startsWith("HTTP/1.1 408") && r.contains("no byte for 300 ms"), r);
      assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "at the read timeout, not the idle one");
    }
  }

  @Test
  void aRequestTricklingInIsCutAtItsDeadlineHeadersAndBodyAlike() throws Exception {
    NettyHttpServer strict = new NettyHttpServer(new HttpServerSettings("127.0.0.1", 0, 1024, Duration.ofMillis(300),
        Duration.ofMillis(600), java.util.List.of(), null, Duration.ofSeconds(1), 100, 100),
        req -> CompletableFuture.completedFuture(HttpResponse.text(200, "ok")));
    int strictPort = strict.start();
    try {
      for (String start : new String[] {"GET /x HTTP/1.1\r\nX-Slow: ", "POST /x HTTP/1.1\r\nContent-Length: 500\r\n\r\n"}) {
        try (Socket s = new Socket("127.0.0.1", strictPort)) {
          s.setSoTimeout(5000);
          OutputStream out = s.getOutputStream();
          out.write(start.getBytes(StandardCharsets.ISO_8859_1));
          long t0 = System.nanoTime();
          // one byte every 100 ms: never 300 ms without a byte, so only the deadline can end it
          String r = null;
          for (int i = 0; i < 40 && r == null; i++) {
            try {
              out.write('a');
              out.flush();
            } catch (IOException closed) {
              break;
            }
            Thread.sleep(100);
            if (s.getInputStream().available() > 0) {
              break;
            }
          }
          r = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          double seconds = (System.nanoTime() - t0) / 1e9;
          assertTrue(r.startsWith("HTTP/1.1 408") && r.contains("not received whole within 1 s"), start + ": " + r);
          assertTrue(seconds > 0.9 && seconds < 2.5, "cut at the deadline: " + seconds);
        }
      }
    } finally {
      strict.close();
    }
  }

  @Test
  void garbageAndHandlerBugsGetJsonErrors() throws Exception {
    // the handler bug is logged as an error (with its stack trace): captured here, not printed
    ch.qos.logback.classic.Logger handlerLog =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(RequestHandler.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    handlerLog.addAppender(logged);
    handlerLog.setAdditive(false);
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n", 1);
      assertTrue(r.startsWith("HTTP/1.1 500") && r.contains("\"code\":\"internal\""), r);
    } finally {
      handlerLog.setAdditive(true);
      handlerLog.detachAppender(logged);
    }
    assertTrue(logged.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
        && e.getThrowableProxy() != null && e.getThrowableProxy().getMessage().equals("handler bug")),
        "the bug is logged with its cause");
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "GET /%zz?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n", 1);
      assertTrue(r.startsWith("HTTP/1.1 400"), r);
    }
    try (Socket s = new Socket("127.0.0.1", port)) {
      String r = exchange(s, "\u0001\u0002 nonsense\r\n\r\n", 1);
      assertTrue(r.startsWith("HTTP/1.1 400"), r);
    }
  }
}
