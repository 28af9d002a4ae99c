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
import io.parlor.adapter.webhook.Signatures;
import java.net.http.HttpRequest;
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
 * Thread timers (issue 15, privacy rule 2): a new thread starts with the operator's default
 * ({@code policy.defaultThreadTimer}); either side sets theirs with a {@code timer} event and the
 * shorter wins; each change of the thread's timer is announced to both sides as a system message
 * in their conversation; every message of the thread disappears by the thread's timer (a
 * message's own timer may be shorter, never longer), and delivery honours it.
 */
class ThreadTimersIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long YEAR = 365L * 86400;

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    }
    node = new TestNode(dir, TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), "policy:\n  defaultThreadTimer: P365D"));
    assertEquals(200, node.admin("PUT", "/people/alice", "{\"accounts\":[\"neta:alice\"],\"optIn\":true}").statusCode());
    assertEquals(200, node.admin("PUT", "/people/bob", "{\"accounts\":[\"netb:bob\"],\"optIn\":true}").statusCode());
  }

  @AfterEach
  void stop() {
    node.close();
    netA.stop();
    netB.stop();
  }

  private static List<JsonNode> delivered(WireMockServer w) {
    return w.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString())).collect(Collectors.toList());
  }

  private static JsonNode last(WireMockServer w, int count) throws InterruptedException {
    TestNode.await("message #" + count, WAIT, () -> delivered(w).size() >= count);
    assertEquals(count, delivered(w).size());
    return delivered(w).get(count - 1);
  }

  private HttpResponse<String> timer(String network, String secret, String from, String to, String seconds) throws Exception {
    byte[] body = ("{\"type\":\"timer\",\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"seconds\":" + seconds + "}")
        .getBytes(StandardCharsets.UTF_8);
    return node.http.send(
        HttpRequest.newBuilder(node.uri("/v1/networks/" + network + "/events"))
            .header("Parlor-Signature", new Signatures(secret).sign(body, Instant.now()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode aliceWrites(String id, int count) throws Exception {
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text(id, "neta:alice", "netb:bob", "hi " + id)).statusCode());
    return last(netB, count);
  }

  private static long timerOf(JsonNode m) {
    return m.path("timer").path("seconds").asLong(-1);
  }

  private static void assertAnnounced(JsonNode m, String words) {
    assertTrue(m.path("system").asBoolean(), m.toString());
    assertTrue(m.path("content").path("text").asText().contains(words), m.toString());
  }

  @Test
  void eitherSideSetsTheTimerTheShorterWinsAndBothSeeEachChange() throws Exception {
    // a new thread starts with the operator's default
    JsonNode first = aliceWrites("m-1", 1);
    assertEquals(YEAR, timerOf(first));
    String alice = first.get("from").asText(); // alice as bob sees her
    assertEquals(202, node.send("netb", TestNode.SECRET_B, TestNode.text("b-1", "netb:bob", alice, "hello")).statusCode());
    JsonNode reply = last(netA, 1);
    assertEquals(YEAR, timerOf(reply), "the thread keeps the default it started with");
    String bob = reply.get("from").asText(); // bob as alice sees him

    // bob shortens it to a day: both sides are told, in their conversation
    HttpResponse<String> r = timer("netb", TestNode.SECRET_B, "netb:bob", alice, "86400");
    assertEquals(202, r.statusCode(), r.body());
    JsonNode toBob = last(netB, 2);
    JsonNode toAlice = last(netA, 2);
    assertAnnounced(toBob, "disappear 1 day after");
    assertAnnounced(toAlice, "disappear 1 day after");
    assertEquals(alice, toBob.get("from").asText(), "in bob's conversation with alice");
    assertEquals(bob, toAlice.get("from").asText(), "in alice's conversation with bob");
    assertEquals(86400, timerOf(aliceWrites("m-2", 3)));

    // alice sets a week: bob's day is shorter and stays; nothing to announce
    assertEquals(202, timer("neta", TestNode.SECRET_A, "neta:alice", bob, "604800").statusCode());
    assertEquals(86400, timerOf(aliceWrites("m-3", 4)));
    assertEquals(2, delivered(netA).size(), "no announcement when the thread's timer did not change");

    // a message's own timer may be shorter, never longer than the thread's
    ObjectNode own = (ObjectNode) TestNode.json(TestNode.text("m-4", "neta:alice", "netb:bob", "a week?"));
    own.putObject("timer").put("seconds", 604800);
    Instant before = Instant.now();
    assertEquals(202, node.send("neta", TestNode.SECRET_A, own.toString()).statusCode());
    JsonNode capped = last(netB, 5);
    assertEquals(86400, timerOf(capped), "the devices' timer is the thread's too");
    Instant expires = Instant.parse(capped.get("expiresAt").asText());
    assertFalse(expires.isAfter(Instant.now().plusSeconds(86400)), "capped by the thread's day: " + expires);
    assertFalse(expires.isBefore(before.plusSeconds(86400 - 5)), expires.toString());
    // a shorter timer of its own, counted from the read, is kept; it still goes by the thread's day
    ObjectNode onRead = (ObjectNode) TestNode.json(TestNode.text("m-4b", "neta:alice", "netb:bob", "when read"));
    onRead.putObject("timer").put("seconds", 3600).put("start", "read");
    assertEquals(202, node.send("neta", TestNode.SECRET_A, onRead.toString()).statusCode());
    JsonNode readTimed = last(netB, 6);
    assertEquals(3600, timerOf(readTimed));
    assertEquals("read", readTimed.path("timer").path("start").asText());
    assertTrue(readTimed.hasNonNull("expiresAt"), "the thread's day bounds it: " + readTimed);
    assertFalse(Instant.parse(readTimed.get("expiresAt").asText()).isAfter(Instant.now().plusSeconds(86400)));

    // bob turns his off: alice's week is the thread's now
    assertEquals(202, timer("netb", TestNode.SECRET_B, "netb:bob", alice, "null").statusCode());
    assertAnnounced(last(netB, 7), "disappear 1 week after");
    assertAnnounced(last(netA, 3), "disappear 1 week after");
    // and alice hers: the thread has none
    assertEquals(202, timer("neta", TestNode.SECRET_A, "neta:alice", bob, "null").statusCode());
    assertAnnounced(last(netB, 8), "off");
    assertAnnounced(last(netA, 4), "off");
    assertEquals(-1, timerOf(aliceWrites("m-5", 9)));
  }

  @Test
  void theOperatorsDefaultNeverLengthensAPersonsOwn() throws Exception {
    assertEquals(200, node.admin("PUT", "/people/dave",
        "{\"accounts\":[\"netb:dave\"],\"optIn\":true,\"defaultTimerSeconds\":3600}").statusCode());
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("d-1", "neta:alice", "netb:dave", "hi dave")).statusCode());
    assertEquals(3600, timerOf(last(netB, 1)), "dave's hour, not the operator's year");
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("d-2", "neta:alice", "netb:dave", "again")).statusCode());
    assertEquals(3600, timerOf(last(netB, 2)), "and for the thread's later messages");
  }

  @Test
  void theThreadsTimerIsHonouredByDeliveryAndOnlyPartiesOfAThreadSetIt() throws Exception {
    String alice = aliceWrites("m-1", 1).get("from").asText();
    // bad input names the field; no conversation, no timer
    HttpResponse<String> bad = timer("netb", TestNode.SECRET_B, "netb:bob", alice, "-5");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("seconds"), bad.body());
    assertEquals(400, timer("netb", TestNode.SECRET_B, "netb:bob", alice, "\"a day\"").statusCode());
    HttpResponse<String> stranger = timer("netb", TestNode.SECRET_B, "netb:carol", alice, "60");
    assertEquals(422, stranger.statusCode(), stranger.body());
    assertEquals(422, timer("netb", TestNode.SECRET_B, "netb:bob", "~nosuchhandle", "60").statusCode());
    // a public handle is an address, not a conversation: no timer with, or message to, a stranger
    assertEquals(200, node.admin("PUT", "/people/carol",
        "{\"accounts\":[\"neta:carol\"],\"optIn\":true,\"handle\":\"carol\"}").statusCode());
    HttpResponse<String> toStranger = timer("netb", TestNode.SECRET_B, "netb:bob", "@carol", "60");
    assertEquals(422, toStranger.statusCode(), toStranger.body());
    Thread.sleep(200);
    assertTrue(delivered(netA).isEmpty(), "carol was told nothing");

    // bob sets 2 seconds; bob's network goes down: alice's next message is never delivered after
    // 2 seconds, and alice's network is told it expired
    assertEquals(202, timer("netb", TestNode.SECRET_B, "netb:bob", alice, "2").statusCode());
    last(netB, 2);
    last(netA, 1);
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("m-2", "neta:alice", "netb:bob", "soon gone")).statusCode());
    TestNode.await("expired", WAIT, () -> netA.findAll(postRequestedFor(urlEqualTo("/status"))).stream()
        .anyMatch(s -> s.getBodyAsString().contains("\"expired\"")));
    netB.resetAll();
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    Thread.sleep(300);
    assertTrue(delivered(netB).isEmpty(), "nothing delivered after the thread's timer");
    assertEquals(0, node.gateway.queueDepth());
  }
}
