package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13.4: no readable message left in the store's files. With {@code store.encryptionKey}
 * set, a queued message's payload is sealed under its epoch's key: while messages wait (their
 * destination down), no file of the store — on PostgreSQL its database's directory and the WAL,
 * after a CHECKPOINT — holds a marker from their bodies. Once they are delivered and their epoch
 * is over, the epoch's key is deleted: whatever copy of them the database still holds can never
 * be opened. A restart with another key is refused before anything is accepted. Runs on SQLite
 * and (the store suite's second run) on PostgreSQL.
 */
class ShreddingIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String KEY = Base64.getEncoder().encodeToString(
      "shredding-it-master-key-32-bytes".getBytes(StandardCharsets.US_ASCII));

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;
  final String marker = "MARKER-" + UUID.randomUUID();

  @BeforeEach
  void start() throws Exception {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    }
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503))); // down: messages wait
    node = startNode(KEY);
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"reachableBy\":\"everyone\"}").statusCode());
  }

  private TestNode startNode(String key) throws Exception {
    Path db = dir.resolve("parlor.db");
    String yaml = TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), "")
        .replace("  path: " + db, "  path: " + db + "\n  encryptionKey: " + key + "\n  keyEpoch: PT1S");
    return new TestNode(dir, yaml);
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
  }

  private long rows(String table) throws Exception {
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The store's files that hold {@code needle}. */
  private List<String> filesHolding(String needle) throws Exception {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    List<String> hits = new ArrayList<>();
    for (Path f : TestNode.storeFiles(dir.resolve("parlor.db"))) {
      byte[] bytes = Files.readAllBytes(f);
      outer:
      for (int i = 0; i + n.length <= bytes.length; i++) {
        for (int j = 0; j < n.length; j++) {
          if (bytes[i + j] != n[j]) {
            continue outer;
          }
        }
        hits.add(f.toString());
        break;
      }
    }
    return hits;
  }

  private void sendTen() throws Exception {
    for (int i = 0; i < 10; i++) {
      assertEquals(202, node.send("neta", TestNode.SECRET_A,
          TestNode.text("s-" + i, "neta:alice", "netb:bob", marker + " message " + i)).statusCode());
    }
    TestNode.await("ten messages queued", WAIT, () -> node.gateway.queueDepth() == 10);
  }

  @Test
  void queuedMessagesAreSealedAndTheirKeyIsShreddedOnceTheyAreDelivered() throws Exception {
    sendTen();
    assertEquals(List.of(), filesHolding(marker), "a queued message's body in the store's files");
    assertEquals(10, rows("messages"));
    assertTrue(rows("epoch_keys") >= 1, "the epoch's key, wrapped");

    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    TestNode.await("ten delivered", WAIT, () -> netB.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .filter(r -> r.getBodyAsString().contains(marker) && r.getBodyAsString().contains("message"))
        .map(r -> TestNode.json(r.getBodyAsString()).path("content").path("text").asText())
        .distinct().count() == 10);
    TestNode.await("the queue empty", WAIT, () -> node.gateway.queueDepth() == 0);
    // the epoch (store.keyEpoch PT1S) is over, and on PostgreSQL the one after it too
    Thread.sleep(System.getProperty("parlor.test.store", "sqlite").equals("postgres") ? 2_100 : 1_100);
    node.gateway.housekeepNow().join();
    assertEquals(0, rows("messages"));
    assertEquals(0, rows("epoch_keys"), "the key of an epoch whose messages are all gone is deleted");
    assertEquals(List.of(), filesHolding(marker), "a delivered message's body in the store's files");
  }

  @Test
  void aRestartWithAnotherKeyIsRefusedAndTheRightKeyDeliversWhatWaited() throws Exception {
    sendTen();
    node.close();
    node = null;
    String other = Base64.getEncoder().encodeToString("another-master-key-of-32-bytes!!".getBytes(StandardCharsets.US_ASCII));
    Exception refused = assertThrows(Exception.class, () -> startNode(other));
    assertTrue(String.valueOf(refused.getMessage()).contains("store.encryptionKey does not open the store's keys"),
        refused.getMessage());
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    node = startNode(KEY);
    TestNode.await("what waited delivered", WAIT, () -> netB.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString()).path("content").path("text").asText())
        .filter(t -> t.startsWith(marker)).distinct().count() == 10);
  }
}
