package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 (small groups), through a real node and three webhook networks (WireMock): alice on
 * {@code neta}, bob on {@code netb}, carol on {@code netc}; dave (on {@code netc}) accepts messages
 * only from people he wrote to. Invitations, consent, fan-out with one status and member counts,
 * each member's own group address, leaving, the size limit, non-members, forget-me.
 */
class GroupsIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String SECRET_C = "secret-of-network-c-0003";

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  WireMockServer netC;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    netA = wire();
    netB = wire();
    netC = wire();
    String yaml = String.join("\n",
        "http:", "  port: 0", "  readTimeout: PT2S",
        "store:", "  path: " + dir.resolve("parlor.db"),
        "admin:", "  token: admin-token-0123456789",
        "policy:", "  maxGroupSize: 4", "  maxNewRecipientsPerHour: 3",
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S", "  breakerOpenFor: PT0.2S",
        "networks:",
        net("neta", TestNode.SECRET_A, netA),
        net("netb", TestNode.SECRET_B, netB),
        net("netc", SECRET_C, netC),
        "");
    node = new TestNode(dir, yaml);
    person("alice", "neta:alice", "\"handle\":\"alice\"");
    person("bob", "netb:bob", "\"handle\":\"bob\"");
    person("carol", "netc:carol", "\"reachableBy\":\"everyone\"");
    person("dave", "netc:dave", "\"reachableBy\":\"contacted\"");
    person("erin", "netb:erin", "\"reachableBy\":\"everyone\"");
    person("fay", "netb:fay", "\"reachableBy\":\"everyone\"");
  }

  private static WireMockServer wire() {
    WireMockServer w = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    w.start();
    w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    w.stubFor(post(urlEqualTo("/events")).willReturn(aResponse().withStatus(200)));
    return w;
  }

  private static String net(String id, String secret, WireMockServer w) {
    return String.join("\n",
        "  - id: " + id, "    type: webhook", "    secret: " + secret,
        "    deliveryUrl: " + w.baseUrl() + "/messages", "    statusUrl: " + w.baseUrl() + "/status",
        "    eventsUrl: " + w.baseUrl() + "/events",
        "    capabilities:", "      expiry: true", "      events: [read, typing]", "      content: [reaction, edit, delete]");
  }

  private void person(String id, String account, String extra) throws Exception {
    HttpResponse<String> r = node.admin("PUT", "/people/" + id,
        "{\"accounts\":[\"" + account + "\"],\"optIn\":true," + extra + "}");
    assertEquals(200, r.statusCode(), r.body());
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

  /** Messages {@code account} got (the networks deliver to their own accounts' URLs alike). */
  private static List<JsonNode> to(WireMockServer w, String account) {
    return bodies(w, "/messages").stream()
        .filter(b -> b.path("to").asText().equals(account) || b.path("recipient").asText().equals(account))
        .collect(Collectors.toList());
  }

  private static List<JsonNode> groupMessages(WireMockServer w) {
    return bodies(w, "/messages").stream().filter(b -> b.has("group")).collect(Collectors.toList());
  }

  private static JsonNode awaitGroupMessage(WireMockServer w, java.util.function.Predicate<JsonNode> p)
      throws InterruptedException {
    TestNode.await("a group message", WAIT, () -> groupMessages(w).stream().anyMatch(p));
    return groupMessages(w).stream().filter(p).findFirst().orElseThrow();
  }

  private static boolean says(JsonNode b, String text) {
    return b.path("content").path("text").asText().contains(text);
  }

  private WireMockServer wireOf(String address) {
    return address.startsWith("netb:") ? netB : address.startsWith("netc:") ? netC : netA;
  }

  private String signIn(String address) throws Exception {
    WireMockServer w = wireOf(address);
    int before = bodies(w, "/messages").size();
    node.http.send(HttpRequest.newBuilder(node.uri("/v1/auth/start"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + address + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    java.util.regex.Pattern code = java.util.regex.Pattern.compile("\\b(\\d{6})\\b");
    java.util.function.Supplier<java.util.Optional<java.util.regex.Matcher>> found = () -> {
      List<JsonNode> all = bodies(w, "/messages");
      return all.subList(Math.min(before, all.size()), all.size()).stream()
          .filter(b -> b.path("to").asText().equals(address) && !b.has("group"))
          .map(b -> code.matcher(b.path("content").path("text").asText()))
          .filter(java.util.regex.Matcher::find)
          .findFirst();
    };
    TestNode.await("the code", WAIT, () -> found.get().isPresent());
    java.util.regex.Matcher m = found.get().orElseThrow();
    HttpResponse<String> r = node.http.send(HttpRequest.newBuilder(node.uri("/v1/auth/verify"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + address + "\",\"code\":\"" + m.group(1) + "\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body()).get("token").asText();
  }

  private HttpResponse<String> api(String token, String method, String path, String json) throws Exception {
    return node.http.send(HttpRequest.newBuilder(node.uri(path))
        .header("authorization", "Bearer " + token)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode show(String token, String id) throws Exception {
    HttpResponse<String> r = api(token, "GET", "/v1/me/groups/" + id, null);
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body());
  }

  private static JsonNode statusOf(WireMockServer w, String id) throws InterruptedException {
    TestNode.await("status of " + id, WAIT,
        () -> bodies(w, "/status").stream().anyMatch(s -> s.get("id").asText().equals(id)));
    return bodies(w, "/status").stream().filter(s -> s.get("id").asText().equals(id)).reduce((a, b) -> b).orElseThrow();
  }

  /** alice creates "Climbing", inviting bob and carol; both join. Returns the group's id. */
  private String climbingGroup(String alice, String bob, String carol) throws Exception {
    HttpResponse<String> created = api(alice, "POST", "/v1/me/groups",
        "{\"name\":\"Climbing\",\"invite\":[\"@bob\",\"netc:carol\"]}");
    assertEquals(201, created.statusCode(), created.body());
    String id = TestNode.json(created.body()).get("id").asText();
    assertEquals(200, api(bob, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    assertEquals(200, api(carol, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    return id;
  }

  // --- tests ---------------------------------------------------------------------------------

  @Test
  void invitedPeopleJoinAndAMessageReachesEveryOtherMemberWithOneStatus() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    HttpResponse<String> created = api(alice, "POST", "/v1/me/groups",
        "{\"name\":\"Climbing\",\"invite\":[\"@bob\",\"netc:carol\"],\"timerSeconds\":2592000}");
    assertEquals(201, created.statusCode(), created.body());
    String id = TestNode.json(created.body()).get("id").asText();

    // the invitation reaches bob through his network, from @parlor; nobody is a member yet
    TestNode.await("bob's invitation", WAIT, () -> bodies(netB, "/messages").stream()
        .anyMatch(b -> b.path("from").asText().equals("@parlor") && says(b, "Climbing")));
    JsonNode invitation = bodies(netB, "/messages").stream().filter(b -> says(b, "Climbing")).findFirst().orElseThrow();
    assertTrue(says(invitation, "@alice"), "the inviter as bob may see them: " + invitation);
    JsonNode listed = TestNode.json(api(bob, "GET", "/v1/me/groups", null).body());
    assertEquals("invited", listed.get("groups").get(0).get("state").asText());
    assertEquals(1, show(alice, id).get("members").size(), "only alice until someone joins");
    // an invitation is nobody's business: removing an invitee answers like removing nobody
    HttpResponse<String> invitee = api(alice, "DELETE", "/v1/me/groups/" + id + "/members/%40bob", null);
    assertEquals(404, invitee.statusCode(), invitee.body());
    assertEquals(invitee.body(), api(alice, "DELETE", "/v1/me/groups/" + id + "/members/%40nobody", null).body());

    assertEquals(200, api(bob, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    assertEquals(200, api(carol, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    JsonNode asAlice = show(alice, id);
    assertEquals("admin", asAlice.get("role").asText());
    assertEquals(3, asAlice.get("members").size());
    assertEquals(2592000, asAlice.get("timerSeconds").asLong());
    String aliceAddress = asAlice.get("address").asText();
    String bobAddress = show(bob, id).get("address").asText();
    String carolAddress = show(carol, id).get("address").asText();
    assertTrue(aliceAddress.startsWith("~"));
    assertEquals(3, java.util.Set.of(aliceAddress, bobAddress, carolAddress).size(), "one address per member");
    // bob joining was announced to alice as a system message
    JsonNode joined = awaitGroupMessage(netA, b -> b.path("system").asBoolean() && says(b, "@bob joined"));
    assertEquals("@parlor", joined.get("from").asText());
    assertEquals(aliceAddress, joined.get("group").get("id").asText());

    // alice writes to her group address: bob and carol get it, each at their own address
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("g-1", "neta:alice", aliceAddress, "Saturday at the crag?")).statusCode());
    JsonNode atBob = awaitGroupMessage(netB, b -> says(b, "Saturday at the crag?"));
    JsonNode atCarol = awaitGroupMessage(netC, b -> says(b, "Saturday at the crag?"));
    assertEquals(bobAddress, atBob.get("group").get("id").asText());
    assertEquals("Climbing", atBob.get("group").get("name").asText());
    assertEquals(carolAddress, atCarol.get("group").get("id").asText());
    assertEquals("@alice", atBob.get("from").asText(), "a public handle where the sender has one");
    assertEquals(2592000, atBob.get("timer").get("seconds").asLong(), "the group's default timer");
    assertNotEquals(atBob.get("id").asText(), atCarol.get("id").asText(), "one leg, one id per member");
    // one status for the message, with member counts
    JsonNode status = statusOf(netA, "g-1");
    assertEquals("delivered", status.get("status").asText());
    assertEquals(2, status.get("members").get("delivered").asInt());
    assertEquals(0, status.get("members").get("failed").asInt());
    assertEquals(0, status.get("members").get("pending").asInt());

    // carol (no public handle) answers; alice sees her as a relay handle of their own pair
    assertEquals(202, node.send("netc", SECRET_C,
        TestNode.text("c-1", "netc:carol", carolAddress, "I'm in")).statusCode());
    JsonNode carolAtAlice = awaitGroupMessage(netA, b -> says(b, "I'm in"));
    JsonNode carolAtBob = awaitGroupMessage(netB, b -> says(b, "I'm in"));
    assertTrue(carolAtAlice.get("from").asText().startsWith("~"));
    assertNotEquals(carolAtAlice.get("from").asText(), carolAtBob.get("from").asText(), "per viewer");
    assertFalse(carolAtAlice.toString().contains("netc:carol"), "never her account");
    assertEquals(aliceAddress, carolAtAlice.get("group").get("id").asText());
  }

  private HttpResponse<String> readEvent(String network, String secret, String from, String to, String id)
      throws Exception {
    byte[] body = ("{\"type\":\"read\",\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"ids\":[\"" + id + "\"]}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return node.http.send(HttpRequest.newBuilder(node.uri("/v1/networks/" + network + "/events"))
        .header("Parlor-Signature", new io.parlor.adapter.webhook.Signatures(secret).sign(body, java.time.Instant.now()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> typingEvent(String network, String secret, String from, String to) throws Exception {
    byte[] body = ("{\"type\":\"typing\",\"from\":\"" + from + "\",\"to\":\"" + to + "\",\"state\":\"on\"}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return node.http.send(HttpRequest.newBuilder(node.uri("/v1/networks/" + network + "/events"))
        .header("Parlor-Signature", new io.parlor.adapter.webhook.Signatures(secret).sign(body, java.time.Instant.now()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<JsonNode> typings(WireMockServer w) {
    return bodies(w, "/events").stream().filter(b -> b.path("type").asText().equals("typing")).collect(Collectors.toList());
  }

  @Test
  void typingInAGroupReachesTheOtherMembersAtTheirOwnAddress() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    String id = climbingGroup(alice, bob, carol);
    String carolAddress = show(carol, id).get("address").asText();
    String bobAddress = show(bob, id).get("address").asText();
    String aliceAddress = show(alice, id).get("address").asText();
    // carol's first message shows her to the others; then she types
    assertEquals(202, node.send("netc", SECRET_C, TestNode.text("c-1", "netc:carol", carolAddress, "carol here")).statusCode());
    JsonNode carolAtBob = awaitGroupMessage(netB, b -> says(b, "carol here"));
    awaitGroupMessage(netA, b -> says(b, "carol here"));
    assertEquals(202, typingEvent("netc", SECRET_C, "netc:carol", carolAddress).statusCode());
    TestNode.await("typing at bob and alice", WAIT, () -> typings(netB).size() == 1 && typings(netA).size() == 1);
    JsonNode atBob = typings(netB).get(0);
    assertEquals("netb:bob", atBob.get("to").asText());
    assertEquals(bobAddress, atBob.get("group").get("id").asText());
    assertEquals(carolAtBob.get("from").asText(), atBob.get("from").asText(), "carol as bob sees her in the group");
    assertEquals(aliceAddress, typings(netA).get(0).get("group").get("id").asText());
    assertTrue(typings(netC).isEmpty(), "not back to the typist");
    // someone else using carol's address, or a member after leaving, is told there is no conversation
    assertEquals(422, typingEvent("netc", SECRET_C, "netc:dave", carolAddress).statusCode());
    assertEquals(204, api(carol, "POST", "/v1/me/groups/" + id + "/leave", null).statusCode());
    assertEquals(422, typingEvent("netc", SECRET_C, "netc:carol", carolAddress).statusCode());
    Thread.sleep(200);
    assertEquals(1, typings(netB).size());
  }

  @Test
  void aMemberReactsAndRepliesToAnotherMembersMessageAndEachMemberSeesItOnTheirOwnCopy() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String id = climbingGroup(alice, bob, signIn("netc:carol"));
    String aliceAddress = show(alice, id).get("address").asText();
    String bobAddress = show(bob, id).get("address").asText();
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("a-1", "neta:alice", aliceAddress, "Saturday at the crag?")).statusCode());
    String atBob = awaitGroupMessage(netB, b -> says(b, "Saturday at the crag?")).get("id").asText();
    String atCarol = awaitGroupMessage(netC, b -> says(b, "Saturday at the crag?")).get("id").asText();

    // bob reacts to alice's message by the id his network was given (retried until its reference is recorded)
    String reaction = "{\"v\":2,\"id\":\"b-1\",\"from\":\"netb:bob\",\"to\":\"" + bobAddress + "\",\"sentAt\":\""
        + java.time.Instant.now() + "\",\"content\":{\"type\":\"reaction\",\"target\":\"" + atBob + "\",\"emoji\":\"\uD83D\uDC4D\"}}";
    long until = System.nanoTime() + WAIT.toNanos();
    HttpResponse<String> r;
    while ((r = node.send("netb", TestNode.SECRET_B, reaction)).statusCode() == 422 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertEquals(202, r.statusCode(), r.body());
    java.util.function.Predicate<JsonNode> isReaction = b -> b.path("content").path("type").asText().equals("reaction");
    JsonNode atAlice = awaitGroupMessage(netA, isReaction);
    assertEquals("a-1", atAlice.get("content").get("target").asText(), "alice's own message, by her own id");
    JsonNode carolSees = awaitGroupMessage(netC, isReaction);
    assertEquals(atCarol, carolSees.get("content").get("target").asText(), "carol's copy of alice's message");

    // erin joins after alice's message: the reaction reaches her without its text
    assertEquals(202, api(bob, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"netb:erin\"]}").statusCode());
    assertEquals(200, api(signIn("netb:erin"), "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    String reaction2 = reaction.replace("\"b-1\"", "\"b-1b\"").replace("\uD83D\uDC4D", "\uD83D\uDE00");
    assertEquals(202, node.send("netb", TestNode.SECRET_B, reaction2).statusCode());
    JsonNode atErin = awaitGroupMessage(netB, b -> b.path("to").asText().equals("netb:erin")
        && b.path("content").path("text").asText().startsWith("\uD83D\uDE00"));
    assertEquals("\uD83D\uDE00 to a message", atErin.get("content").get("text").asText(),
        "never the text of a message she did not get");

    // and answers it: the reply points at each member's own copy
    assertEquals(202, node.send("netb", TestNode.SECRET_B, "{\"v\":2,\"id\":\"b-2\",\"from\":\"netb:bob\",\"to\":\""
        + bobAddress + "\",\"sentAt\":\"" + java.time.Instant.now() + "\",\"replyTo\":\"" + atBob
        + "\",\"content\":{\"type\":\"text\",\"text\":\"yes, at 9\"}}").statusCode());
    assertEquals("a-1", awaitGroupMessage(netA, b -> says(b, "yes, at 9")).path("replyTo").asText());
    assertEquals(atCarol, awaitGroupMessage(netC, b -> says(b, "yes, at 9")).path("replyTo").asText());
    // nobody but the author may edit it
    String edit = "{\"v\":2,\"id\":\"b-3\",\"from\":\"netb:bob\",\"to\":\"" + bobAddress + "\",\"sentAt\":\""
        + java.time.Instant.now() + "\",\"content\":{\"type\":\"edit\",\"target\":\"" + atBob + "\",\"text\":\"Sunday\"}}";
    HttpResponse<String> refused = node.send("netb", TestNode.SECRET_B, edit);
    assertEquals(403, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("not_sender"), refused.body());
  }

  @Test
  void deletingAQueuedGroupMessageTakesBackEveryMembersLeg() throws Exception {
    String alice = signIn("neta:alice");
    String id = climbingGroup(alice, signIn("netb:bob"), signIn("netc:carol"));
    String aliceAddress = show(alice, id).get("address").asText();
    // the join announcements are out first (legs of one member keep their order)
    TestNode.await("an empty queue", WAIT, () -> {
      try {
        return count("SELECT COUNT(*) FROM messages") == 0;
      } catch (Exception e) {
        return false;
      }
    });
    // bob's and carol's networks are down: both legs wait in the queue
    for (WireMockServer w : List.of(netB, netC)) {
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    }
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("g-9", "neta:alice", aliceAddress, "sent to the wrong group")).statusCode());
    java.util.function.Function<WireMockServer, Long> attempts = w -> bodies(w, "/messages").stream()
        .filter(b -> says(b, "sent to the wrong group")).count();
    TestNode.await("both legs tried", WAIT, () -> attempts.apply(netB) > 0 && attempts.apply(netC) > 0);
    String delete = "{\"v\":2,\"id\":\"g-10\",\"from\":\"neta:alice\",\"to\":\"" + aliceAddress
        + "\",\"sentAt\":\"" + java.time.Instant.now() + "\",\"content\":{\"type\":\"delete\",\"target\":\"g-9\"}}";
    HttpResponse<String> deleted = node.send("neta", TestNode.SECRET_A, delete);
    assertEquals(202, deleted.statusCode(), deleted.body());
    // an attempt already under way when the delete was accepted cannot be called back: let it land
    // (a leg not taken back keeps being retried, and is delivered after the switch below)
    Thread.sleep(300);
    long bobTries = attempts.apply(netB);
    long carolTries = attempts.apply(netC);
    for (WireMockServer w : List.of(netB, netC)) {
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    }
    // a later message to the group: each member's legs keep their order, so once it arrived, any
    // leg of the deleted message still queued would have arrived before it
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("g-11", "neta:alice", aliceAddress, "this one is right")).statusCode());
    awaitGroupMessage(netB, b -> says(b, "this one is right"));
    awaitGroupMessage(netC, b -> says(b, "this one is right"));
    assertEquals(bobTries, attempts.apply(netB), "bob's leg was taken back");
    assertEquals(carolTries, attempts.apply(netC), "carol's leg was taken back");
    assertEquals(0, count("SELECT COUNT(*) FROM messages WHERE source_id = 'g-9'"));
  }

  /** Sends a read event until accepted (a leg's reference is recorded just after its hand-over). */
  private void reads(String network, String secret, String from, String to, String id) throws Exception {
    long until = System.nanoTime() + WAIT.toNanos();
    HttpResponse<String> r;
    while ((r = readEvent(network, secret, from, to, id)).statusCode() == 422 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertEquals(202, r.statusCode(), r.body());
  }

  private List<Integer> readCounts() {
    return bodies(netA, "/status").stream().filter(st -> st.path("status").asText().equals("read"))
        .map(st -> st.path("members").path("read").asInt()).collect(Collectors.toList());
  }

  @Test
  void readReceiptsInAGroupCountMembersAndNeverSayWho() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    String id = climbingGroup(alice, bob, carol);
    String aliceAddress = show(alice, id).get("address").asText();
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("g-r", "neta:alice", aliceAddress, "read me")).statusCode());
    JsonNode atBob = awaitGroupMessage(netB, b -> says(b, "read me"));
    JsonNode atCarol = awaitGroupMessage(netC, b -> says(b, "read me"));
    String bobRead = atBob.get("id").asText();
    String carolRead = atCarol.get("id").asText();
    // carol sends no read receipts: her read is neither reported nor counted in bob's
    assertEquals(200, api(carol, "PUT", "/v1/me/preferences", "{\"sendReadReceipts\":false}").statusCode());
    reads("netc", SECRET_C, "netc:carol", atCarol.get("group").get("id").asText(), carolRead);
    reads("netb", TestNode.SECRET_B, "netb:bob", atBob.get("group").get("id").asText(), bobRead);
    TestNode.await("bob's read status", WAIT, () -> readCounts().size() == 1);
    assertEquals(List.of(1), readCounts(), "bob's read counts bob only");
    // carol allows receipts again and reads it: now two have read it
    assertEquals(200, api(carol, "PUT", "/v1/me/preferences", "{\"sendReadReceipts\":true}").statusCode());
    reads("netc", SECRET_C, "netc:carol", atCarol.get("group").get("id").asText(), carolRead);
    TestNode.await("carol's read status", WAIT, () -> readCounts().size() == 2);
    assertEquals(List.of(1, 2), readCounts(), "how many have read it");
    List<JsonNode> reads = bodies(netA, "/status").stream()
        .filter(st -> st.path("status").asText().equals("read")).collect(Collectors.toList());
    for (JsonNode s : reads) {
      String json = s.toString();
      assertFalse(json.contains("bob") || json.contains("carol") || json.contains("~"), "never who: " + json);
    }
  }

  @Test
  void aMemberWhoLeftGetsNothingAfterAndCanNoLongerWrite() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    String id = climbingGroup(alice, bob, carol);
    String aliceAddress = show(alice, id).get("address").asText();
    String carolAddress = show(carol, id).get("address").asText();

    assertEquals(204, api(carol, "POST", "/v1/me/groups/" + id + "/leave", null).statusCode());
    awaitGroupMessage(netA, b -> b.path("system").asBoolean() && says(b, "left the group"));
    int carolHad = groupMessages(netC).size();
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("g-2", "neta:alice", aliceAddress, "after carol left")).statusCode());
    awaitGroupMessage(netB, b -> says(b, "after carol left"));
    JsonNode status = statusOf(netA, "g-2");
    assertEquals(1, status.get("members").get("delivered").asInt(), "bob only");
    Thread.sleep(300);
    assertEquals(carolHad, groupMessages(netC).size(), "nothing reaches carol after she left");

    // carol's old address refuses her: 403 not_a_member
    HttpResponse<String> refused = node.send("netc", SECRET_C, TestNode.text("c-9", "netc:carol", carolAddress, "hey"));
    assertEquals(403, refused.statusCode(), refused.body());
    assertEquals("not_a_member", TestNode.json(refused.body()).get("error").get("code").asText());
    assertEquals(404, api(carol, "GET", "/v1/me/groups/" + id, null).statusCode());
  }

  @Test
  void theSizeLimitAndConsentHold() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    String id = climbingGroup(alice, bob, carol);
    // maxGroupSize 4: three members, two more asked for → 409 group_full (unknown ones count too)
    HttpResponse<String> full = api(alice, "POST", "/v1/me/groups/" + id + "/invite",
        "{\"invite\":[\"netc:dave\",\"netb:nobody\"]}");
    assertEquals(409, full.statusCode(), full.body());
    assertEquals("group_full", TestNode.json(full.body()).get("error").get("code").asText());

    // dave accepts only people he wrote to: his invitation is answered like an unknown address's
    // and nothing reaches him; he is not invited
    int daveHad = to(netC, "netc:dave").size();
    HttpResponse<String> dave = api(alice, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"netc:dave\"]}");
    HttpResponse<String> unknown = api(alice, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"netc:zed\"]}");
    assertEquals(202, dave.statusCode());
    assertEquals(unknown.statusCode(), dave.statusCode());
    assertEquals(unknown.body(), dave.body());
    Thread.sleep(300);
    assertEquals(daveHad, to(netC, "netc:dave").size(), "no invitation for dave");
    assertFalse(show(alice, id).has("invited"), "pending invitations are not shown");
    // and, invited or not, the group is not full for alice: members count, invitations do not
    assertEquals(202, api(alice, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"netc:zed\"]}").statusCode());
    String daveToken = signIn("netc:dave");
    assertEquals(0, TestNode.json(api(daveToken, "GET", "/v1/me/groups", null).body()).get("groups").size(),
        "dave has no invitation");
    assertEquals(404, api(daveToken, "POST", "/v1/me/groups/" + id + "/join", null).statusCode(),
        "not invited: he cannot join");

    // only admins remove members; alice removes bob, who then gets nothing
    String bobAsAlice = "@bob";
    assertEquals(403, api(carol, "DELETE", "/v1/me/groups/" + id + "/members/" + bobAsAlice, null).statusCode());
    assertEquals(204, api(alice, "DELETE", "/v1/me/groups/" + id + "/members/" + bobAsAlice, null).statusCode());
    assertEquals(2, show(alice, id).get("members").size());
    assertEquals(403, api(carol, "PATCH", "/v1/me/groups/" + id, "{\"name\":\"Bouldering\"}").statusCode());
    HttpResponse<String> renamed = api(alice, "PATCH", "/v1/me/groups/" + id, "{\"name\":\"Bouldering\"}");
    assertEquals(200, renamed.statusCode(), renamed.body());
    assertEquals("Bouldering", TestNode.json(renamed.body()).get("name").asText());
    awaitGroupMessage(netC, b -> b.path("system").asBoolean() && says(b, "renamed the group to \"Bouldering\""));
  }

  @Test
  void invitationsCountAgainstTheInvitersFanOutLimit() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    // maxNewRecipientsPerHour 3: bob and carol are alice's first two new people this hour
    String id = climbingGroup(alice, bob, carol);
    assertEquals(202, api(alice, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"netb:erin\"]}").statusCode());
    TestNode.await("erin's invitation (the third)", WAIT, () -> to(netB, "netb:erin").stream()
        .anyMatch(b -> says(b, "Climbing")));
    int fayHad = to(netB, "netb:fay").size();
    HttpResponse<String> r = api(alice, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"netb:fay\"]}");
    assertEquals(202, r.statusCode(), "the same answer as for anyone: " + r.body());
    Thread.sleep(300);
    assertEquals(fayHad, to(netB, "netb:fay").size(), "no invitation beyond the limit");
    String fay = signIn("netb:fay");
    assertEquals(0, TestNode.json(api(fay, "GET", "/v1/me/groups", null).body()).get("groups").size());
  }

  @Test
  void forgetMeLeavesEveryGroupAndTheLastOneOutDeletesIt() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    String id = climbingGroup(alice, bob, carol);

    assertEquals(204, api(bob, "DELETE", "/v1/me", null).statusCode());
    awaitGroupMessage(netA, b -> b.path("system").asBoolean() && says(b, "@bob left the group"));
    assertEquals(2, show(alice, id).get("members").size());
    assertEquals(0, count("SELECT COUNT(*) FROM group_members WHERE person_id = '"
        + TestNode.sealed(dir.resolve("parlor.db"), "bob") + "'"));

    assertEquals(204, api(carol, "POST", "/v1/me/groups/" + id + "/leave", null).statusCode());
    assertEquals(204, api(alice, "POST", "/v1/me/groups/" + id + "/leave", null).statusCode());
    // an empty group goes with everything about it: its row, memberships, the members' addresses
    assertEquals(0, count("SELECT COUNT(*) FROM groups"));
    assertEquals(0, count("SELECT COUNT(*) FROM group_members"));
    assertEquals(List.of(), groupAddresses(), "the members' group addresses");
    assertEquals(0, count("SELECT COUNT(*) FROM group_sends"));
  }

  @Test
  void badRequestsNameTheField() throws Exception {
    String alice = signIn("neta:alice");
    List<String[]> cases = new ArrayList<>();
    cases.add(new String[] {"{\"invite\":[]}", "name"});
    cases.add(new String[] {"{\"name\":\"\"}", "name"});
    cases.add(new String[] {"{\"name\":\"x\",\"invite\":\"@bob\"}", "invite"});
    cases.add(new String[] {"{\"name\":\"x\",\"timerSeconds\":-1}", "timerSeconds"});
    cases.add(new String[] {"[]", "body"});
    for (String[] c : cases) {
      HttpResponse<String> r = api(alice, "POST", "/v1/me/groups", c[0]);
      assertEquals(400, r.statusCode(), c[0]);
      assertTrue(TestNode.json(r.body()).get("error").get("message").asText().startsWith(c[1] + ":"), r.body());
    }
    assertEquals(401, node.http.send(HttpRequest.newBuilder(node.uri("/v1/me/groups")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(404, api(alice, "GET", "/v1/me/groups/gr-0000000000000000", null).statusCode());
  }

  @Test
  void hostileRequestsGetA4xxAndLoseNothing() throws Exception {
    String alice = signIn("neta:alice");
    String bob = signIn("netb:bob");
    String carol = signIn("netc:carol");
    String id = climbingGroup(alice, bob, carol);
    String[] bodies = {
      "", "null", "[]", "{}", "{\"name\":null}", "{\"name\":12}", "{\"name\":\"" + "x".repeat(65) + "\"}",
      "{\"name\":\"a\\u0000b\"}", "{\"name\":\"ok\",\"invite\":[1,2]}", "{\"name\":\"ok\",\"invite\":[\"\"]}",
      "{\"name\":\"ok\",\"invite\":[\"" + "@a".repeat(200) + "\"]}", "{\"name\":\"ok\",\"timerSeconds\":1e99}",
      "{\"name\":\"ok\",\"timerSeconds\":\"60\"}", "{\"invite\":{\"a\":1}}", "{\"name\":\"ok\",\"invite\":[\"~nope\"]}",
      "{\"timerSeconds\":0}", "{\"name\":\"\\ud800\"}", "{", "\u0000",
    };
    String[][] endpoints = {
      {"POST", "/v1/me/groups"}, {"PATCH", "/v1/me/groups/" + id}, {"POST", "/v1/me/groups/" + id + "/invite"},
      {"POST", "/v1/me/groups/" + id + "/join"}, {"DELETE", "/v1/me/groups/" + id + "/members/%40nobody"},
      {"DELETE", "/v1/me/groups/" + id + "/members/~unknown"}, {"GET", "/v1/me/groups/" + "x".repeat(65)},
      {"PUT", "/v1/me/groups/" + id}, {"POST", "/v1/me/groups/" + id + "/nonsense"},
    };
    int requests = 0;
    for (String[] ep : endpoints) {
      for (String body : bodies) {
        HttpResponse<String> r = api(carol, ep[0], ep[1], ep[0].equals("GET") || ep[0].equals("DELETE") ? null : body);
        assertTrue(r.statusCode() >= 200 && r.statusCode() < 500, ep[0] + " " + ep[1] + " " + body + " → " + r.statusCode());
        if (r.statusCode() >= 400) {
          assertTrue(TestNode.json(r.body()).get("error").has("message"), "every reject says why: " + r.body());
        }
        requests++;
      }
    }
    assertTrue(requests > 150);
    // nothing was lost: the group is as it was, and still carries messages
    JsonNode asAlice = show(alice, id);
    assertEquals("Climbing", asAlice.get("name").asText());
    assertEquals(3, asAlice.get("members").size());
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("g-h", "neta:alice", asAlice.get("address").asText(), "still here")).statusCode());
    awaitGroupMessage(netC, b -> says(b, "still here"));
  }

  /** The relay handles that stand for a group (their party, sealed in the store, opened here). */
  private List<String> groupAddresses() throws Exception {
    List<String> out = new java.util.ArrayList<>();
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery("SELECT handle, represents FROM relay_handles")) {
      while (rs.next()) {
        if (TestNode.unsealed(dir.resolve("parlor.db"), rs.getString(2)).startsWith("group:")) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private long count(String sql) throws Exception {
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
