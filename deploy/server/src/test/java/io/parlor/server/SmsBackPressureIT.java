package io.parlor.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.webhook.Signatures;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
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
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, found by bench/run-kannel: a burst of conversations to SMS fills the SMPP adapter's
 * submit window and its queue. Those refusals are the adapter's own back-pressure, not the SMSC
 * failing: they must not open the network's circuit breaker (which stopped every SMS for
 * {@code breakerOpenFor}, 30 s by default) nor mark the network failing, and the deliveries
 * waiting for room go as the window frees. Over real SMPP, against the npm {@code smpp} SMSC, with
 * a window of one and no queue, so that nearly every delivery is refused at first.
 */
class SmsBackPressureIT {
  private static final String SECRET = "chat-secret-0123456789";
  private static final int SENDERS = 30;
  private static final int EACH = 4;

  @TempDir Path dir;
  NodeSmsc smsc;
  Gateway node;
  RawSink chat;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** The chat network's status URL: the ids reported delivered. */
  static final class RawSink implements AutoCloseable {
    final Set<String> delivered = ConcurrentHashMap.newKeySet();
    final com.sun.net.httpserver.HttpServer server;

    RawSink() throws java.io.IOException {
      server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 64);
      server.createContext("/", x -> {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"id\":\"([^\"]+)\".*\"status\":\"delivered\"").matcher(body);
        if (x.getRequestURI().getPath().equals("/status") && m.find()) {
          delivered.add(m.group(1));
        }
        x.sendResponseHeaders(200, -1);
        x.close();
      });
      server.start();
    }

    String base() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close(Duration.ofSeconds(2));
    }
    if (chat != null) {
      chat.close();
    }
    if (smsc != null) {
      smsc.close();
    }
  }

  @Test
  void aFullSubmitWindowHoldsDeliveriesBackWithoutOpeningTheCircuitOrMarkingTheNetworkFailing() throws Exception {
    smsc = new NodeSmsc(dir, Duration.ofSeconds(15));
    chat = new RawSink();
    Path file = dir.resolve("sms.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("sms.db"),
        "networks:",
        "  - id: chat", "    type: webhook", "    secret: " + SECRET,
        "    deliveryUrl: " + chat.base() + "/messages", "    statusUrl: " + chat.base() + "/status",
        "  - id: sms", "    type: smpp", "    host: 127.0.0.1", "    port: " + smsc.port,
        "    systemId: parlor", "    password: secret", "    window: 1", "    queueSize: 0",
        ""));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), Main.providers()).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    smsc.next("bound");
    URI base = URI.create("http://127.0.0.1:" + node.port());
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(base.resolve("/admin/v1/people/sam"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"sms:+447700900123\"],\"optIn\":true}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());

    // thirty conversations at once (all 120 messages posted together), each with one delivery
    // in flight: the window takes one
    Set<String> ids = new HashSet<>();
    java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> posts = new java.util.ArrayList<>();
    for (int k = 0; k < EACH; k++) {
      for (int s = 0; s < SENDERS; s++) {
        String id = "b-" + s + "-" + k;
        ids.add(id);
        byte[] body = ("{\"id\":\"" + id + "\",\"from\":\"chat:sender" + s + "\",\"to\":\"sms:+447700900123\","
            + "\"sentAt\":\"" + Instant.now() + "\",\"content\":{\"type\":\"text\",\"text\":\"burst " + id + "\"}}")
            .getBytes(StandardCharsets.UTF_8);
        posts.add(http.sendAsync(HttpRequest.newBuilder(base.resolve("/v1/networks/chat/messages"))
            .header("Parlor-Signature", new Signatures(SECRET).sign(body, Instant.now()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()));
      }
    }
    for (java.util.concurrent.CompletableFuture<HttpResponse<String>> f : posts) {
      HttpResponse<String> res = f.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(202, res.statusCode(), res.body());
    }
    // a circuit opened by the refusals would hold every SMS back for 30 s; retries at a fixed delay
    // (not woken as the window frees) would let about one through every half second: 20 s and more here
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!chat.delivered.containsAll(ids) && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertEquals(ids, new HashSet<>(chat.delivered), "every message delivered and reported within 10 s");
    String metrics = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(count(metrics, "busy") > 0, "the window did refuse deliveries (the test's premise)");
    assertEquals(0, count(metrics, "circuit_open"), "the circuit never opened");
    assertEquals(0, count(metrics, "transient"), "no refusal counted as the network failing");
    assertFalse(metrics.contains("parlor_network_failing{network=\"sms\""), "the network was never marked failing");
  }

  /** The delivery attempts at the sms network with {@code outcome}, from the metrics. */
  private static double count(String metrics, String outcome) {
    Matcher m = Pattern.compile("(?m)^parlor_delivery_attempts_total\\{([^}]*)\\} ([0-9.E+-]+)$").matcher(metrics);
    double n = 0;
    while (m.find()) {
      if (m.group(1).contains("network=\"sms\"") && m.group(1).contains("outcome=\"" + outcome + "\"")) {
        n += Double.parseDouble(m.group(2));
      }
    }
    return n;
  }
}
