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
import java.net.URI;
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
 * Issue 10 over the generic protocol, on a real node: replies, reactions, edits, deletes, media
 * by URL and locations, graded per destination (native where the network declares the kind, a
 * text fallback or dropped where not, the sender's status saying which), references translated
 * both ways, read receipts and typing. Networks (WireMock): {@code neta} and {@code netb} show
 * every v2 kind and take read and typing events; {@code netc} is a version 1 network (text only).
 * Bob has {@code netb:bob} (preferred) and {@code netc:bob}; alice writes from {@code neta}.
 */
class ConversationsIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String SECRET_C = "secret-of-network-c-0003";

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  WireMockServer netC;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netC = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB, netC)) {
      w.start();
      for (String path : List.of("/messages", "/status", "/events")) {
        w.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(200)));
      }
    }
    String yaml = String.join("\n",
        "http:", "  port: 0", "  readTimeout: PT2S",
        "store:", "  path: " + dir.resolve("parlor.db"),
        "admin:", "  token: admin-token-0123456789",
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S", "  breakerOpenFor: PT0.2S",
        "networks:",
        v2("neta", TestNode.SECRET_A, netA),
        v2("netb", TestNode.SECRET_B, netB),
        "  - id: netc", "    type: webhook", "    secret: " + SECRET_C,
        "    deliveryUrl: " + netC.baseUrl() + "/messages", "    statusUrl: " + netC.baseUrl() + "/status",
        "");
    node = new TestNode(dir, yaml);
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\",\"netc:bob\"],\"preferred\":\"netb:bob\",\"optIn\":true,\"handle\":\"bob\"}").statusCode());
    assertEquals(200, node.admin("PUT", "/people/alice", "{\"accounts\":[\"neta:alice\"],\"optIn\":true}").statusCode());
  }

  private static String v2(String id, String secret, WireMockServer w) {
    return String.join("\n",
        "  - id: " + id, "    type: webhook", "    secret: " + secret,
        "    deliveryUrl: " + w.baseUrl() + "/messages", "    statusUrl: " + w.baseUrl() + "/status",
        "    eventsUrl: " + w.baseUrl() + "/events",
        "    capabilities:", "      content: [media, reaction, edit, delete, location]", "      events: [read, typing]");
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
    netC.stop();
  }

  // --- helpers -------------------------------------------------------------------------------

  private static List<JsonNode> bodies(WireMockServer w, String path) {
    return w.findAll(postRequestedFor(urlEqualTo(path))).stream()
        .map(r -> TestNode.json(r.getBodyAsString()))
        .collect(Collectors.toList());
  }

  private static JsonNode awaitOne(WireMockServer w, String path, int n) throws InterruptedException {
    TestNode.await(path + " #" + n, WAIT, () -> bodies(w, path).size() >= n);
    return bodies(w, path).get(n - 1);
  }

  private static JsonNode statusOf(WireMockServer w, String id) throws InterruptedException {
    TestNode.await("status of " + id, WAIT,
        () -> bodies(w, "/status").stream().anyMatch(s -> s.get("id").asText().equals(id)));
    return bodies(w, "/status").stream().filter(s -> s.get("id").asText().equals(id)).reduce((a, b) -> b).orElseThrow();
  }

  private static ObjectNode envelope(String id, String from, String to, ObjectNode content) {
    ObjectNode n = TestNode.JSON.createObjectNode();
    n.put("v", 2).put("id", id).put("from", from).put("to", to).put("sentAt", Instant.now().toString());
    n.set("content", content);
    return n;
  }

  private static ObjectNode text(String text) {
    return TestNode.JSON.createObjectNode().put("type", "text").put("text", text);
  }

  private static ObjectNode reaction(String target, String emoji) {
    return TestNode.JSON.createObjectNode().put("type", "reaction").put("target", target).put("emoji", emoji);
  }

  private HttpResponse<String> send(String network, String secret, ObjectNode envelope) throws Exception {
    return node.send(network, secret, envelope.toString());
  }

  private HttpResponse<String> event(String network, String secret, String json) throws Exception {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return node.http.send(
        HttpRequest.newBuilder(node.uri("/v1/networks/" + network + "/events"))
            .header("Parlor-Signature", new Signatures(secret).sign(body, Instant.now()))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** alice → bob "hello bob" as m-1; returns bob's view of it (its id and alice's handle). */
  private JsonNode aliceWritesBob(String id, String textOfIt) throws Exception {
    int before = bodies(netB, "/messages").size();
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope(id, "neta:alice", "netb:bob", text(textOfIt))).statusCode());
    JsonNode delivered = awaitOne(netB, "/messages", before + 1);
    // the leg's reference commits with its outcome, just after the hand-over: a reply naming it
    // sent before then would find nothing to name (the status to alice commits with it)
    statusOf(netA, id);
    return delivered;
  }

  /**
   * Sends bob's read event until it is accepted: a leg's reference is recorded just after its
   * hand-over, and until then its id is unknown (422 unknown_reference).
   */
  private void bobReads(String json) throws Exception {
    long until = System.nanoTime() + WAIT.toNanos();
    HttpResponse<String> r;
    while ((r = event("netb", TestNode.SECRET_B, json)).statusCode() == 422 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertEquals(202, r.statusCode(), r.body());
  }

  private String signIn(String address) throws Exception {
    // the person's own session through the user API (code read from what the network received)
    WireMockServer w = address.startsWith("netb:") ? netB : address.startsWith("netc:") ? netC : netA;
    int before = bodies(w, "/messages").size();
    node.http.send(HttpRequest.newBuilder(node.uri("/v1/auth/start"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + address + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(\\d{6})\\b")
        .matcher(awaitOne(w, "/messages", before + 1).get("content").get("text").asText());
    assertTrue(m.find());
    String code = m.group(1);
    HttpResponse<String> r = node.http.send(HttpRequest.newBuilder(node.uri("/v1/auth/verify"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + address + "\",\"code\":\"" + code + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body()).get("token").asText();
  }

  private HttpResponse<String> preferences(String token, String json) throws Exception {
    return node.http.send(HttpRequest.newBuilder(node.uri("/v1/me/preferences"))
        .header("authorization", "Bearer " + token)
        .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  // --- tests ---------------------------------------------------------------------------------

  @Test
  void repliesAndReactionsAreTranslatedBothWaysAndCarriedNatively() throws Exception {
    JsonNode atBob = aliceWritesBob("m-1", "hello bob, how are you?");
    String bobsId = atBob.get("id").asText();
    String aliceShownToBob = atBob.get("from").asText();
    assertTrue(bobsId.startsWith("g-"), "bob's network knows the message by Parlor's id for the leg");

    // bob replies to it: alice's network gets the reply naming her own id
    ObjectNode reply = envelope("b-1", "netb:bob", aliceShownToBob, text("fine, thanks"));
    reply.put("replyTo", bobsId);
    assertEquals(202, send("netb", TestNode.SECRET_B, reply).statusCode());
    JsonNode atAlice = awaitOne(netA, "/messages", 1);
    assertEquals("m-1", atAlice.get("replyTo").asText(), "replyTo translated into the id alice's network gave it");

    // bob reacts to it natively: the target is alice's own id, the status says native
    assertEquals(202, send("netb", TestNode.SECRET_B,
        envelope("b-2", "netb:bob", aliceShownToBob, reaction(bobsId, "\uD83D\uDC4D"))).statusCode());
    JsonNode r = awaitOne(netA, "/messages", 2);
    assertEquals(2, r.get("v").asInt());
    assertEquals("reaction", r.get("content").get("type").asText());
    assertEquals("m-1", r.get("content").get("target").asText());
    assertEquals("\uD83D\uDC4D", r.get("content").get("emoji").asText());
    JsonNode st = statusOf(netB, "b-2");
    assertEquals("delivered", st.get("status").asText());
    assertEquals("native", st.get("as").asText());

    // alice reacts to bob's reply (she knows it by the id her network got): bob sees his own id
    String alicesIdOfReply = atAlice.get("id").asText();
    assertEquals(202, send("neta", TestNode.SECRET_A,
        envelope("m-2", "neta:alice", atAlice.get("from").asText(), reaction(alicesIdOfReply, "\u2764\uFE0F"))).statusCode());
    JsonNode r2 = awaitOne(netB, "/messages", 2);
    assertEquals("b-1", r2.get("content").get("target").asText());

    // a reference nobody knows in this conversation: 422 unknown_reference, nothing stored
    HttpResponse<String> unknown = send("netb", TestNode.SECRET_B,
        envelope("b-3", "netb:bob", aliceShownToBob, reaction("g-nosuchmessage", "x")));
    assertEquals(422, unknown.statusCode(), unknown.body());
    assertEquals("unknown_reference", TestNode.json(unknown.body()).get("error").get("code").asText());
    // a reply to an unknown message still goes, without replyTo
    ObjectNode stray = envelope("b-4", "netb:bob", aliceShownToBob, text("re: something old"));
    stray.put("replyTo", "g-purgedlongago");
    assertEquals(202, send("netb", TestNode.SECRET_B, stray).statusCode());
    assertFalse(awaitOne(netA, "/messages", 3).has("replyTo"));
  }

  /** A quote lives in memory no longer than the message it quotes (its timer included). */
  @Test
  void aQuoteLivesNoLongerThanItsMessage() throws Exception {
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\",\"netc:bob\"],\"preferred\":\"netc:bob\",\"optIn\":true,\"handle\":\"bob\"}").statusCode());
    // alice's network has no timers: she accepts timed messages anyway
    assertEquals(200, node.admin("PUT", "/people/alice",
        "{\"accounts\":[\"neta:alice\"],\"optIn\":true,\"allowPlaintextFallback\":true}").statusCode());
    ObjectNode timed = (ObjectNode) TestNode.json(TestNode.text("c-1", "netc:bob", "neta:alice", "The code is 4711, gone in two seconds"));
    timed.putObject("timer").put("seconds", 2);
    assertEquals(202, node.send("netc", SECRET_C, timed.toString()).statusCode());
    JsonNode atAlice = awaitOne(netA, "/messages", 1);
    Thread.sleep(2500); // the message's end
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-1", "neta:alice", atAlice.get("from").asText(),
        reaction(atAlice.get("id").asText(), "\uD83D\uDC4D"))).statusCode());
    JsonNode fb = awaitOne(netC, "/messages", 1);
    assertEquals("\uD83D\uDC4D to your message", fb.get("content").get("text").asText(),
        "the quote went with its message");
  }

  @Test
  void aVersionOneNetworkGetsTextFallbacksAndTheSenderLearnsTheGrade() throws Exception {
    // bob now prefers netc (text only)
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\",\"netc:bob\"],\"preferred\":\"netc:bob\",\"optIn\":true,\"handle\":\"bob\"}").statusCode());
    // bob writes alice from netc; alice reacts: bob gets a text quoting the start of his message
    assertEquals(202, node.send("netc", SECRET_C, TestNode.text("c-1", "netc:bob", "neta:alice",
        "Shall we meet at the station at noon tomorrow, or later?")).statusCode());
    JsonNode atAlice = awaitOne(netA, "/messages", 1);
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-1", "neta:alice", atAlice.get("from").asText(),
        reaction(atAlice.get("id").asText(), "\uD83D\uDC4D"))).statusCode());
    JsonNode fb = awaitOne(netC, "/messages", 1);
    assertFalse(fb.has("v"), "a v1 network gets a v1 envelope");
    assertEquals("text", fb.get("content").get("type").asText());
    assertEquals("\uD83D\uDC4D to \"Shall we meet at the station at noon tom\u2026\"", fb.get("content").get("text").asText());
    JsonNode st = statusOf(netA, "m-1");
    assertEquals("delivered", st.get("status").asText());
    assertEquals("fallback", st.get("as").asText());

    // media by URL: "📷 photo: <url>" after the caption
    ObjectNode media = TestNode.JSON.createObjectNode().put("type", "media").put("kind", "image")
        .put("url", "https://media.example.org/p/1.jpg").put("mimeType", "image/jpeg").put("size", 1234)
        .put("sha256", "a".repeat(64)).put("caption", "the view");
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-2", "neta:alice", "@bob", media)).statusCode());
    assertEquals("the view\n\uD83D\uDCF7 photo: https://media.example.org/p/1.jpg",
        awaitOne(netC, "/messages", 2).get("content").get("text").asText());
    // a location: a map-neutral geo: URI
    ObjectNode loc = TestNode.JSON.createObjectNode().put("type", "location")
        .put("latitude", 52.52).put("longitude", 13.405).put("name", "Alexanderplatz");
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-3", "neta:alice", "@bob", loc)).statusCode());
    assertEquals("\uD83D\uDCCD Alexanderplatz geo:52.52,13.405", awaitOne(netC, "/messages", 3).get("content").get("text").asText());
    // an edit of her own message: a text, and a delete: nothing can be done there
    ObjectNode edit = TestNode.JSON.createObjectNode().put("type", "edit").put("target", "m-2").put("text", "the view!");
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-4", "neta:alice", "@bob", edit)).statusCode());
    assertEquals("\u270F\uFE0F \"the view!\"", awaitOne(netC, "/messages", 4).get("content").get("text").asText());
    ObjectNode delete = TestNode.JSON.createObjectNode().put("type", "delete").put("target", "m-3");
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-5", "neta:alice", "@bob", delete)).statusCode());
    JsonNode del = statusOf(netA, "m-5");
    assertEquals("failed", del.get("status").asText());
    assertEquals("delete_unsupported", del.get("reason").asText());
    assertEquals(4, bodies(netC, "/messages").size(), "nothing sent for the delete");

    // bob turns reaction fallbacks off: a reaction is dropped, and the sender is told
    String token = signIn("netc:bob");
    assertEquals(200, preferences(token, "{\"reactionFallback\":false}").statusCode());
    int sent = bodies(netC, "/messages").size();
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-6", "neta:alice", atAlice.get("from").asText(),
        reaction(atAlice.get("id").asText(), "\uD83D\uDE02"))).statusCode());
    JsonNode dropped = statusOf(netA, "m-6");
    assertEquals("failed", dropped.get("status").asText());
    assertEquals("unsupported", dropped.get("reason").asText());
    assertEquals(sent, bodies(netC, "/messages").size());

    // the quoted text was kept in memory only: neither it nor the message is in the node's files
    TestNode.await("the queue drained", WAIT, () -> node.gateway.queueDepth() == 0);
    Thread.sleep(1500); // deletions are checkpointed out of the WAL within about a second
    node.close();
    node = null;
    byte[] quoted = "Shall we meet at the station".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (var files = java.nio.file.Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("parlor.db")).toList()) {
        assertEquals(-1, indexOf(java.nio.file.Files.readAllBytes(f), quoted), "quoted text found in " + f.getFileName());
      }
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void editsAndDeletesOnlyByTheSenderAndForwardedNatively() throws Exception {
    JsonNode atBob = aliceWritesBob("m-1", "the meeting is at 10");
    String bobsId = atBob.get("id").asText();
    ObjectNode edit = TestNode.JSON.createObjectNode().put("type", "edit").put("target", "m-1").put("text", "the meeting is at 11");
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-2", "neta:alice", "netb:bob", edit)).statusCode());
    JsonNode e = awaitOne(netB, "/messages", 2);
    assertEquals("edit", e.get("content").get("type").asText());
    assertEquals(bobsId, e.get("content").get("target").asText(), "the edit names the message as bob's network knows it");
    assertEquals("native", statusOf(netA, "m-2").get("as").asText());

    // bob may not edit or delete alice's message
    ObjectNode bobEdits = TestNode.JSON.createObjectNode().put("type", "edit").put("target", bobsId).put("text", "hacked");
    HttpResponse<String> refused = send("netb", TestNode.SECRET_B, envelope("b-1", "netb:bob", atBob.get("from").asText(), bobEdits));
    assertEquals(403, refused.statusCode(), refused.body());
    assertEquals("not_sender", TestNode.json(refused.body()).get("error").get("code").asText());
    ObjectNode bobDeletes = TestNode.JSON.createObjectNode().put("type", "delete").put("target", bobsId);
    assertEquals(403, send("netb", TestNode.SECRET_B, envelope("b-2", "netb:bob", atBob.get("from").asText(), bobDeletes)).statusCode());

    ObjectNode delete = TestNode.JSON.createObjectNode().put("type", "delete").put("target", "m-1");
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("m-3", "neta:alice", "netb:bob", delete)).statusCode());
    JsonNode d = awaitOne(netB, "/messages", 3);
    assertEquals("delete", d.get("content").get("type").asText());
    assertEquals(bobsId, d.get("content").get("target").asText());
    assertEquals("delivered", statusOf(netA, "m-3").get("status").asText());
  }

  @Test
  void aQueuedMessageDeletedByItsSenderIsNeverDelivered() throws Exception {
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    netC.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("q-1", "neta:alice", "netb:bob",
        text("zz-deleted-before-delivery"))).statusCode());
    TestNode.await("a first failed attempt", WAIT, () -> bodies(netB, "/messages").size() >= 1);
    ObjectNode delete = TestNode.JSON.createObjectNode().put("type", "delete").put("target", "q-1");
    assertEquals(202, send("neta", TestNode.SECRET_A, envelope("q-2", "neta:alice", "netb:bob", delete)).statusCode());
    JsonNode gone = statusOf(netA, "q-1");
    assertEquals("failed", gone.get("status").asText());
    assertEquals("deleted", gone.get("reason").asText());
    assertEquals("delivered", statusOf(netA, "q-2").get("status").asText(), "nothing left to delete anywhere");
    // the network comes back: nothing of q-1 arrives, and nothing for the delete either
    int attempts = bodies(netB, "/messages").size() + bodies(netC, "/messages").size();
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    netC.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    JsonNode next = aliceWritesBob("q-3", "after the outage");
    assertEquals("after the outage", next.get("content").get("text").asText());
    Thread.sleep(300);
    long copies = netB.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .skip(attempts).filter(r -> r.getBodyAsString().contains("zz-deleted-before-delivery")).count();
    assertEquals(0, copies, "a message deleted while queued is never delivered");
    assertEquals(0, node.gateway.queueDepth());
  }

  @Test
  void readReceiptsReachTheSenderOnlyWhenTheReaderAllowsThem() throws Exception {
    JsonNode atBob = aliceWritesBob("m-1", "did you read this?");
    String bobsId = atBob.get("id").asText();
    bobReads("{\"type\":\"read\",\"from\":\"netb:bob\",\"to\":\"" + atBob.get("from").asText() + "\",\"ids\":[\"" + bobsId + "\"]}");
    TestNode.await("read status", WAIT, () -> bodies(netA, "/status").stream().anyMatch(s -> s.get("status").asText().equals("read")));
    JsonNode read = bodies(netA, "/status").stream().filter(s -> s.get("status").asText().equals("read")).findFirst().orElseThrow();
    assertEquals("m-1", read.get("id").asText(), "the read status names alice's own id");
    // the same read again: reported once
    assertEquals(202, event("netb", TestNode.SECRET_B, "{\"type\":\"read\",\"from\":\"netb:bob\",\"ids\":[\"" + bobsId + "\"]}").statusCode());
    // ids nobody knows
    HttpResponse<String> unknown = event("netb", TestNode.SECRET_B, "{\"type\":\"read\",\"from\":\"netb:bob\",\"ids\":[\"g-nope\"]}");
    assertEquals(422, unknown.statusCode());
    assertEquals("unknown_reference", TestNode.json(unknown.body()).get("error").get("code").asText());
    // someone else cannot report bob's reads
    assertEquals(422, event("netb", TestNode.SECRET_B, "{\"type\":\"read\",\"from\":\"netb:eve\",\"ids\":[\"" + bobsId + "\"]}").statusCode());
    // bob turns read receipts off: alice learns nothing more
    String token = signIn("netb:bob");
    assertEquals(200, preferences(token, "{\"sendReadReceipts\":false}").statusCode());
    JsonNode second = aliceWritesBob("m-2", "and this one?");
    // the leg's reference is recorded just after the hand-over: until then the id is unknown (422)
    bobReads("{\"type\":\"read\",\"from\":\"netb:bob\",\"ids\":[\"" + second.get("id").asText() + "\"]}");
    Thread.sleep(300);
    assertEquals(1, bodies(netA, "/status").stream().filter(s -> s.get("status").asText().equals("read")).count());
    // bad events name the field
    HttpResponse<String> bad = event("netb", TestNode.SECRET_B, "{\"type\":\"read\",\"from\":\"netb:bob\",\"ids\":[]}");
    assertEquals(400, bad.statusCode());
    assertTrue(TestNode.json(bad.body()).get("error").get("message").asText().startsWith("ids:"), bad.body());
  }

  @Test
  void typingIsForwardedWithinAConversationAndNeverStored() throws Exception {
    JsonNode atBob = aliceWritesBob("m-1", "hi");
    String aliceShownToBob = atBob.get("from").asText();
    // bob has not written to alice yet: he has no handle in front of her, so there is nothing to show
    assertEquals(202, event("netb", TestNode.SECRET_B,
        "{\"type\":\"typing\",\"from\":\"netb:bob\",\"to\":\"" + aliceShownToBob + "\",\"state\":\"on\"}").statusCode());
    assertEquals(202, send("netb", TestNode.SECRET_B, envelope("b-1", "netb:bob", aliceShownToBob, text("hello alice"))).statusCode());
    JsonNode atAlice = awaitOne(netA, "/messages", 1);
    assertEquals(202, event("netb", TestNode.SECRET_B,
        "{\"type\":\"typing\",\"from\":\"netb:bob\",\"to\":\"" + aliceShownToBob + "\",\"state\":\"on\"}").statusCode());
    JsonNode typing = awaitOne(netA, "/events", 1);
    assertEquals("typing", typing.get("type").asText());
    assertEquals("neta:alice", typing.get("to").asText());
    assertEquals(atAlice.get("from").asText(), typing.get("from").asText(), "shown as bob appears to alice");
    assertEquals("on", typing.get("state").asText());
    assertTrue(new Signatures(TestNode.SECRET_A).verify(
        netA.findAll(postRequestedFor(urlEqualTo("/events"))).get(0).getHeader("Parlor-Signature"),
        netA.findAll(postRequestedFor(urlEqualTo("/events"))).get(0).getBody(), Instant.now()));
    // a stranger's relay or an unknown handle: no conversation
    HttpResponse<String> stranger = event("netb", TestNode.SECRET_B,
        "{\"type\":\"typing\",\"from\":\"netb:eve\",\"to\":\"" + aliceShownToBob + "\",\"state\":\"on\"}");
    assertEquals(422, stranger.statusCode());
    // a public handle is an address, not a conversation: typing to someone one never wrote to is refused
    HttpResponse<String> toHandle = event("netb", TestNode.SECRET_B,
        "{\"type\":\"typing\",\"from\":\"netb:eve\",\"to\":\"@bob\",\"state\":\"on\"}");
    assertEquals(422, toHandle.statusCode(), toHandle.body());
    assertEquals(0, node.gateway.queueDepth());
  }

  @Test
  void aPersonChoosesToAppearAsTheirHandleWithADisplayName() throws Exception {
    String token = signIn("netb:bob");
    HttpResponse<String> r = preferences(token, "{\"showAs\":\"handle\",\"displayName\":\"Bob B.\"}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("handle", TestNode.json(r.body()).get("showAs").asText());
    assertEquals(202, node.send("netb", TestNode.SECRET_B, TestNode.text("b-1", "netb:bob", "neta:alice", "it's me")).statusCode());
    JsonNode atAlice = awaitOne(netA, "/messages", 1);
    assertEquals("@bob", atAlice.get("from").asText());
    assertEquals("Bob B.", atAlice.get("fromName").asText());
    assertEquals(2, atAlice.get("v").asInt(), "fromName is version 2");
    // alice answers the handle: it reaches bob
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("m-1", "neta:alice", "@bob", "hi bob")).statusCode());
    awaitOne(netB, "/messages", 2);
    // bad values are named
    HttpResponse<String> bad = preferences(token, "{\"showAs\":\"account\"}");
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body().contains("showAs"), bad.body());
    assertEquals(400, preferences(token, "{\"displayName\":\"" + "x".repeat(65) + "\"}").statusCode());
    // back to a relay handle, without a name
    assertEquals(200, preferences(token, "{\"showAs\":\"relay\",\"displayName\":\"\"}").statusCode());
    assertEquals(202, node.send("netb", TestNode.SECRET_B, TestNode.text("b-2", "netb:bob", "neta:alice", "anonymous again")).statusCode());
    JsonNode again = awaitOne(netA, "/messages", 2);
    assertTrue(again.get("from").asText().startsWith("~"));
    assertFalse(again.has("fromName"));
  }

  @Test
  void badVersionTwoEnvelopesNameTheField() throws Exception {
    ObjectNode media = TestNode.JSON.createObjectNode().put("type", "media").put("kind", "image")
        .put("url", "ftp://example.org/x.jpg").put("mimeType", "image/jpeg").put("size", 1).put("sha256", "a".repeat(64));
    HttpResponse<String> r = send("neta", TestNode.SECRET_A, envelope("x-1", "neta:alice", "@bob", media));
    assertEquals(400, r.statusCode());
    assertTrue(TestNode.json(r.body()).get("error").get("message").asText().startsWith("content.url:"), r.body());
    ObjectNode loc = TestNode.JSON.createObjectNode().put("type", "location").put("latitude", 91).put("longitude", 0);
    r = send("neta", TestNode.SECRET_A, envelope("x-2", "neta:alice", "@bob", loc));
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("content.latitude"), r.body());
    ObjectNode v1 = envelope("x-3", "neta:alice", "@bob", reaction("m-1", "x"));
    v1.put("v", 1);
    r = send("neta", TestNode.SECRET_A, v1);
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("\"v: must be 2"), r.body());
  }

  static URI uri(String s) {
    return URI.create(s);
  }
}
