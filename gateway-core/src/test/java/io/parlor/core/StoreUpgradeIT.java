package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
    for (WireMockServer w : new WireMockServer[] {netA, netB}) {
      if (w != null) {
        w.stop();
      }
    }
  }

  @Test
  void messagesQueuedBeforeTheUpgradeAreDeliveredAfterIt() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/fixtures/store-before-v2.db")) {
      assertNotNull(in, "fixtures/store-before-v2.db is on the test class path (committed, not ignored)");
      Files.copy(in, dir.resolve("parlor.db"));
    }
    assertEquals(0, userVersion(dir.resolve("parlor.db")), "the fixture is a version 0 store");
    // the reply context a version 0 node kept for a single-identity network (WhatsApp answered
    // "wamid.X" for alice's message "v0-9" to bob), as that build wrote it
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("parlor.db"))) {
      c.createStatement().execute("INSERT INTO delivery_refs VALUES ('wa', 'wamid.X', 'person:bob', 'person:alice',"
          + " 'neta', 'v0-9', " + WRITTEN.toEpochMilli() + ")");
    }
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
    // the migrated store takes version 2 messages at once: bob replies to the message queued
    // before the upgrade (its gateway id was not time-ordered: its reference has a key of its
    // acceptance time, and the id bob's network knows as dest_id)
    String handle = stranger.get("from").asText();
    TestNode.await("the references of the four", Duration.ofSeconds(10), () -> count(
        "SELECT count(*) FROM message_refs r JOIN dedupe d ON d.source_network = r.source_network"
            + " AND d.source_id = r.source_id WHERE r.dest_id LIKE 'g-%'"
            + " AND r.gid >= 'g-' || printf('%012x', d.seen_at) AND r.gid < 'g-' || printf('%012x', d.seen_at + 1)") == 4);
    com.fasterxml.jackson.databind.node.ObjectNode answer =
        (com.fasterxml.jackson.databind.node.ObjectNode) TestNode.json(TestNode.text("r-1", "netb:bob", handle, "got it"));
    answer.put("replyTo", stranger.get("id").asText());
    byte[] reply = answer.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String signed = new io.parlor.adapter.webhook.Signatures(TestNode.SECRET_B).sign(reply, then.instant());
    assertEquals(202, node.sendRaw("netb", signed, reply).statusCode(), "the node's clock is the fixture's");
    TestNode.await("the answer at carl's", Duration.ofSeconds(10), () -> delivered(netA).size() == 4);
    assertEquals("v1-4", delivered(netA).get(3).get("replyTo").asText(), "the reply names carl's message as he sent it");
    node.close();
    node = null;
    assertTrue(userVersion(dir.resolve("parlor.db")) >= 1, "migrated");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT r.dest_network, r.dest_id, r.viewer, r.represents, r.platform, d.source_id"
                + " FROM message_refs r JOIN dedupe d ON d.source_network = r.source_network AND d.source_id = r.source_id"
                + " AND r.gid >= 'g-' || printf('%012x', d.seen_at) AND r.gid < 'g-' || printf('%012x', d.seen_at + 1)"
                + " WHERE r.dest_id = 'wamid.X'")) {
      assertTrue(rs.next(), "the reply context moved to message_refs, keyed by the time its dedupe key carries");
      assertEquals("wa", rs.getString(1));
      // sealed at the upgrade, as the whole social graph is (issue 15)
      assertTrue(rs.getString(3).startsWith("s1."), rs.getString(3));
      assertEquals("person:bob", TestNode.unsealed(dir.resolve("parlor.db"), rs.getString(3)));
      assertEquals("person:alice", TestNode.unsealed(dir.resolve("parlor.db"), rs.getString(4)));
      assertEquals(1, rs.getInt(5));
      assertEquals("v0-9", rs.getString(6));
    }
    // a second start neither migrates again nor brings back version 0's table
    node = new TestNode(dir, TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), ""), then);
    node.close();
    node = null;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM sqlite_master WHERE name = 'delivery_refs'")) {
      assertEquals(0, rs.getInt(1), "delivery_refs is gone for good");
    }
  }

  private static List<JsonNode> delivered(WireMockServer w) {
    return w.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString())).collect(Collectors.toList());
  }

  private long count(String sql) {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      return -1;
    }
  }

  private static int userVersion(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        ResultSet rs = c.createStatement().executeQuery("PRAGMA user_version")) {
      return rs.getInt(1);
    }
  }
}
