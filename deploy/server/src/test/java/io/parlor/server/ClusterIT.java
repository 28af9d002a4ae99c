package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.core.store.PostgresServer;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: three nodes (separate JVMs, the fat jar) on one PostgreSQL. Eight senders send 3,000
 * messages through all three; one node is SIGKILLed mid-load, its lanes pass to the others when
 * their leases expire, and it is started again. Every accepted message is delivered, a message
 * delivered twice is so under the same Idempotency-Key, each conversation's messages arrive in
 * the order they were sent and are never delivered by two nodes at once, the same message sent to two nodes at once is accepted once, and a
 * preference changed on one node routes the next message on another.
 *
 * <p>The tests share one cluster (three JVMs on one database take seconds to start); each looks
 * only at the messages it sent. The one that kills a node runs last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "cluster-test-secret-0001";
  private static final int SENDERS = 8;
  private static final int PER_SENDER = 375; // 3,000 in all
  private static final int NODES = 3;

  @TempDir static Path dir;
  WireMockServer dest;
  final NodeProcess[] nodes = new NodeProcess[NODES];
  final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeAll
  void setUp() throws Exception {
    dest = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(30));
    dest.start();
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200).withFixedDelay(5)));
    dest.stubFor(post(urlEqualTo("/messages-c")).willReturn(aResponse().withStatus(200)));
    String url = PostgresServer.shared().newDatabase();
    for (int i = 0; i < NODES; i++) {
      int port = NodeProcess.freePort();
      Path config = dir.resolve("node" + (i + 1) + ".yaml");
      Files.writeString(config, String.join("\n",
          "node:",
          "  id: node-" + (i + 1),
          "logging:",
          "  level: debug",
          "http:",
          "  port: " + port,
          PostgresServer.storeYaml(url),
          "delivery:",
          "  initialBackoff: PT0.05S",
          "  maxBackoff: PT0.5S",
          "  leaseTtl: PT5S",
          // eight machine senders at full speed: the volume limits out of the way (SafetyLimitsIT tests them)
          "policy:", "  senderPerMinute: 1000000", "  senderBurst: 1000000", "  pairPerMinute: 1000000", "  pairBurst: 1000000",
          "  networkPerSecond: 10000000", "  networkBurst: 10000000", "  holdAfterStrangers: 1000000",
          "networks:",
          "  - id: neta",
          "    type: webhook",
          "    secret: " + SECRET,
          "    deliveryUrl: " + dest.baseUrl() + "/unused",
          "  - id: netb",
          "    type: webhook",
          "    secret: " + SECRET,
          "    deliveryUrl: " + dest.baseUrl() + "/messages",
          "  - id: netc",
          "    type: webhook",
          "    secret: " + SECRET,
          "    deliveryUrl: " + dest.baseUrl() + "/messages-c",
          ""));
      nodes[i] = new NodeProcess(config, dir.resolve("node" + (i + 1) + ".log"), port, "192m").start();
    }
    for (int r = 0; r < 4; r++) {
      person(nodes[r % NODES], "bob" + r, "[\"netb:bob" + r + "\"]");
    }
  }

  @AfterAll
  void tearDown() throws Exception {
    for (NodeProcess n : nodes) {
      if (n != null) {
        n.close();
      }
    }
    dest.stop();
    // the nodes' logs, for a failure's post-mortem
    Path logs = Path.of("target", "cluster-logs");
    Files.createDirectories(logs);
    for (int i = 0; i < NODES; i++) {
      Path log = dir.resolve("node" + (i + 1) + ".log");
      if (Files.exists(log)) {
        Files.copy(log, logs.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private void person(NodeProcess node, String id, String accounts) throws Exception {
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + "/admin/v1/people/" + id))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":" + accounts + ",\"optIn\":true}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  private int send(NodeProcess node, String id, String from, String to, String text) {
    String json = JSON.createObjectNode()
        .put("id", id)
        .put("from", from)
        .put("to", to)
        .put("sentAt", Instant.now().toString())
        .set("content", JSON.createObjectNode().put("type", "text").put("text", text))
        .toString();
    return NodeProcess.postSigned(http, node.port, SECRET, json.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
  }

  private static String text(LoggedRequest r) {
    try {
      return JSON.readTree(r.getBodyAsString()).path("content").path("text").asText();
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + r.getBodyAsString(), e);
    }
  }

  @Test
  @Order(4)
  void threeNodesShareTheQueueAndLoseNothingWhenOneIsKilled() throws Exception {
    // eight conversations (sender i to bob i % 4), each sent in order, round robin over the nodes;
    // a message a node did not answer (killed) goes to the next node, under the same id
    Map<String, Integer> accepted = new ConcurrentHashMap<>(); // text -> the status that accepted it
    AtomicInteger sent = new AtomicInteger();
    List<String> problems = new CopyOnWriteArrayList<>();
    Thread[] senders = new Thread[SENDERS];
    for (int s = 0; s < SENDERS; s++) {
      int sender = s;
      senders[s] = new Thread(() -> {
        int next = sender;
        for (int k = 0; k < PER_SENDER; k++) {
          String text = "s" + sender + " " + k;
          long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (true) {
            int status = send(nodes[next++ % NODES], "m-" + sender + "-" + k, "neta:s" + sender,
                "netb:bob" + (sender % 4), text);
            if (status == 202 || status == 200) { // accepted, or accepted before (a retry)
              accepted.put(text, status);
              sent.incrementAndGet();
              break;
            }
            if (status != -1 && status != 503 || System.nanoTime() > until) {
              problems.add(text + ": " + status);
              break;
            }
          }
        }
      }, "sender-" + s);
      senders[s].start();
    }
    long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (sent.get() < 1_000 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    nodes[1].kill(); // SIGKILL mid-load: its leases stop being renewed
    int atKill = sent.get();
    Thread.sleep(7_000); // longer than delivery.leaseTtl: the other nodes take its lanes over
    int whileDown = sent.get() - atKill;
    nodes[1].start();
    for (Thread t : senders) {
      t.join(300_000);
    }
    assertTrue(problems.isEmpty(), "refused or unanswered: " + problems);
    assertEquals(SENDERS * PER_SENDER, accepted.size(), "every message accepted");
    assertTrue(whileDown > 0, "messages were accepted while a node was down");

    // every accepted message is delivered
    Map<String, Set<String>> keysByText = new HashMap<>();
    List<LoggedRequest> requests = List.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      requests = dest.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
          .filter(r -> SENT_BY_SENDERS.matcher(text(r)).matches()).toList(); // not the other tests' messages
      keysByText.clear();
      for (LoggedRequest r : requests) {
        keysByText.computeIfAbsent(text(r), t -> new HashSet<>()).add(r.getHeader("Idempotency-Key"));
      }
      if (keysByText.keySet().containsAll(accepted.keySet())) {
        break;
      }
      Thread.sleep(200);
    }
    Set<String> missing = new HashSet<>(accepted.keySet());
    missing.removeAll(keysByText.keySet());
    assertTrue(missing.isEmpty(), missing.size() + " accepted but never delivered, e.g. "
        + missing.stream().limit(10).toList());
    // a message delivered twice was delivered under the same key: the destination drops the copy
    keysByText.forEach((text, keys) -> assertEquals(1, keys.size(), text + " under several keys: " + keys));
    assertEquals(accepted.size(), keysByText.size(), "nothing delivered that was not sent");
    int redelivered = requests.size() - keysByText.size();
    // one node at a time per conversation: the destination answers after 5 ms, so a conversation
    // delivered by one node at a time never has two requests less than 5 ms apart (4: the log's
    // times are in whole milliseconds)
    Map<String, Long> lastAt = new HashMap<>();
    int overlapping = 0;
    for (LoggedRequest r : requests.stream().sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList()) {
      String conversation = text(r).split(" ")[0];
      long at = r.getLoggedDate().getTime();
      Long last = lastAt.put(conversation, at);
      if (last != null && at - last < 4) {
        overlapping++;
      }
    }
    assertEquals(0, overlapping, "deliveries of one conversation less than 5 ms apart: two nodes delivered it at once");
    // each conversation's first deliveries come in the order its messages were sent
    Map<String, Integer> lastBySender = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (LoggedRequest r : requests) {
      String t = text(r);
      if (!seen.add(t)) {
        continue; // a redelivery
      }
      String[] p = t.split(" ");
      int k = Integer.parseInt(p[1]);
      Integer last = lastBySender.put(p[0], k);
      assertTrue(last == null || last < k, "conversation of " + p[0] + ": " + k + " delivered after " + last);
    }
    assertTrue(Files.readString(dir.resolve("node1.log")).contains("node node-1 listening"));
    Figures.record("cluster", "3 nodes on one PostgreSQL, 8 senders, " + accepted.size() + " messages; node 2 SIGKILLed after "
        + atKill + " accepted and restarted 7 s later (" + whileDown + " accepted while it was down); all "
        + accepted.size() + " delivered, " + redelivered + " redelivered under the same Idempotency-Key, order kept in all "
        + SENDERS + " conversations");
  }

  private static final java.util.regex.Pattern SENT_BY_SENDERS = java.util.regex.Pattern.compile("s[0-9]+ [0-9]+");

  @Test
  @Order(1)
  void theSameMessageSentToTwoNodesAtOnceIsAcceptedOnce() throws Exception {
    List<Integer> statuses = new CopyOnWriteArrayList<>();
    for (int round = 0; round < 20; round++) {
      String id = "dup-" + round;
      Thread a = new Thread(() -> statuses.add(send(nodes[0], id, "neta:dup", "netb:bob0", id)));
      Thread b = new Thread(() -> statuses.add(send(nodes[2], id, "neta:dup", "netb:bob0", id)));
      a.start();
      b.start();
      a.join();
      b.join();
    }
    assertEquals(20, statuses.stream().filter(s -> s == 202).count(), "one 202 per message: " + statuses);
    assertEquals(20, statuses.stream().filter(s -> s == 200).count(), "the other answered as a duplicate: " + statuses);
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Map<String, Integer> delivered = new HashMap<>();
    while (System.nanoTime() < until) {
      delivered.clear();
      for (LoggedRequest r : dest.findAll(postRequestedFor(urlEqualTo("/messages")))) {
        if (text(r).startsWith("dup-")) {
          delivered.merge(text(r), 1, Integer::sum);
        }
      }
      if (delivered.size() == 20) {
        break;
      }
      Thread.sleep(100);
    }
    assertEquals(20, delivered.size(), "each delivered: " + delivered);
    delivered.forEach((t, n) -> assertEquals(1, n, t + " delivered " + n + " times"));
  }

  @Test
  @Order(2)
  void aPreferenceChangedOnOneNodeRoutesTheNextMessageOnAnother() throws Exception {
    person(nodes[0], "carol", "[\"netb:carol\",\"netc:carol\"]");
    assertEquals(202, send(nodes[2], "p-1", "neta:pat", "netb:carol", "before"));
    awaitDelivered("/messages", "before");
    // nodes 3's cache knows carol prefers netb; node 2 changes that, and node 3 routes by it at once
    person(nodes[1], "carol", "[\"netc:carol\",\"netb:carol\"]");
    assertEquals(202, send(nodes[2], "p-2", "neta:pat", "netb:carol", "after"));
    awaitDelivered("/messages-c", "after");
    assertTrue(dest.findAll(postRequestedFor(urlEqualTo("/messages"))).stream().noneMatch(r -> text(r).equals("after")),
        "not to the account carol no longer prefers");
    JsonNode status = JSON.readTree(http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes[0].port + "/admin/v1/status")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    List<String> names = new ArrayList<>();
    status.path("cluster").forEach(n -> names.add(n.path("node").asText()));
    assertEquals(List.of("node-1", "node-2", "node-3"), names, status.toString());
    assertEquals("node-1", status.path("node").asText());
    status.path("cluster").forEach(n -> assertTrue(n.path("leases").asLong() >= 0, n.toString()));
    // each node's metrics carry its name
    String metrics = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes[1].port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(metrics.contains("node=\"node-2\""), "metrics tagged by node");
  }

  @Test
  @Order(3)
  void aCodeSentByOneNodeIsCheckedByAnotherAndItsSessionWorksOnAThird() throws Exception {
    assertEquals(202, call(nodes[0], "POST", "/v1/auth/start", null, "{\"address\":\"netb:bob1\"}").statusCode());
    java.util.regex.Pattern sixDigits = java.util.regex.Pattern.compile("\\b(\\d{6})\\b");
    String code = null;
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (code == null) {
      assertTrue(System.nanoTime() < until, "no code reached netb:bob1");
      for (LoggedRequest r : dest.findAll(postRequestedFor(urlEqualTo("/messages")))) {
        JsonNode m = JSON.readTree(r.getBodyAsString());
        java.util.regex.Matcher digits = sixDigits.matcher(m.path("content").path("text").asText());
        if (m.path("to").asText().equals("netb:bob1") && digits.find()) {
          code = digits.group(1);
        }
      }
      Thread.sleep(20);
    }
    // codes are hashed under a key every node derives from store.encryptionKey
    HttpResponse<String> verified = call(nodes[2], "POST", "/v1/auth/verify", null,
        "{\"address\":\"netb:bob1\",\"code\":\"" + code + "\"}");
    assertEquals(200, verified.statusCode(), verified.body());
    String token = JSON.readTree(verified.body()).path("token").asText();
    HttpResponse<String> me = call(nodes[1], "GET", "/v1/me", token, null);
    assertEquals(200, me.statusCode(), me.body());
  }

  private HttpResponse<String> call(NodeProcess node, String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitDelivered(String path, String text) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (dest.findAll(postRequestedFor(urlEqualTo(path))).stream().noneMatch(r -> text(r).equals(text))) {
      assertTrue(System.nanoTime() < until, "\"" + text + "\" never reached " + path);
      Thread.sleep(20);
    }
  }
}
