package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18.6: a queue bigger than the heap. A node with a 48 MB heap and its destination down
 * takes 20,000 messages of 1 KB (held whole they would need more than the heap); it holds only
 * the oldest part in memory, refuses with 503 at {@code delivery.maxQueued}, restarts after a
 * SIGKILL on the same store without reading the whole queue into memory, and delivers every
 * accepted message exactly once when the destination comes back.
 */
class SmallHeapIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "small-heap-secret-00001";
  private static final int BOUND = 20_000;
  private static final String PAD = "x".repeat(1000);

  @TempDir Path dir;
  WireMockServer dest;
  NodeProcess node;
  int port;
  final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void tearDown() throws Exception {
    if (node != null) {
      node.close();
    }
    dest.stop();
  }

  private int send(String id) {
    byte[] body = JSON.createObjectNode()
        .put("id", id)
        .put("from", "neta:sender" + (id.hashCode() & 63)) // 64 conversations: delivered side by side
        .put("to", "netb:bob")
        .put("sentAt", Instant.now().toString())
        .set("content", JSON.createObjectNode().put("type", "text").put("text", id + " " + PAD))
        .toString().getBytes(StandardCharsets.UTF_8);
    return NodeProcess.postSigned(http, port, SECRET, body, Duration.ofSeconds(10));
  }

  private JsonNode status() throws Exception {
    return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/v1/status"))
        .build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private double metric(String name) throws Exception {
    String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.E+-]+)$").matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(2)) : -1;
  }

  private static void await(String what, Duration timeout, java.util.concurrent.Callable<Boolean> done) throws Exception {
    long until = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < until) {
      if (done.call()) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("timed out waiting for: " + what);
  }

  @Test
  void aQueueBiggerThanTheHeapIsRefusedAtItsBoundSurvivesARestartAndDrains() throws Exception {
    dest = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
    dest.start();
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    port = NodeProcess.freePort();
    Path config = dir.resolve("parlor.yaml");
    Files.writeString(config, String.join("\n",
        "http:", "  port: " + port,
        "store:", "  path: " + dir.resolve("data/parlor.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.5S", "  breakerOpenFor: PT0.5S", "  maxQueued: " + BOUND, System.getProperty("parlor.delivery", ""),
        // a flood from few senders is what this test makes: the volume limits out of the way
        "policy:", "  senderPerMinute: 1000000", "  senderBurst: 1000000", "  pairPerMinute: 1000000", "  pairBurst: 1000000",
          "  networkPerSecond: 10000000", "  networkBurst: 10000000", "  holdAfterStrangers: 1000000",
        "networks:",
        "  - id: neta", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + dest.baseUrl() + "/unused",
        "  - id: netb", "    type: webhook", "    secret: " + SECRET, "    deliveryUrl: " + dest.baseUrl() + "/messages",
        ""));
    node = new NodeProcess(config, dir.resolve("node.log"), port, System.getProperty("parlor.heap", "48m")).start();
    assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/v1/people/bob"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"netb:bob\"],\"optIn\":true}")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());

    int total = BOUND + 200;
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    java.util.Set<String> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    ExecutorService senders = Executors.newFixedThreadPool(8);
    AtomicInteger next = new AtomicInteger();
    for (int t = 0; t < 8; t++) {
      senders.execute(() -> {
        for (int i; (i = next.getAndIncrement()) < total; ) {
          String id = "q-" + i;
          int code = send(id);
          if (code == 202) {
            accepted.incrementAndGet();
            acked.add(id);
          } else if (code == 503) {
            refused.incrementAndGet();
          } else {
            other.incrementAndGet();
          }
        }
      });
    }
    senders.shutdown();
    assertTrue(senders.awaitTermination(5, TimeUnit.MINUTES));
    assertEquals(0, other.get(), "every answer 202 or 503");
    assertTrue(accepted.get() >= BOUND && accepted.get() <= BOUND + 8, "accepted up to the bound: " + accepted);
    assertEquals(total - accepted.get(), refused.get(), "refused with 503 at the bound");
    int held = (int) metric("parlor_queue_held");
    assertTrue(held > 0 && held < BOUND / 4, "only the oldest part is held in memory: " + held);

    // killed with all of it queued; the same heap restarts on that store without reading it all in
    node.kill();
    long restart = System.nanoTime();
    node = new NodeProcess(config, dir.resolve("node2.log"), port, System.getProperty("parlor.heap", "48m")).start();
    double restartSeconds = (System.nanoTime() - restart) / 1e9;
    assertEquals(accepted.get(), status().get("queueDepth").asInt(), "every accepted message still queued");
    assertTrue(metric("parlor_queue_held") < BOUND / 4, "read back a page at a time");

    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    long drainStart = System.nanoTime();
    await("the queue drained", Duration.ofMinutes(3), () -> status().get("queueDepth").asInt() == 0);
    double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
    Map<String, Integer> delivered = new HashMap<>();
    // what the destination took (answered 200): the attempts it refused with 503 are retried
    for (com.github.tomakehurst.wiremock.stubbing.ServeEvent ev : dest.getAllServeEvents()) {
      if (!ev.getRequest().getUrl().equals("/messages") || ev.getResponse().getStatus() != 200) {
        continue;
      }
      String text = JSON.readTree(ev.getRequest().getBodyAsString()).path("content").path("text").asText();
      delivered.merge(text.substring(0, text.indexOf(' ')), 1, Integer::sum);
    }
    assertEquals(acked, delivered.keySet(), "every accepted message delivered, nothing else");
    java.util.List<String> twice = delivered.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    assertTrue(twice.isEmpty(), "each once; twice: " + twice.size() + " e.g. " + twice.stream().limit(3).toList()
        + "; attempts: " + http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body().lines().filter(l -> l.startsWith("parlor_delivery_attempts_total")).toList());
    assertTrue(node.process.isAlive(), "the node is still up");
    Figures.record("small-heap", "-Xmx48m, destination down: " + accepted + " accepted (1 KB each), "
        + refused + " refused with 503 at delivery.maxQueued " + BOUND + ", " + held + " held in memory; SIGKILL, ready again in "
        + String.format(java.util.Locale.ROOT, "%.1f s; drained %d in %.1f s, each once", restartSeconds, acked.size(), drainSeconds));
  }
}
