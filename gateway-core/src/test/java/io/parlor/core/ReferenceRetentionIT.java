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
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, the reference table's privacy: it holds party keys and ids only, for {@code
 * policy.metadataRetention}; after that, and after forget-me, a reference is unknown (a reply
 * arrives without {@code replyTo}, a reaction gets {@code unknown_reference}) and no row is left.
 */
class ReferenceRetentionIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;
  final TestClock clock = new TestClock();

  @BeforeEach
  void start() throws Exception {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    }
    String yaml = TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(),
            "policy:\n  metadataRetention: P7D\n  threadTtl: P30D")
        .replace("      expiry: true\n", "      expiry: true\n      content: [reaction, edit]\n")
        // bob's network reports reads; alice's does not
        .replace(netB.baseUrl() + "/status\n    capabilities:\n", netB.baseUrl() + "/status\n    capabilities:\n      events: [read]\n");
    node = new TestNode(dir, yaml, clock);
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\"],\"optIn\":true}").statusCode());
    assertEquals(200, node.admin("PUT", "/people/alice", "{\"accounts\":[\"neta:alice\"],\"optIn\":true}").statusCode());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
  }

  private static List<JsonNode> delivered(WireMockServer w) {
    return w.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString())).collect(Collectors.toList());
  }

  private HttpResponse<String> send(String net, String secret, String json) throws Exception {
    return node.send(net, secret, json, clock.instant());
  }

  private String reaction(String id, String from, String to, String target) {
    ObjectNode n = (ObjectNode) TestNode.json(TestNode.text(id, from, to, "x"));
    n.put("v", 2).put("sentAt", clock.instant().toString());
    n.set("content", TestNode.JSON.createObjectNode().put("type", "reaction").put("target", target).put("emoji", "\uD83D\uDC4D"));
    return n.toString();
  }

  private String text(String id, String from, String to, String text, String replyTo) {
    ObjectNode n = (ObjectNode) TestNode.json(TestNode.text(id, from, to, text));
    n.put("sentAt", clock.instant().toString());
    if (replyTo != null) {
      n.put("replyTo", replyTo);
    }
    return n.toString();
  }

  private long rows(String table) throws Exception {
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private String timed(String id, String from, String to, long seconds, String start) {
    ObjectNode n = (ObjectNode) TestNode.json(text(id, from, to, "timed " + id, null));
    n.putObject("timer").put("seconds", seconds).put("start", start);
    return n.toString();
  }

  private HttpResponse<String> read(String network, String secret, String from, String id) throws Exception {
    byte[] body = ("{\"type\":\"read\",\"from\":\"" + from + "\",\"ids\":[\"" + id + "\"],\"at\":\""
        + clock.instant() + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return node.http.send(
        java.net.http.HttpRequest.newBuilder(node.uri("/v1/networks/" + network + "/events"))
            .header("Parlor-Signature", new io.parlor.adapter.webhook.Signatures(secret).sign(body, clock.instant()))
            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void awaitRefs(long n) throws InterruptedException {
    TestNode.await(n + " references", WAIT, () -> {
      try {
        return rows("message_refs") == n;
      } catch (Exception e) {
        return false;
      }
    });
  }

  /**
   * A reference lives no longer than its message: a send-started timer's end; a read-started one
   * counted from the read receipt where the recipient's network sends them, else from delivery —
   * long before the retention window.
   */
  @Test
  void aReferenceLivesNoLongerThanItsMessage() throws Exception {
    // an hour from sending
    assertEquals(202, send("neta", TestNode.SECRET_A, timed("s-1", "neta:alice", "netb:bob", 3600, "send")).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    JsonNode first = delivered(netB).get(0);
    awaitRefs(1);
    clock.advance(Duration.ofMinutes(61));
    node.gateway.housekeepNow().join();
    assertEquals(0, rows("message_refs"), "gone with its message");
    HttpResponse<String> r = send("netb", TestNode.SECRET_B,
        reaction("b-1", "netb:bob", first.get("from").asText(), first.get("id").asText()));
    assertEquals("unknown_reference", TestNode.json(r.body()).path("error").path("code").asText(), r.body());

    // an hour from reading, on a network that reports reads: kept while unread, then an hour
    assertEquals(202, send("neta", TestNode.SECRET_A, timed("r-1", "neta:alice", "netb:bob", 3600, "read")).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 2);
    awaitRefs(1);
    clock.advance(Duration.ofHours(2));
    node.gateway.housekeepNow().join();
    assertEquals(1, rows("message_refs"), "not read yet");
    assertEquals(202, read("netb", TestNode.SECRET_B, "netb:bob", delivered(netB).get(1).get("id").asText()).statusCode());
    clock.advance(Duration.ofMinutes(59));
    node.gateway.housekeepNow().join();
    assertEquals(1, rows("message_refs"), "within the hour after the read");
    clock.advance(Duration.ofMinutes(2));
    node.gateway.housekeepNow().join();
    assertEquals(0, rows("message_refs"), "an hour after the read");

    // an hour from reading, on a network that reports none: counted from delivery
    assertEquals(202, send("netb", TestNode.SECRET_B, timed("r-2", "netb:bob", "neta:alice", 3600, "read")).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netA).size() == 1);
    awaitRefs(1);
    clock.advance(Duration.ofMinutes(61));
    node.gateway.housekeepNow().join();
    assertEquals(0, rows("message_refs"), "an hour after delivery");
  }

  /**
   * {@code policy.threadTtl}: a relay handle and its thread record are forgotten once neither side
   * has used them for that long — and writing to a handle is use, so a conversation only one side
   * keeps writing in keeps its handle.
   */
  @Test
  void idleRelayHandlesAndThreadsAreForgottenAfterThreadTtl() throws Exception {
    assertEquals(202, send("neta", TestNode.SECRET_A, text("m-1", "neta:alice", "netb:bob", "hi", null)).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    String handle = delivered(netB).get(0).get("from").asText(); // alice, as bob sees her
    // bob answers every 20 days; alice never again
    for (int i = 1; i <= 3; i++) {
      assertEquals(202, send("netb", TestNode.SECRET_B, text("b-" + i, "netb:bob", handle, "still there?", null)).statusCode(),
          "bob's handle for alice, after " + (i - 1) * 20 + " days");
      int n = i;
      TestNode.await("reply", WAIT, () -> delivered(netA).size() == n);
      clock.advance(Duration.ofDays(20));
      node.gateway.housekeepNow().join();
    }
    assertEquals(2, rows("relay_handles"), "both handles in use (alice's last message was 60 days ago)");
    // then nobody writes for longer than threadTtl: both handles and the thread record go
    clock.advance(Duration.ofDays(11));
    node.gateway.housekeepNow().join();
    assertEquals(0, rows("relay_handles"));
    assertEquals(0, rows("threads"));
    HttpResponse<String> r = send("netb", TestNode.SECRET_B, text("b-9", "netb:bob", handle, "hello?", null));
    assertEquals(422, r.statusCode(), r.body());
    assertEquals("recipient_unreachable", TestNode.json(r.body()).get("error").get("code").asText());
  }

  @Test
  void referencesArePurgedAfterTheRetentionWindow() throws Exception {
    assertEquals(202, send("neta", TestNode.SECRET_A, text("m-1", "neta:alice", "netb:bob", "old news", null)).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    JsonNode atBob = delivered(netB).get(0);
    TestNode.await("the reference recorded", WAIT, () -> {
      try {
        return rows("message_refs") == 1;
      } catch (Exception e) {
        return false;
      }
    });
    // within the window: a reply names alice's message
    assertEquals(202, send("netb", TestNode.SECRET_B,
        text("b-1", "netb:bob", atBob.get("from").asText(), "re", atBob.get("id").asText())).statusCode());
    TestNode.await("reply", WAIT, () -> delivered(netA).size() == 1);
    assertEquals("m-1", delivered(netA).get(0).get("replyTo").asText());
    // the reply's own leg is recorded just after its hand-over: wait for it before moving time on
    TestNode.await("the reply's reference recorded", WAIT, () -> {
      try {
        return rows("message_refs") == 2;
      } catch (Exception e) {
        return false;
      }
    });

    clock.advance(Duration.ofDays(7).plusHours(1));
    node.gateway.housekeepNow().join();
    assertEquals(0, rows("message_refs"), "references are gone after the window");
    HttpResponse<String> r = send("netb", TestNode.SECRET_B,
        reaction("b-2", "netb:bob", atBob.get("from").asText(), atBob.get("id").asText()));
    assertEquals(422, r.statusCode(), r.body());
    assertEquals("unknown_reference", TestNode.json(r.body()).get("error").get("code").asText());
    assertEquals(202, send("netb", TestNode.SECRET_B,
        text("b-3", "netb:bob", atBob.get("from").asText(), "re again", atBob.get("id").asText())).statusCode());
    TestNode.await("second reply", WAIT, () -> delivered(netA).size() == 2);
    assertFalse(delivered(netA).get(1).has("replyTo"), "an unknown reference is left out");
  }

  @Test
  void aSenderEditsTheirMessageAfterTheDedupeWindowUntilTheReferenceGoes() throws Exception {
    assertEquals(202, send("neta", TestNode.SECRET_A, text("m-1", "neta:alice", "netb:bob", "see you at 6", null)).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    String bobsId = delivered(netB).get(0).get("id").asText();
    TestNode.await("the reference recorded", WAIT, () -> {
      try {
        return rows("message_refs") == 1;
      } catch (Exception e) {
        return false;
      }
    });
    // past the dedupe window (1 day), within the retention (7 days): the dedupe key that leads
    // from alice's id to the reference stays
    clock.advance(Duration.ofDays(2));
    node.gateway.housekeepNow().join();
    assertEquals(1, rows("dedupe WHERE source_id = 'm-1'"));
    ObjectNode edit = (ObjectNode) TestNode.json(TestNode.text("m-2", "neta:alice", "netb:bob", "x"));
    edit.put("v", 2).put("sentAt", clock.instant().toString());
    edit.set("content", TestNode.JSON.createObjectNode().put("type", "edit").put("target", "m-1").put("text", "see you at 7"));
    HttpResponse<String> r = send("neta", TestNode.SECRET_A, edit.toString());
    assertEquals(202, r.statusCode(), r.body());
    TestNode.await("the edit", WAIT, () -> delivered(netB).size() == 2);
    assertEquals(bobsId, delivered(netB).get(1).get("content").get("target").asText());

    clock.advance(Duration.ofDays(7));
    node.gateway.housekeepNow().join();
    node.gateway.housekeepNow().join(); // the keys go in the round after their references
    assertEquals(0, rows("message_refs"));
    assertEquals(0, rows("dedupe"), "no dedupe key outlives its reference");
  }

  @Test
  void forgetMeDeletesTheReferencesNamingThePerson() throws Exception {
    assertEquals(202, send("neta", TestNode.SECRET_A, text("m-1", "neta:alice", "netb:bob", "hi", null)).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    JsonNode atBob = delivered(netB).get(0);
    assertEquals(202, send("netb", TestNode.SECRET_B,
        reaction("b-1", "netb:bob", atBob.get("from").asText(), atBob.get("id").asText())).statusCode());
    TestNode.await("reaction", WAIT, () -> delivered(netA).size() == 1);
    TestNode.await("both legs recorded", WAIT, () -> {
      try {
        return rows("message_refs") == 2;
      } catch (Exception e) {
        return false;
      }
    });
    assertEquals(204, node.admin("DELETE", "/people/alice", null).statusCode());
    assertEquals(0, rows("message_refs"));
    assertTrue(UserApiIT.rowsMentioning(dir.resolve("parlor.db"), List.of("person:alice", "neta:alice")).isEmpty());
  }
}
