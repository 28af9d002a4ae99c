package io.parlor.adapter.webhook;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.TransientDeliveryException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HttpPoster} against WireMock (Jetty: an HTTP stack we did not write) and against raw
 * sockets for what WireMock cannot do on purpose (closing a kept-alive connection as it is reused,
 * malformed answers), all on 127.0.0.1.
 */
class HttpPosterIT {
  private static final byte[] BODY = "{\"id\":\"m-1\",\"status\":\"delivered\"}".getBytes(StandardCharsets.UTF_8);

  private WireMockServer wm;
  private HttpPoster http;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(40));
    wm.start();
  }

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
    wm.stop();
  }

  private HttpPoster poster(Duration timeout, int maxConnections) {
    http = new HttpPoster("test-http", timeout, maxConnections, Duration.ofSeconds(30), Tls.clientContext());
    return http;
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + wm.port() + path);
  }

  @Test
  void postsTheBodyAndHeadersAndReturnsTheStatus() {
    wm.stubFor(post("/parlor/status?x=1").willReturn(aResponse().withStatus(204)));
    HttpPoster.Answer a =
        poster(Duration.ofSeconds(5), 4)
            .post(url("/parlor/status?x=1"), BODY, "content-type", "application/json", "Idempotency-Key", "g-1")
            .join();
    assertEquals(204, a.status());
    wm.verify(
        postRequestedFor(urlEqualTo("/parlor/status?x=1"))
            .withHeader("Content-Type", equalTo("application/json"))
            .withHeader("Idempotency-Key", equalTo("g-1"))
            .withHeader("Host", equalTo("127.0.0.1:" + wm.port()))
            .withRequestBody(equalTo(new String(BODY, StandardCharsets.UTF_8))));
  }

  @Test
  void returnsErrorStatusesWithRetryAfter() {
    wm.stubFor(post("/busy").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7").withBody("slow down")));
    HttpPoster.Answer a = poster(Duration.ofSeconds(5), 4).post(url("/busy"), BODY).join();
    assertEquals(429, a.status());
    assertEquals("7", a.retryAfter());
  }

  @Test
  void reusesOneKeptAliveConnectionForSequentialRequests() {
    wm.stubFor(post("/s").willReturn(aResponse().withStatus(200).withBody("ok")));
    HttpPoster h = poster(Duration.ofSeconds(5), 8);
    for (int i = 0; i < 50; i++) {
      assertEquals(200, h.post(url("/s"), BODY).join().status());
    }
    assertEquals(1, h.openConnections(url("/s")).join());
    assertEquals(50, wm.countRequestsMatching(postRequestedFor(urlEqualTo("/s")).build()).getCount());
  }

  @Test
  void opensNoMoreThanMaxConnectionsAndQueuesTheRestInOrder() throws Exception {
    wm.stubFor(post("/slow").willReturn(aResponse().withStatus(200).withFixedDelay(150)));
    HttpPoster h = poster(Duration.ofSeconds(10), 3);
    List<CompletableFuture<HttpPoster.Answer>> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add(h.post(url("/slow"), BODY));
    }
    int most = 0;
    while (!CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).isDone()) {
      most = Math.max(most, h.openConnections(url("/slow")).join());
      Thread.sleep(10);
    }
    for (CompletableFuture<HttpPoster.Answer> f : all) {
      assertEquals(200, f.join().status());
    }
    assertEquals(3, Math.max(most, h.openConnections(url("/slow")).join()), "three connections, never more");
  }

  @Test
  void idleConnectionsAreClosedAndANewOneIsOpenedWhenNeeded() throws Exception {
    wm.stubFor(post("/s").willReturn(aResponse().withStatus(200)));
    http = new HttpPoster("test-http", Duration.ofSeconds(5), 4, Duration.ofMillis(200), Tls.clientContext());
    assertEquals(200, http.post(url("/s"), BODY).join().status());
    assertEquals(1, http.openConnections(url("/s")).join());
    awaitOpen(http, url("/s"), 0);
    assertEquals(200, http.post(url("/s"), BODY).join().status(), "a closed idle connection is not reused");
  }

  @Test
  void slowAnswerTimesOutAndItsConnectionIsClosed() throws Exception {
    wm.stubFor(post("/hang").willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    HttpPoster h = poster(Duration.ofMillis(300), 2);
    long t0 = System.nanoTime();
    Throwable err = failure(h.post(url("/hang"), BODY));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertInstanceOf(HttpTimeoutException.class, err);
    assertTrue(ms < 2_500, "failed after " + ms + " ms, not after the server's 3 s");
    awaitOpen(h, url("/hang"), 0);
  }

  @Test
  void refusedConnectionFailsWithAnIoError() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Throwable err = failure(poster(Duration.ofSeconds(5), 2).post(URI.create("http://127.0.0.1:" + closedPort + "/x"), BODY));
    assertInstanceOf(IOException.class, err);
    assertEquals(0, http.openConnections(URI.create("http://127.0.0.1:" + closedPort + "/x")).join());
  }

  @Test
  void aKeptAliveConnectionClosedAsItIsReusedIsRetriedOnceOnANewOne() throws Exception {
    // connection 1 answers its first request, then closes on reading the second without answering
    // (the keep-alive race); connection 2 answers normally
    try (RawServer server = new RawServer((conn) -> conn == 1 ? new int[] {200, -1} : new int[] {200, 200})) {
      HttpPoster h = poster(Duration.ofSeconds(5), 4);
      assertEquals(200, h.post(server.url(), BODY).join().status());
      assertEquals(200, h.post(server.url(), BODY).join().status());
      assertEquals(2, server.connections.get());
      assertEquals(3, server.requests.get(), "the second request was sent twice: once lost, once answered");
    }
  }

  @Test
  void aFreshConnectionClosedBeforeAnswerFailsWithoutRetry() throws Exception {
    try (RawServer server = new RawServer((conn) -> new int[] {-1})) {
      Throwable err = failure(poster(Duration.ofSeconds(5), 4).post(server.url(), BODY));
      assertInstanceOf(IOException.class, err);
      assertTrue(err.getMessage().contains("closed before the whole answer"), err.getMessage());
      assertEquals(1, server.requests.get(), "no retry on a connection that was never used before");
    }
  }

  @Test
  void connectionCloseInTheAnswerIsHonoured() throws Exception {
    try (RawServer server = new RawServer((conn) -> new int[] {-200})) { // -200: 200 with Connection: close
      HttpPoster h = poster(Duration.ofSeconds(5), 4);
      assertEquals(200, h.post(server.url(), BODY).join().status());
      assertEquals(200, h.post(server.url(), BODY).join().status());
      assertEquals(2, server.connections.get(), "a new connection for the second request");
    }
  }

  @Test
  void answersWhoseBodyEndsWithTheConnectionAreComplete() throws Exception {
    // HTTP/1.0 without a length (Python's http.server answers so), and HTTP/1.1 with Connection: close and no length
    try (RawServer server = new RawServer((conn) -> new int[] {conn % 2 == 1 ? HTTP10_UNTIL_CLOSE : HTTP11_UNTIL_CLOSE})) {
      HttpPoster h = poster(Duration.ofSeconds(5), 4);
      for (int i = 0; i < 4; i++) {
        assertEquals(200, h.post(server.url(), BODY).join().status(), "request " + i);
      }
      assertEquals(4, server.connections.get(), "none of these connections is reused");
      awaitOpen(h, server.url(), 0);
    }
  }

  @Test
  void noRetryOnceAnyByteOfTheAnswerArrived() throws Exception {
    // connection 1 answers, then on the second request sends half a status line and closes
    try (RawServer server = new RawServer((conn) -> conn == 1 ? new int[] {200, PARTIAL_HEAD} : new int[] {200})) {
      HttpPoster h = poster(Duration.ofSeconds(5), 4);
      assertEquals(200, h.post(server.url(), BODY).join().status());
      Throwable err = failure(h.post(server.url(), BODY));
      assertInstanceOf(IOException.class, err);
      assertEquals(2, server.requests.get(), "the server may have acted on it: not sent again");
      assertEquals(1, server.connections.get());
    }
  }

  @Test
  void malformedAnswerFailsWithAnIoError() throws Exception {
    try (RawServer server = new RawServer((conn) -> new int[] {0})) { // 0: garbage
      Throwable err = failure(poster(Duration.ofSeconds(5), 4).post(server.url(), BODY));
      assertInstanceOf(IOException.class, err);
      assertEquals(1, server.requests.get());
    }
  }

  @Test
  void closeFailsRequestsStillWaiting() {
    wm.stubFor(post("/slow").willReturn(aResponse().withStatus(200).withFixedDelay(2_000)));
    HttpPoster h = poster(Duration.ofSeconds(30), 1);
    CompletableFuture<HttpPoster.Answer> first = h.post(url("/slow"), BODY);
    CompletableFuture<HttpPoster.Answer> second = h.post(url("/slow"), BODY);
    h.close(Duration.ofMillis(100)).join();
    assertInstanceOf(IOException.class, failure(first));
    assertInstanceOf(IOException.class, failure(second));
    assertInstanceOf(IOException.class, failure(h.post(url("/slow"), BODY)), "closed: refuses new requests");
  }

  @Test
  void webhookSenderMapsAnswersToDeliveryOutcomes() {
    wm.stubFor(post("/busy").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")));
    wm.stubFor(post("/gone").willReturn(aResponse().withStatus(404)));
    wm.stubFor(post("/ok").willReturn(aResponse().withStatus(202)));
    WebhookSender s = new WebhookSender(poster(Duration.ofSeconds(5), 4), new Signatures("0123456789abcdef0123"),
        Clock.systemUTC(), io.parlor.spi.AdapterMetrics.none());
    s.post(url("/ok"), BODY, "g-1", "status of g-1").toCompletableFuture().join();
    var busy = assertInstanceOf(TransientDeliveryException.class,
        failure(s.post(url("/busy"), BODY, null, "status of g-1").toCompletableFuture()));
    assertEquals(Duration.ofSeconds(7), busy.retryAfter().orElseThrow());
    var gone = assertInstanceOf(PermanentDeliveryException.class,
        failure(s.post(url("/gone"), BODY, null, "status of g-1").toCompletableFuture()));
    assertEquals(PermanentDeliveryException.Reason.RECIPIENT_UNKNOWN, gone.reason());
    wm.verify(postRequestedFor(urlEqualTo("/ok")).withHeader(Signatures.HEADER, com.github.tomakehurst.wiremock.client.WireMock.matching("t=\\d+,v1=[0-9a-f]{64}")));
  }

  // ------------------------------------------------------------------ TLS

  @Test
  void httpsWithATrustedCertificateForTheHost(@TempDir Path dir) throws Exception {
    Path ks = keystore(dir, "dns:localhost,ip:127.0.0.1");
    WireMockServer tls = httpsServer(ks);
    try {
      tls.stubFor(post("/s").willReturn(aResponse().withStatus(201)));
      http = new HttpPoster("test-https", Duration.ofSeconds(5), 2, Duration.ofSeconds(30), trusting(ks));
      assertEquals(201, http.post(URI.create("https://localhost:" + tls.httpsPort() + "/s"), BODY).join().status());
      assertEquals(201, http.post(URI.create("https://127.0.0.1:" + tls.httpsPort() + "/s"), BODY).join().status());
    } finally {
      tls.stop();
    }
  }

  @Test
  void httpsRefusesAnUntrustedCertificateAndACertificateForAnotherHost(@TempDir Path dir) throws Exception {
    Path ks = keystore(dir, "dns:example.org");
    WireMockServer tls = httpsServer(ks);
    try {
      tls.stubFor(post("/s").willReturn(aResponse().withStatus(201)));
      URI u = URI.create("https://localhost:" + tls.httpsPort() + "/s");
      // the JDK's default trust store does not know this self-signed certificate
      http = new HttpPoster("test-https", Duration.ofSeconds(5), 2, Duration.ofSeconds(30), Tls.clientContext());
      Throwable untrusted = failure(http.post(u, BODY));
      assertInstanceOf(IOException.class, untrusted);
      assertTrue(hasCause(untrusted, SSLException.class), "TLS failure: " + untrusted);
      http.close();
      // trusted, but issued to example.org: host name verification must refuse it
      http = new HttpPoster("test-https", Duration.ofSeconds(5), 2, Duration.ofSeconds(30), trusting(ks));
      Throwable wrongHost = failure(http.post(u, BODY));
      assertTrue(hasCause(wrongHost, SSLException.class), "TLS failure: " + wrongHost);
      assertEquals(0, tls.countRequestsMatching(postRequestedFor(urlEqualTo("/s")).build()).getCount());
    } finally {
      tls.stop();
    }
  }

  private static Path keystore(Path dir, String san) throws Exception {
    Path ks = dir.resolve("server.p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=parlor-test", "-ext", "SAN=" + san, "-storetype", "PKCS12",
        "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(dir.resolve("keytool.log").toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(dir.resolve("keytool.log")));
    return ks;
  }

  private static WireMockServer httpsServer(Path ks) {
    WireMockServer s = new WireMockServer(options().dynamicPort().dynamicHttpsPort().bindAddress("127.0.0.1")
        .keystorePath(ks.toString()).keystorePassword("changeit").keyManagerPassword("changeit")
        .keystoreType("PKCS12"));
    s.start();
    return s;
  }

  private static SslContext trusting(Path ks) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    X509Certificate cert = (X509Certificate) store.getCertificate("server");
    return SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(cert).build();
  }

  // ------------------------------------------------------------------ helpers

  private static Throwable failure(CompletableFuture<?> f) {
    try {
      f.get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("no answer within 20 s", e);
    }
    throw new AssertionError("expected a failure, got " + f.join());
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  private static void awaitOpen(HttpPoster h, URI u, int expected) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (h.openConnections(u).join() != expected && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertEquals(expected, h.openConnections(u).join());
  }

  /**
   * A blocking HTTP/1.1 server on raw sockets. For its n-th connection (from 1) the script gives
   * what to do with each request in turn: a status to answer with keep-alive, {@code -status} to
   * answer with {@code Connection: close}, {@code -1} to close without answering, {@code 0} to
   * answer with garbage, {@link #HTTP10_UNTIL_CLOSE} / {@link #HTTP11_UNTIL_CLOSE} to answer 200
   * with a body delimited by closing, {@link #PARTIAL_HEAD} to send half a status line and close.
   */
  private static final int HTTP10_UNTIL_CLOSE = 1;
  private static final int HTTP11_UNTIL_CLOSE = 2;
  private static final int PARTIAL_HEAD = 3;

  private static final class RawServer implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final Thread thread;

    RawServer(IntFunction<int[]> script) throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            Socket s = socket.accept();
            int[] plan = script.apply(connections.incrementAndGet());
            Thread t = new Thread(() -> serve(s, plan), "raw-conn");
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return;
          }
        }
      }, "raw-server");
      thread.setDaemon(true);
      thread.start();
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/status");
    }

    private void serve(Socket s, int[] plan) {
      try (s) {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        OutputStream out = s.getOutputStream();
        for (int action : plan) {
          int length = 0;
          String line = in.readLine();
          if (line == null) {
            return;
          }
          while ((line = in.readLine()) != null && !line.isEmpty()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
              length = Integer.parseInt(line.substring(15).trim());
            }
          }
          for (int i = 0; i < length; i++) {
            in.read();
          }
          requests.incrementAndGet();
          if (action == -1) {
            return;
          }
          String answer;
          if (action == 0) {
            answer = "HTTP/1.1 abc nonsense\r\n\r\n";
          } else if (action == HTTP10_UNTIL_CLOSE) {
            answer = "HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\naccepted, body ends with the connection";
          } else if (action == HTTP11_UNTIL_CLOSE) {
            answer = "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\naccepted, body ends with the connection";
          } else if (action == PARTIAL_HEAD) {
            answer = "HTTP/1.1 200";
          } else {
            answer = "HTTP/1.1 " + Math.abs(action) + " X\r\ncontent-length: 2\r\n"
                + (action < 0 ? "connection: close\r\n" : "") + "\r\nok";
          }
          out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          if (action <= 0 || action == HTTP10_UNTIL_CLOSE || action == HTTP11_UNTIL_CLOSE || action == PARTIAL_HEAD) {
            return;
          }
        }
        // plan done: wait for the client to go away
        while (in.read() >= 0) {
          // discard
        }
      } catch (IOException e) {
        // the client closed: fine
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
