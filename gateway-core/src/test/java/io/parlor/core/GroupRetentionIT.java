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
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, on a test clock: an unanswered invitation is gone after a week, while the members'
 * group addresses keep working however quiet the group is (idle relay handles of one-to-one
 * conversations expire after {@code policy.threadTtl}; a group's live as long as the group);
 * leaving and blocking a group; a group whose invitations are mostly ignored or refused is held.
 */
class GroupRetentionIT {
  private static final Pattern CODE = Pattern.compile("\\b(\\d{6})\\b");

  @TempDir Path dir;
  final TestClock clock = new TestClock();
  WireMockServer net;
  TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (net != null) {
      net.stop();
    }
  }

  private List<JsonNode> delivered() {
    return net.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString())).collect(Collectors.toList());
  }

  private HttpResponse<String> api(String token, String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.uri(path))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    return node.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String signIn(String account) throws Exception {
    int before = delivered().size();
    assertEquals(202, api(null, "POST", "/v1/auth/start", "{\"address\":\"" + account + "\"}").statusCode());
    String[] code = new String[1];
    TestNode.await("the code", Duration.ofSeconds(10), () -> {
      List<JsonNode> all = delivered();
      for (JsonNode m : all.subList(Math.min(before, all.size()), all.size())) {
        Matcher x = CODE.matcher(m.path("content").path("text").asText());
        if (m.path("to").asText().equals(account) && x.find()) {
          code[0] = x.group(1);
        }
      }
      return code[0] != null;
    });
    HttpResponse<String> r = api(null, "POST", "/v1/auth/verify", "{\"address\":\"" + account + "\",\"code\":\"" + code[0] + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body()).get("token").asText();
  }

  private String text(String id, String from, String to, String text) {
    ObjectNode n = TestNode.JSON.createObjectNode();
    n.put("id", id).put("from", from).put("to", to).put("sentAt", clock.instant().toString());
    n.set("content", TestNode.JSON.createObjectNode().put("type", "text").put("text", text));
    return n.toString();
  }

  private void start(String... people) throws Exception {
    net = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    node = new TestNode(dir, TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(), ""), clock);
    for (String p : people) {
      assertEquals(200, node.admin("PUT", "/people/" + p,
          "{\"accounts\":[\"neta:" + p + "\"],\"optIn\":true,\"reachableBy\":\"everyone\"}").statusCode());
    }
  }

  /** Invitations that reached {@code account} (from @parlor, naming a group). */
  private long invitations(String account) {
    return delivered().stream().filter(m -> m.path("to").asText().equals(account)
        && m.path("content").path("text").asText().contains("invites you to the group")).count();
  }

  private String create(String token, String name, String... invitees) throws Exception {
    HttpResponse<String> created = api(token, "POST", "/v1/me/groups",
        "{\"name\":\"" + name + "\",\"invite\":[\"" + String.join("\",\"", invitees) + "\"]}");
    assertEquals(201, created.statusCode(), created.body());
    return TestNode.json(created.body()).get("id").asText();
  }

  private void awaitInvitations(String account, long n) throws InterruptedException {
    TestNode.await(n + " invitations to " + account, Duration.ofSeconds(10), () -> invitations(account) >= n);
  }

  @Test
  void aMemberLeavesAndBlocksTheGroupAndNoInvitationOfItReachesThemUntilTheyUnblock() throws Exception {
    start("alice", "bob", "carol");
    String alice = signIn("neta:alice");
    String bob = signIn("neta:bob");
    String carol = signIn("neta:carol");
    String id = create(alice, "Climbing", "neta:bob", "neta:carol");
    awaitInvitations("neta:bob", 1);
    // bob declines and blocks the group: invited again, he hears nothing, and cannot be joined in
    assertEquals(400, api(bob, "POST", "/v1/me/groups/" + id + "/leave", "{\"block\":\"yes\"}").statusCode());
    assertEquals(204, api(bob, "POST", "/v1/me/groups/" + id + "/leave", "{\"block\":true}").statusCode());
    JsonNode bobs = TestNode.json(api(bob, "GET", "/v1/me/groups", null).body()).get("groups");
    assertEquals("blocked", bobs.get(0).get("state").asText(), bobs.toString());
    // he sees it as it was when he blocked it, nothing of what it does after
    assertEquals(200, api(alice, "PATCH", "/v1/me/groups/" + id, "{\"name\":\"Bouldering\",\"timerSeconds\":3600}").statusCode());
    JsonNode blocked = TestNode.json(api(bob, "GET", "/v1/me/groups/" + id, null).body());
    assertEquals("Climbing", blocked.get("name").asText(), blocked.toString());
    assertFalse(blocked.has("timerSeconds"), blocked.toString());
    assertEquals("Climbing", TestNode.json(api(bob, "GET", "/v1/me/groups", null).body()).get("groups").get(0).get("name").asText());
    assertEquals(404, api(bob, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    // carol is a member, then leaves and blocks it: the others hear she left; invitations stop
    assertEquals(200, api(carol, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    assertEquals(204, api(carol, "POST", "/v1/me/groups/" + id + "/leave", "{\"block\":true}").statusCode());
    TestNode.await("alice hears carol left", Duration.ofSeconds(10), () -> delivered().stream()
        .anyMatch(m -> m.path("to").asText().equals("neta:alice") && m.path("content").path("text").asText().endsWith(" left the group")));
    HttpResponse<String> again = api(alice, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"neta:bob\",\"neta:carol\"]}");
    assertEquals(202, again.statusCode(), again.body()); // the inviter cannot tell
    Thread.sleep(300);
    assertEquals(1, invitations("neta:bob"), "no invitation reaches someone who blocked the group");
    assertEquals(1, invitations("neta:carol"));
    // its owner lifts the block
    assertEquals(204, api(bob, "DELETE", "/v1/me/groups/" + id + "/block", null).statusCode());
    assertEquals(404, api(bob, "DELETE", "/v1/me/groups/" + id + "/block", null).statusCode());
    assertEquals(202, api(alice, "POST", "/v1/me/groups/" + id + "/invite", "{\"invite\":[\"neta:bob\"]}").statusCode());
    awaitInvitations("neta:bob", 2);
    assertEquals(200, api(bob, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
  }

  @Test
  void aGroupWhoseInvitationsAreMostlyIgnoredOrRefusedIsHeldLikeAFanOutSpammer() throws Exception {
    start("mallory", "alice", "p1", "p2", "p3", "p4", "p5", "zed", "yan", "ned", "xia");
    String mallory = signIn("neta:mallory");
    String alice = signIn("neta:alice");
    String spam = create(mallory, "Free coins", "neta:p1", "neta:p2", "neta:p3", "neta:p4", "neta:p5");
    awaitInvitations("neta:p5", 1);
    // a group whose invitations people mostly accept is not held
    String climbing = create(alice, "Climbing", "neta:p1", "neta:p2", "neta:p3", "neta:p4", "neta:p5");
    awaitInvitations("neta:p5", 2);
    for (String p : List.of("p1", "p2", "p3", "p4")) {
      assertEquals(200, api(signIn("neta:" + p), "POST", "/v1/me/groups/" + climbing + "/join", null).statusCode());
    }
    assertEquals(204, api(signIn("neta:p5"), "POST", "/v1/me/groups/" + climbing + "/leave", null).statusCode());
    // one of the spammer's five invitees joins late; nobody answers the four others: a week after
    // they were sent they expire, refusals — four of five answers make the group a spammer's
    clock.advance(Duration.ofDays(6));
    assertEquals(200, api(signIn("neta:p1"), "POST", "/v1/me/groups/" + spam + "/join", null).statusCode());
    clock.advance(Duration.ofDays(2));
    node.gateway.housekeepNow().join();
    mallory = signIn("neta:mallory"); // sessions last a week
    alice = signIn("neta:alice");
    assertEquals(202, api(mallory, "POST", "/v1/me/groups/" + spam + "/invite", "{\"invite\":[\"neta:zed\"]}").statusCode());
    assertEquals(202, api(alice, "POST", "/v1/me/groups/" + climbing + "/invite", "{\"invite\":[\"neta:yan\"]}").statusCode());
    awaitInvitations("neta:yan", 1);
    Thread.sleep(300);
    assertEquals(0, invitations("neta:zed"), "the spammer's invitation was held, with the usual answer");
    // the group is held whoever invites into it, not only its admin
    assertEquals(202, api(signIn("neta:p1"), "POST", "/v1/me/groups/" + spam + "/invite",
        "{\"invite\":[\"neta:xia\"]}").statusCode());
    Thread.sleep(300);
    assertEquals(0, invitations("neta:xia"), "a member's invitation into the held group is held too");
    assertTrue(node.gateway.meters().scrape().matches(
        "(?s).*parlor_group_invitations_total\\{[^}]*outcome=\"held\"[^}]*\\} 2\\.0.*"), "counted as held");
    // a fresh group of the same admin is held too
    HttpResponse<String> fresh = api(mallory, "POST", "/v1/me/groups", "{\"name\":\"More coins\",\"invite\":[\"neta:ned\"]}");
    assertEquals(201, fresh.statusCode(), fresh.body());
    Thread.sleep(300);
    assertEquals(0, invitations("neta:ned"), "the admin of a held group cannot start afresh");
    // the counts go once the window has passed
    clock.advance(Duration.ofDays(8));
    node.gateway.housekeepNow().join();
    try (java.sql.Connection c = TestNode.connect(dir.resolve("parlor.db"));
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT invites_answered FROM groups WHERE name = 'Free coins'")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "the spam group's answers are not kept past policy.metadataRetention");
    }
  }

  @Test
  void unansweredInvitationsExpireWhileAQuietGroupsAddressesLast() throws Exception {
    start("alice", "bob", "carol");
    String alice = signIn("neta:alice");
    String carol = signIn("neta:carol");
    HttpResponse<String> created = api(alice, "POST", "/v1/me/groups",
        "{\"name\":\"Climbing\",\"invite\":[\"neta:bob\",\"neta:carol\"]}");
    assertEquals(201, created.statusCode(), created.body());
    String id = TestNode.json(created.body()).get("id").asText();
    assertEquals(200, api(carol, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    String aliceAddress = TestNode.json(api(alice, "GET", "/v1/me/groups/" + id, null).body()).get("address").asText();

    // 31 days without a word: past the invitation's week and past policy.threadTtl (30 days)
    clock.advance(Duration.ofDays(31));
    node.gateway.housekeepNow().join();
    String bob = signIn("neta:bob");
    assertEquals(0, TestNode.json(api(bob, "GET", "/v1/me/groups", null).body()).get("groups").size(),
        "bob's unanswered invitation is gone");
    assertEquals(404, api(bob, "POST", "/v1/me/groups/" + id + "/join", null).statusCode());
    // alice still writes to the address she was given, and carol gets it
    HttpResponse<String> r = node.send("neta", TestNode.SECRET_A, text("q-1", "neta:alice", aliceAddress, "still climbing?"),
        clock.instant());
    assertEquals(202, r.statusCode(), r.body());
    TestNode.await("carol gets it", Duration.ofSeconds(10), () -> delivered().stream()
        .anyMatch(m -> m.path("content").path("text").asText().equals("still climbing?") && m.has("group")));
    assertTrue(delivered().stream().noneMatch(m -> m.path("to").asText().equals("neta:bob")
        && m.path("content").path("text").asText().equals("still climbing?")), "bob is not in it");
  }
}
