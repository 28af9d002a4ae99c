package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: messages queued by the build before envelope v2 still deliver after the upgrade. The
 * store {@code fixtures/store-before-v2.db} was written by that build (see the fixtures' README);
 * the node opens it on a clock set shortly after it was written, migrates it (schema version 0 →
 * current) and delivers all four queued messages as they were queued.
 */
class StoreUpgradeIT {
  /** When the fixture was written (its messages' deadlines count from then). */
  private static final Instant WRITTEN = Instant.parse("2026-12-03T16:16:55Z");

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
  }

  @Test
  void messagesQueuedBeforeTheUpgradeAreDeliveredAfterIt() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/fixtures/store-before-v2.db")) {
      Files.copy(in, dir.resolve("parlor.db"));
    }
    assertEquals(0, userVersion(dir.resolve("parlor.db")), "the fixture is a version 0 store");
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    }
    Clock then = Clock.offset(Clock.systemUTC(), Duration.between(Instant.now(), WRITTEN.plusSeconds(60)));
    node = new TestNode(dir, TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), ""), then);

    // alice's thread with bob carried encrypted content (v1-3): its texts never take bob's
    // plaintext-only preferred network (netb) and go to neta:bob, which speaks the scheme
    TestNode.await("alice's three messages on neta", Duration.ofSeconds(10), () -> delivered(netA).size() == 3);
    TestNode.await("the stranger's message on bob's preferred network", Duration.ofSeconds(10),
        () -> delivered(netB).size() == 1);
    Set<String> texts = delivered(netA).stream().filter(e -> e.get("content").has("text"))
        .map(e -> e.get("content").get("text").asText()).collect(Collectors.toSet());
    assertEquals(Set.of("queued before the upgrade 1", "queued before the upgrade 2"), texts);
    JsonNode stranger = delivered(netB).get(0);
    assertEquals("from a stranger", stranger.get("content").get("text").asText());
    assertEquals("netb:bob", stranger.get("to").asText());
    for (JsonNode e : delivered(netA)) {
      assertEquals("neta:bob", e.get("to").asText());
      assertTrue(e.get("from").asText().startsWith("~"));
      assertFalse(e.has("v"), "a version 1 message stays a version 1 envelope");
    }
    JsonNode enc = delivered(netA).stream().filter(e -> e.get("content").has("ciphertext")).findFirst().orElseThrow();
    assertEquals("encrypted", enc.get("content").get("type").asText());
    assertEquals("AAECAwQFBgc=", enc.get("content").get("ciphertext").asText());
    assertEquals("2026-12-26T19:50:14.336387498Z", enc.get("expiresAt").asText(), "its timer kept");
    TestNode.await("four delivered statuses", Duration.ofSeconds(10),
        () -> netA.findAll(postRequestedFor(urlEqualTo("/status"))).size() == 4);
    assertEquals(0, node.gateway.queueDepth());
    // the migrated store takes version 2 messages at once: bob can reply and react
    String handle = stranger.get("from").asText();
    byte[] reply = TestNode.text("r-1", "netb:bob", handle, "got it").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String signed = new io.parlor.adapter.webhook.Signatures(TestNode.SECRET_B).sign(reply, then.instant());
    assertEquals(202, node.sendRaw("netb", signed, reply).statusCode(), "the node's clock is the fixture's");
    node.close();
    node = null;
    assertTrue(userVersion(dir.resolve("parlor.db")) >= 1, "migrated");
  }

  private static List<JsonNode> delivered(WireMockServer w) {
    return w.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString())).collect(Collectors.toList());
  }

  private static int userVersion(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        ResultSet rs = c.createStatement().executeQuery("PRAGMA user_version")) {
      return rs.getInt(1);
    }
  }
}
