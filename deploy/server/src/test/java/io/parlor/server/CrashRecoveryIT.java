package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a node with SIGKILL while messages are being accepted, restarts it, and shows that every
 * message that got a 202 is delivered (deduplicated by Idempotency-Key) and still known as a
 * duplicate. Also: SIGTERM drains and exits 0.
 */
class CrashRecoveryIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "crash-test-secret-00001";

  @TempDir Path dir;
  WireMockServer dest;
  NodeProcess node;
  int port;
  Path config;
  final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeEach
  void setUp() throws Exception {
    dest = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
    dest.start();
    // slow destination so that a queue builds up and the kill finds messages not yet delivered
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200).withFixedDelay(30)));
    port = NodeProcess.freePort();
    config = dir.resolve("parlor.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "http:",
            "  port: " + port,
            "store:",
            "  path: " + dir.resolve("data/parlor.db"),
            "delivery:",
            "  initialBackoff: PT0.05S",
            "  maxBackoff: PT0.5S",
            "networks:",
            "  - id: neta",
            "    type: webhook",
            "    secret: " + SECRET,
            "    deliveryUrl: " + dest.baseUrl() + "/unused",
            "  - id: netb",
            "    type: webhook",
            "    secret: " + SECRET,
            "    deliveryUrl: " + dest.baseUrl() + "/messages",
            ""));
    node = new NodeProcess(config, dir.resolve("node.log"), port).start();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/v1/people/bob"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"netb:bob\"],\"optIn\":true}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  @AfterEach
  void tearDown() throws Exception {
    node.close();
    dest.stop();
  }

  private int send(String id) {
    String json =
        JSON.createObjectNode()
            .put("id", id)
            .put("from", "neta:sender" + (id.hashCode() & 3))
            .put("to", "netb:bob")
            .put("sentAt", Instant.now().toString())
            .set("content", JSON.createObjectNode().put("type", "text").put("text", "payload " + id))
            .toString();
    return NodeProcess.postSigned(http, port, SECRET, json.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
  }

  /**
   * Issue 11: {@code parlor backup} while the node accepts a stream of messages (its destination
   * down, so they stay queued); a node started on the copy delivers every message acknowledged
   * before the backup began.
   */
  @Test
  void aBackupTakenUnderLoadRestoresToAStoreThatDeliversItsQueue() throws Exception {
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    java.util.List<String> acked = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    Thread sender = new Thread(() -> {
      for (int i = 0; i < 300; i++) {
        if (send("b-" + i) == 202) {
          acked.add("b-" + i);
        }
      }
    });
    sender.start();
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (acked.size() < 100 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    java.util.List<String> beforeBackup = java.util.List.copyOf(acked);
    assertTrue(beforeBackup.size() >= 100, "acknowledged before the backup: " + beforeBackup.size());
    Path copy = dir.resolve("backups/parlor-copy.db");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = Main.run(new String[] {"backup", copy.toString(), "--config", config.toString()},
        new java.io.PrintStream(out, true, StandardCharsets.UTF_8), new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("written to " + copy), out.toString(StandardCharsets.UTF_8));
    assertTrue(sender.isAlive() || acked.size() > beforeBackup.size(), "the node kept accepting during the backup");
    sender.join(60_000);
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)));
    node.close();

    // restore: a node on the copy, its destination back, and beside it the store's key, kept apart
    // from backups (the backup alone names nobody) — as the backup's output says
    Path keyFile = io.parlor.core.store.SqliteStore.graphKeyFile(dir.resolve("data/parlor.db"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("graph key is in " + keyFile), out.toString(StandardCharsets.UTF_8));
    Files.copy(keyFile, io.parlor.core.store.SqliteStore.graphKeyFile(copy));
    dest.resetRequests();
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    port = NodeProcess.freePort();
    Path restored = dir.resolve("restored.yaml");
    Files.writeString(restored, Files.readString(config)
        .replace(dir.resolve("data/parlor.db").toString(), copy.toString())
        .replaceFirst("port: \\d+", "port: " + port));
    node = new NodeProcess(restored, dir.resolve("restored.log"), port).start();
    java.util.Set<String> delivered = java.util.concurrent.ConcurrentHashMap.newKeySet();
    until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!delivered.containsAll(beforeBackup) && System.nanoTime() < until) {
      for (var r : dest.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo("/messages")))) {
        String text = JSON.readTree(r.getBodyAsString()).path("content").path("text").asText();
        delivered.add(text.substring(text.indexOf("b-")));
      }
      Thread.sleep(50);
    }
    java.util.List<String> missing = beforeBackup.stream().filter(id -> !delivered.contains(id)).toList();
    assertTrue(missing.isEmpty(), missing.size() + " acknowledged before the backup were not restored: " + missing);
    assertTrue(acked.containsAll(delivered), "only acknowledged messages");
  }

  @Test
  void everyAcknowledgedMessageIsDeliveredAfterSigkill() throws Exception {
    Map<String, Integer> outcome = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread[] senders = new Thread[4];
    for (int t = 0; t < senders.length; t++) {
      int thread = t;
      senders[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 400 && !stop.get(); i++) {
                  String id = "c-" + thread + "-" + i;
                  outcome.put(id, send(id));
                }
              });
      senders[t].start();
    }
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (outcome.values().stream().filter(s -> s == 202).count() < 150 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    node.kill(); // SIGKILL while senders are mid-flight
    stop.set(true);
    for (Thread t : senders) {
      t.join();
    }
    Set<String> acked =
        outcome.entrySet().stream().filter(e -> e.getValue() == 202).map(Map.Entry::getKey).collect(Collectors.toSet());
    assertTrue(acked.size() >= 150, "enough messages acknowledged before the kill: " + acked.size());
    int deliveredBeforeRestart = dest.findAll(postRequestedFor(urlEqualTo("/messages"))).size();
    assertTrue(deliveredBeforeRestart < acked.size(),
        "the kill must find undelivered messages for this test to mean anything");

    node.start();
    // every acknowledged message is delivered, each Idempotency-Key counted once
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Map<String, String> textByKey = new HashMap<>();
    while (System.nanoTime() < deadline) {
      textByKey.clear();
      for (var r : dest.findAll(postRequestedFor(urlEqualTo("/messages")))) {
        textByKey.put(r.getHeader("Idempotency-Key"), JSON.readTree(r.getBodyAsString()).get("content").get("text").asText());
      }
      Set<String> deliveredIds =
          textByKey.values().stream().map(t -> t.substring("payload ".length())).collect(Collectors.toSet());
      if (deliveredIds.containsAll(acked)) {
        break;
      }
      Thread.sleep(100);
    }
    Set<String> deliveredIds =
        textByKey.values().stream().map(t -> t.substring("payload ".length())).collect(Collectors.toSet());
    Set<String> missing = acked.stream().filter(id -> !deliveredIds.contains(id)).collect(Collectors.toSet());
    assertTrue(missing.isEmpty(), "acknowledged but never delivered: " + missing);
    assertEquals(textByKey.size(), Set.copyOf(textByKey.values()).size(),
        "one Idempotency-Key per message");
    // the dedupe keys survived the crash too
    String someAcked = acked.iterator().next();
    assertEquals(200, send(someAcked), "an acknowledged id is a duplicate after restart");
    Figures.record("crash", "SIGKILL under 4 senders: " + acked.size() + " acknowledged, " + deliveredBeforeRestart
        + " delivered before the kill; after the restart all " + acked.size() + " delivered, one Idempotency-Key each");
  }

  @Test
  void sigtermDrainsAndExitsZero() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertEquals(202, send("t-" + i));
    }
    assertEquals(0, node.terminate(Duration.ofSeconds(20)));
    String log = Files.readString(dir.resolve("node.log"));
    assertTrue(log.contains("draining") && log.contains("stopped"), log);
    assertTrue(!log.contains("payload t-"), "the log never contains message bodies");
    assertTrue(!log.contains("netb:bob"), "the log never contains raw addresses");
  }
}
