package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * conversations expire after {@code policy.threadTtl}; a group's live as long as the group).
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
    TestNode.await("the code", Duration.ofSeconds(10), () -> delivered().size() > before);
    String code = null;
    for (JsonNode m : delivered().subList(before, delivered().size())) {
      Matcher x = CODE.matcher(m.path("content").path("text").asText());
      if (m.path("to").asText().equals(account) && x.find()) {
        code = x.group(1);
      }
    }
    HttpResponse<String> r = api(null, "POST", "/v1/auth/verify", "{\"address\":\"" + account + "\",\"code\":\"" + code + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body()).get("token").asText();
  }

  private String text(String id, String from, String to, String text) {
    ObjectNode n = TestNode.JSON.createObjectNode();
    n.put("id", id).put("from", from).put("to", to).put("sentAt", clock.instant().toString());
    n.set("content", TestNode.JSON.createObjectNode().put("type", "text").put("text", text));
    return n.toString();
  }

  @Test
  void unansweredInvitationsExpireWhileAQuietGroupsAddressesLast() throws Exception {
    net = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    node = new TestNode(dir, TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(), ""), clock);
    for (String p : new String[] {"alice", "bob", "carol"}) {
      assertEquals(200, node.admin("PUT", "/people/" + p, "{\"accounts\":[\"neta:" + p + "\"],\"optIn\":true}").statusCode());
    }
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
