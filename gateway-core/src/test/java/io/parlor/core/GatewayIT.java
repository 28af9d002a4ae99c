package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.adapter.webhook.Signatures;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2 end to end over loopback: two webhook networks played by WireMock, a real node with
 * its SQLite store on disk.
 */
class GatewayIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netA.start();
    netB.start();
    for (WireMockServer w : List.of(netA, netB)) {
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    }
    node = new TestNode(dir, TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), ""));
    // bob opted in: preferred account on netb, fallback on neta
    HttpResponse<String> r =
        node.admin("PUT", "/people/bob",
            "{\"accounts\":[\"neta:bob\",\"netb:bob\"],\"preferred\":\"netb:bob\",\"optIn\":true}");
    assertEquals(200, r.statusCode(), r.body());
    r = node.admin("PUT", "/people/carol", "{\"accounts\":[\"netb:carol\"],\"optIn\":false}");
    assertEquals(200, r.statusCode(), r.body());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
  }

  private List<LoggedRequest> delivered(WireMockServer w) {
    return w.findAll(postRequestedFor(urlEqualTo("/messages")));
  }

  private List<JsonNode> statuses(WireMockServer w) {
    return w.findAll(postRequestedFor(urlEqualTo("/status"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString()))
        .collect(Collectors.toList());
  }

  @Test
  void messageReachesPreferredAccountSignedFromRelayHandleAndReplyComesBack() throws Exception {
    HttpResponse<String> r = node.send("neta", TestNode.SECRET_A, TestNode.text("m-1", "neta:alice", "neta:bob", "hello bob"));
    assertEquals(202, r.statusCode(), r.body());
    assertEquals("accepted", TestNode.json(r.body()).get("status").asText());

    TestNode.await("delivery on netb", WAIT, () -> delivered(netB).size() == 1);
    LoggedRequest req = delivered(netB).get(0);
    byte[] body = req.getBody();
    assertTrue(new Signatures(TestNode.SECRET_B).verify(req.getHeader("Parlor-Signature"), body, Instant.now()),
        "delivery must carry a valid signature with netb's secret");
    JsonNode env = TestNode.json(new String(body, StandardCharsets.UTF_8));
    assertEquals("netb:bob", env.get("to").asText());
    String handle = env.get("from").asText();
    assertTrue(handle.matches("~[a-z0-9]{4,32}"), "from must be a relay handle, was " + handle);
    assertEquals("hello bob", env.get("content").get("text").asText());
    assertEquals(req.getHeader("Idempotency-Key"), env.get("id").asText());
    assertTrue(delivered(netA).isEmpty(), "nothing delivered on the non-preferred network");
    TestNode.await("delivered status", WAIT, () -> statuses(netA).size() == 1);
    assertEquals("m-1", statuses(netA).get(0).get("id").asText());
    assertEquals("delivered", statuses(netA).get(0).get("status").asText());

    // bob replies to the handle from netb; alice gets it on neta from another handle
    r = node.send("netb", TestNode.SECRET_B, TestNode.text("r-1", "netb:bob", handle, "hi alice"));
    assertEquals(202, r.statusCode(), r.body());
    TestNode.await("reply on neta", WAIT, () -> delivered(netA).size() == 1);
    JsonNode reply = TestNode.json(delivered(netA).get(0).getBodyAsString());
    assertEquals("neta:alice", reply.get("to").asText());
    assertEquals("hi alice", reply.get("content").get("text").asText());
    String back = reply.get("from").asText();
    assertTrue(back.startsWith("~") && !back.equals(handle));
    assertTrue(!reply.toString().contains("netb:bob"), "alice never sees bob's account");

    // alice answers bob's handle: reaches bob again (where he prefers)
    r = node.send("neta", TestNode.SECRET_A, TestNode.text("m-2", "neta:alice", back, "see you"));
    assertEquals(202, r.statusCode(), r.body());
    TestNode.await("second message on netb", WAIT, () -> delivered(netB).size() == 2);
    assertEquals(handle, TestNode.json(delivered(netB).get(1).getBodyAsString()).get("from").asText(),
        "the same pair keeps the same relay handle");
  }

  @Test
  void publicHandleReachesThePersonWhereTheyPrefer() throws Exception {
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"neta:bob\",\"netb:bob\"],\"preferred\":\"netb:bob\",\"optIn\":true,\"handle\":\"@bobby\"}").statusCode());
    assertEquals("@bobby", TestNode.json(node.admin("GET", "/people/bob", null).body()).get("handle").asText());
    assertError(node.admin("PUT", "/people/carol", "{\"accounts\":[\"netb:carol\"],\"handle\":\"bobby\"}"), 409, "conflict");
    assertEquals(400, node.admin("PUT", "/people/carol", "{\"accounts\":[\"netb:carol\"],\"handle\":\"Bad Handle\"}").statusCode());
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("h-1", "neta:alice", "@bobby", "via handle")).statusCode());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    assertEquals("netb:bob", TestNode.json(delivered(netB).get(0).getBodyAsString()).get("to").asText());
    assertError(node.send("neta", TestNode.SECRET_A, TestNode.text("h-2", "neta:alice", "@nobody", "x")), 422, "recipient_unreachable");
  }

  @Test
  void relayHandleOnlyWorksForItsViewer() throws Exception {
    node.send("neta", TestNode.SECRET_A, TestNode.text("m-1", "neta:alice", "neta:bob", "hello"));
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    String handle = TestNode.json(delivered(netB).get(0).getBodyAsString()).get("from").asText();
    HttpResponse<String> r = node.send("netb", TestNode.SECRET_B, TestNode.text("x-1", "netb:mallory", handle, "hi"));
    assertEquals(422, r.statusCode());
    assertEquals("recipient_unreachable", TestNode.json(r.body()).get("error").get("code").asText());
  }

  @Test
  void duplicatesAreAnsweredDuplicateAndDeliveredOnce() throws Exception {
    String msg = TestNode.text("dup-1", "neta:alice", "neta:bob", "once");
    assertEquals(202, node.send("neta", TestNode.SECRET_A, msg).statusCode());
    HttpResponse<String> again = node.send("neta", TestNode.SECRET_A, msg);
    assertEquals(200, again.statusCode());
    assertEquals("duplicate", TestNode.json(again.body()).get("status").asText());
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    assertEquals(200, node.send("neta", TestNode.SECRET_A, msg).statusCode(), "still a duplicate after delivery");
    // a retry is a duplicate whatever its route would be now: bob has opted out since
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"neta:bob\",\"netb:bob\"],\"preferred\":\"netb:bob\",\"optIn\":false}").statusCode());
    assertEquals(422, node.send("neta", TestNode.SECRET_A, TestNode.text("dup-2", "neta:alice", "neta:bob", "new")).statusCode(),
        "a new message is refused now");
    HttpResponse<String> late = node.send("neta", TestNode.SECRET_A, msg);
    assertEquals(200, late.statusCode(), late.body());
    assertEquals("duplicate", TestNode.json(late.body()).get("status").asText());
    Thread.sleep(300);
    assertEquals(1, delivered(netB).size());
  }

  @Test
  void rejectsBadInputWithContractStatuses() throws Exception {
    byte[] body = TestNode.text("b-1", "neta:alice", "neta:bob", "x").getBytes(StandardCharsets.UTF_8);
    // bad signature: none, wrong secret, stale, one flipped byte of the body
    assertError(node.sendRaw("neta", null, body), 401, "bad_signature");
    assertError(node.sendRaw("neta", new Signatures("wrong-secret-000000000").sign(body, Instant.now()), body), 401, "bad_signature");
    assertError(node.sendRaw("neta", new Signatures(TestNode.SECRET_A).sign(body, Instant.now().minusSeconds(301)), body), 401, "bad_signature");
    String sig = new Signatures(TestNode.SECRET_A).sign(body, Instant.now());
    byte[] flipped = body.clone();
    flipped[flipped.length - 3] ^= 1;
    assertError(node.sendRaw("neta", sig, flipped), 401, "bad_signature");
    // malformed: names the field
    HttpResponse<String> r = node.send("neta", TestNode.SECRET_A,
        "{\"id\":\"b-2\",\"from\":\"neta:alice\",\"to\":\"neta:bob\",\"sentAt\":\"yesterday\",\"content\":{\"type\":\"text\",\"text\":\"x\"}}");
    assertError(r, 400, "invalid_envelope");
    assertTrue(TestNode.json(r.body()).get("error").get("message").asText().startsWith("sentAt"), r.body());
    r = node.send("neta", TestNode.SECRET_A, "{\"id\":\"b-3\",\"from\":\"neta:alice\",\"to\":\"neta:bob\",\"sentAt\":\"2026-11-29T10:00:00Z\",\"content\":{\"type\":\"text\"}}");
    assertTrue(TestNode.json(r.body()).get("error").get("message").asText().startsWith("content.text"), r.body());
    assertError(node.send("neta", TestNode.SECRET_A, "{not json"), 400, "invalid_envelope");
    // invalid UTF-8 makes Jackson throw CharConversionException: still a 400, never a 500
    byte[] badUtf = new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, 0x7b};
    assertError(node.sendRaw("neta", new Signatures(TestNode.SECRET_A).sign(badUtf, Instant.now()), badUtf), 400, "invalid_envelope");
    // a network may only send from its own accounts
    r = node.send("neta", TestNode.SECRET_A, TestNode.text("b-4", "netb:alice", "neta:bob", "x"));
    assertError(r, 400, "invalid_envelope");
    assertTrue(TestNode.json(r.body()).get("error").get("message").asText().startsWith("from"));
    // oversized
    byte[] big = new byte[256 * 1024 + 1];
    java.util.Arrays.fill(big, (byte) 'a');
    assertError(node.sendRaw("neta", new Signatures(TestNode.SECRET_A).sign(big, Instant.now()), big), 413, "too_large");
    // unknown network
    assertError(node.send("nope", TestNode.SECRET_A, TestNode.text("b-5", "nope:alice", "neta:bob", "x")), 404, "unknown_network");
    // not opted in, and unknown recipient: the same answer
    HttpResponse<String> notOptedIn = node.send("neta", TestNode.SECRET_A, TestNode.text("b-6", "neta:alice", "netb:carol", "x"));
    HttpResponse<String> unknown = node.send("neta", TestNode.SECRET_A, TestNode.text("b-7", "neta:alice", "netb:nobody", "x"));
    assertError(notOptedIn, 422, "recipient_unreachable");
    assertError(unknown, 422, "recipient_unreachable");
    assertEquals(notOptedIn.body(), unknown.body(), "refusals must not tell unknown from not opted in");
    Thread.sleep(200);
    assertTrue(delivered(netB).isEmpty() && delivered(netA).isEmpty(), "nothing refused is delivered");
  }

  @Test
  void destinationDownForAWhileGetsTheMessageAfterRecovery() throws Exception {
    netB.resetAll();
    netB.stubFor(post(urlEqualTo("/messages")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(503)).willSetStateTo("503-2"));
    netB.stubFor(post(urlEqualTo("/messages")).inScenario("flaky").whenScenarioStateIs("503-2")
        .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "0")).willSetStateTo("503-3"));
    netB.stubFor(post(urlEqualTo("/messages")).inScenario("flaky").whenScenarioStateIs("503-3")
        .willReturn(aResponse().withStatus(429)).willSetStateTo("up"));
    netB.stubFor(post(urlEqualTo("/messages")).inScenario("flaky").whenScenarioStateIs("up")
        .willReturn(aResponse().withStatus(200)));
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("f-1", "neta:alice", "neta:bob", "persist")).statusCode());
    TestNode.await("delivery after recovery", WAIT, () -> delivered(netB).size() == 4);
    TestNode.await("delivered status", WAIT, () -> statuses(netA).size() == 1);
    assertEquals("delivered", statuses(netA).get(0).get("status").asText());
    List<String> keys = delivered(netB).stream().map(q -> q.getHeader("Idempotency-Key")).distinct().collect(Collectors.toList());
    assertEquals(1, keys.size(), "every retry carries the same Idempotency-Key");
    assertEquals(0, node.gateway.queueDepth());
  }

  @Test
  void permanentRejectionIsReportedAsFailed() throws Exception {
    // bob's preferred account (netb) and his fallback (neta) both refuse for good
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(404)));
    netA.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(400)));
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("p-1", "neta:alice", "neta:bob", "x")).statusCode());
    TestNode.await("failed status", WAIT, () -> statuses(netA).size() == 1);
    assertEquals("failed", statuses(netA).get(0).get("status").asText());
    assertEquals("recipient_unknown", statuses(netA).get(0).get("reason").asText(), "the first account's reason");
    assertEquals(1, delivered(netB).size(), "a permanent failure is not retried");
    assertEquals(1, delivered(netA).size(), "the next account in bob's fallback order was tried once");
  }

  @Test
  void aPermanentFailureAtOneAccountTriesTheNextInTheFallbackOrder() throws Exception {
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(410)));
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("n-1", "neta:alice", "neta:bob", "x")).statusCode());
    TestNode.await("delivered on bob's fallback account", WAIT, () -> delivered(netA).size() == 1);
    assertEquals("neta:bob", TestNode.json(delivered(netA).get(0).getBodyAsString()).get("to").asText());
    TestNode.await("delivered status", WAIT, () -> statuses(netA).size() == 1);
    assertEquals("delivered", statuses(netA).get(0).get("status").asText());
    assertEquals(1, delivered(netB).size());
  }

  @Test
  void expiredMessageIsNeverDelivered() throws Exception {
    // already expired on arrival
    String expired = TestNode.JSON.createObjectNode()
        .put("id", "e-1").put("from", "neta:alice").put("to", "neta:bob")
        .put("sentAt", Instant.now().minusSeconds(10).toString())
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("content", TestNode.JSON.createObjectNode().put("type", "text").put("text", "gone"))
        .set("timer", TestNode.JSON.createObjectNode().put("seconds", 5).put("start", "send"))
        .toString();
    assertError(node.send("neta", TestNode.SECRET_A, expired), 422, "expired");
    // expires while the destination is down: never delivered, sender told "expired"
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    String shortLived = TestNode.JSON.createObjectNode()
        .put("id", "e-2").put("from", "neta:alice").put("to", "neta:bob")
        .put("sentAt", Instant.now().toString())
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("content", TestNode.JSON.createObjectNode().put("type", "text").put("text", "soon gone"))
        .set("timer", TestNode.JSON.createObjectNode().put("seconds", 1).put("start", "send"))
        .toString();
    assertEquals(202, node.send("neta", TestNode.SECRET_A, shortLived).statusCode());
    TestNode.await("expired status", WAIT, () -> statuses(netA).size() == 1);
    assertEquals("expired", statuses(netA).get(0).get("status").asText());
    netB.resetAll();
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    Thread.sleep(500);
    assertTrue(delivered(netB).isEmpty(), "no attempt after expiry");
    assertEquals(0, node.gateway.queueDepth());
    JsonNode attempts = TestNode.json(node.admin("GET", "/status", null).body());
    assertEquals(0, attempts.get("queueDepth").asInt());
    // the store suite's second run is on PostgreSQL indeed
    assertEquals(TestNode.onPostgres() ? "postgres" : "sqlite", attempts.path("store").asText());
    assertTrue(!attempts.path("node").asText().isEmpty(), "the status names the node: " + attempts);
  }

  @Test
  void aMessageWaitingForARetryExpiresAtItsDeadlineNotAtItsNextAttempt() throws Exception {
    // the destination asks for a minute before the next attempt; the 2-second timer ends first:
    // the message's own deadline timer removes it then, not the attempt a minute later
    netB.stubFor(post(urlEqualTo("/messages"))
        .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "60")));
    String shortLived = TestNode.JSON.createObjectNode()
        .put("id", "e-3").put("from", "neta:alice").put("to", "netb:bob")
        .put("sentAt", Instant.now().toString())
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("content", TestNode.JSON.createObjectNode().put("type", "text").put("text", "soon gone"))
        .set("timer", TestNode.JSON.createObjectNode().put("seconds", 2).put("start", "send"))
        .toString();
    assertEquals(202, node.send("neta", TestNode.SECRET_A, shortLived).statusCode());
    TestNode.await("expired status", Duration.ofSeconds(6), () -> statuses(netA).size() == 1);
    assertEquals("expired", statuses(netA).get(0).get("status").asText());
    assertEquals(1, delivered(netB).size(), "one attempt, before the expiry");
    assertEquals(0, node.gateway.queueDepth());
  }

  @Test
  void fallsBackWhenPreferredNetworkIsUnhealthy() throws Exception {
    // trip netb's circuit breaker with failures, then a message to bob goes to his fallback on neta
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(500)));
    node.admin("PUT", "/people/dave", "{\"accounts\":[\"netb:dave\"],\"optIn\":true}");
    for (int i = 0; i < 12; i++) {
      node.send("neta", TestNode.SECRET_A, TestNode.text("t-" + i, "neta:user" + i, "netb:dave", "x"));
    }
    TestNode.await("breaker open", WAIT, () -> adminStatus().contains("\"circuitBreaker\":\"OPEN\""));
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("fb-1", "neta:alice", "netb:bob", "fallback")).statusCode());
    TestNode.await("delivery on fallback", WAIT,
        () -> delivered(netA).stream().anyMatch(q -> q.getBodyAsString().contains("\"to\":\"neta:bob\"")));
  }

  @Test
  void opsEndpointsAndAdminAuth() throws Exception {
    assertEquals(200, node.get("/healthz").statusCode());
    assertEquals(200, node.get("/readyz").statusCode());
    node.send("neta", TestNode.SECRET_A, TestNode.text("o-1", "neta:alice", "neta:bob", "zq-body-marker"));
    TestNode.await("delivery", WAIT, () -> delivered(netB).size() == 1);
    TestNode.await("delivery counted", WAIT, () -> metricsText().contains("parlor_deliveries_total{"));
    String metrics = metricsText();
    assertTrue(metrics.contains("parlor_messages_received_total{"), metrics);
    assertTrue(!metrics.contains("alice") && !metrics.contains("bob") && !metrics.contains("zq-body-marker"),
        "metrics carry no identifiers or bodies");
    HttpResponse<String> noAuth = node.http.send(
        java.net.http.HttpRequest.newBuilder(node.uri("/admin/v1/status")).header("authorization", "Bearer wrong").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertError(noAuth, 401, "unauthorized");
    JsonNode person = TestNode.json(node.admin("GET", "/people/bob", null).body());
    assertEquals("netb:bob", person.get("preferred").asText());
    assertEquals(404, node.admin("GET", "/people/nobody", null).statusCode());
    HttpResponse<String> conflict = node.admin("PUT", "/people/eve", "{\"accounts\":[\"netb:bob\"],\"optIn\":true}");
    assertError(conflict, 409, "conflict");
    assertEquals(400, node.admin("PUT", "/people/eve", "{\"accounts\":[\"zzz:eve\"]}").statusCode());
    assertEquals(204, node.admin("DELETE", "/people/bob", null).statusCode());
    assertEquals(404, node.admin("GET", "/people/bob", null).statusCode());
    assertError(node.send("neta", TestNode.SECRET_A, TestNode.text("o-2", "neta:alice", "neta:bob", "x")), 422, "recipient_unreachable");
  }

  private String metricsText() {
    try {
      return node.get("/metrics").body();
    } catch (java.io.IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private String adminStatus() {
    try {
      return node.admin("GET", "/status", null).body();
    } catch (java.io.IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, TestNode.json(r.body()).get("error").get("code").asText(), r.body());
    assertNotEquals(500, r.statusCode());
  }
}
