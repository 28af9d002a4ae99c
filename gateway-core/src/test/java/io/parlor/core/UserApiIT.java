package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 5: people sign in with a code, link accounts, set preferences; the router honours them. */
class UserApiIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Pattern CODE = Pattern.compile("\\b(\\d{6})\\b");

  @TempDir Path dir;
  WireMockServer net;
  TestNode node;
  String yaml;

  @BeforeEach
  void start() throws Exception {
    net = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    String extra = String.join("\n", "users:", "  codesPerAccount: 3", "  codesPerClient: 50");
    yaml = TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(), extra)
        + String.join("\n",
            "  - id: netc", "    type: webhook", "    secret: " + TestNode.SECRET_A,
            "    deliveryUrl: " + net.baseUrl() + "/messages", "");
    node = new TestNode(dir, yaml);
  }

  @AfterEach
  void stop() {
    node.close();
    net.stop();
  }

  private HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
    return node.call(method, path, token, json);
  }

  /** Messages the networks received for {@code address}, newest last. */
  private List<JsonNode> deliveredTo(String address) {
    return TestNode.deliveredTo(net, address);
  }

  private String awaitCode(String address, int nth) throws Exception {
    TestNode.await("code #" + nth + " for " + address, WAIT, () -> deliveredTo(address).size() >= nth);
    JsonNode msg = deliveredTo(address).get(nth - 1);
    assertEquals("@parlor", msg.path("from").asText());
    Matcher m = CODE.matcher(msg.path("content").path("text").asText());
    assertTrue(m.find(), msg.toString());
    return m.group(1);
  }

  private String signIn(String address) throws Exception {
    int before = deliveredTo(address).size();
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"" + address + "\"}").statusCode());
    String code = awaitCode(address, before + 1);
    HttpResponse<String> r = call("POST", "/v1/auth/verify", null, "{\"address\":\"" + address + "\",\"code\":\"" + code + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body()).get("token").asText();
  }

  /**
   * Issue 14, item 1 (user API): a person blocks a sender they know only by the relay handle a
   * message came from; the block holds on every network the sender links, shows as the handle,
   * names nobody, and goes with the blocked person when they are forgotten.
   */
  @Test
  void aSenderKnownOnlyByTheirRelayHandleIsBlockedOnEveryNetwork() throws Exception {
    assertEquals(200, node.admin("PUT", "/people/bob", "{\"accounts\":[\"netb:bob\"],\"optIn\":true}").statusCode());
    assertEquals(200, node.admin("PUT", "/people/carol",
        "{\"accounts\":[\"neta:carol\",\"netc:carol\"],\"optIn\":true}").statusCode());
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("k-1", "neta:carol", "netb:bob", "hi bob")).statusCode());
    TestNode.await("delivery to bob", WAIT, () -> deliveredTo("netb:bob").size() == 1);
    String shown = deliveredTo("netb:bob").get(0).path("from").asText();
    assertTrue(shown.startsWith("~"), shown);
    String token = signIn("netb:bob");

    HttpResponse<String> r = call("POST", "/v1/me/blocks", token, "{\"address\":\"" + shown + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(TestNode.json(r.body()).path("blocks").toString().contains(shown), r.body());
    assertFalse(r.body().contains("carol"), "the block names nobody: " + r.body());
    // from either of her networks, carol reaches bob no more
    for (String from : List.of("neta:carol", "netc:carol")) {
      HttpResponse<String> refused = node.send(from.substring(0, 4), TestNode.SECRET_A,
          TestNode.text("k-" + from, from, "netb:bob", "hello?"));
      assertEquals(422, refused.statusCode(), from + ": " + refused.body());
    }
    // a handle that was never shown to bob is no block of anyone
    HttpResponse<String> notShown = call("POST", "/v1/me/blocks", token, "{\"address\":\"~abcdefghjk\"}");
    assertEquals(400, notShown.statusCode());
    assertTrue(notShown.body().contains("address:"), notShown.body());
    // lifted by what bob saw
    assertEquals(200, call("DELETE", "/v1/me/blocks/" + shown, token, null).statusCode());
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("k-2", "neta:carol", "netb:bob", "again")).statusCode());
    // blocked again by handle, and by an address bob knows; then carol is forgotten: the block of
    // her as a party goes with her, the address bob typed stays his (forgetting oneself never
    // lifts someone else's block of one's number)
    assertEquals(200, call("POST", "/v1/me/blocks", token, "{\"address\":\"" + shown + "\"}").statusCode());
    assertEquals(200, call("POST", "/v1/me/blocks", token, "{\"address\":\"netc:carol\"}").statusCode());
    assertEquals(204, node.admin("DELETE", "/people/carol", null).statusCode());
    assertTrue(rowsMentioning(dir.resolve("parlor.db"), List.of("person:carol", "neta:carol")).isEmpty());
    assertEquals(List.of("blocks: bob netc:carol null"), rowsMentioning(dir.resolve("parlor.db"), List.of("netc:carol")));
  }

  /**
   * One-time codes are stored only as an HMAC under a key in the node's memory (a copy of the
   * store cannot be brute-forced for them: a million codes of six digits hash in a second
   * without a key), sessions only as the SHA-256 of their token (256 random bits).
   */
  @Test
  void codesAndSessionsAreStoredOnlyHashed() throws Exception {
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"neta:dan\"}").statusCode());
    String code = awaitCode("neta:dan", 1);
    byte[] stored;
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        java.sql.PreparedStatement ps = c.prepareStatement("SELECT code_hash FROM auth_codes WHERE address = ?")) {
      ps.setString(1, TestNode.sealed(dir.resolve("parlor.db"), "neta:dan"));
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        stored = rs.getBytes(1);
      }
    }
    assertEquals(32, stored.length);
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    assertFalse(java.util.Arrays.equals(stored, sha.digest(code.getBytes(StandardCharsets.US_ASCII))), "an unkeyed hash");
    assertFalse(java.util.Arrays.equals(stored, sha.digest(("neta:dan\0" + code).getBytes(StandardCharsets.US_ASCII))),
        "an unkeyed hash");
    assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains(code), "the code in the clear");

    String token = signIn("neta:erin");
    assertTrue(rowsMentioning(dir.resolve("parlor.db"), List.of(token)).isEmpty(), "the token in the clear");
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery("SELECT token_hash FROM sessions")) {
      assertTrue(rs.next());
      assertArrayEquals(sha.digest(token.getBytes(StandardCharsets.US_ASCII)), rs.getBytes(1));
      assertFalse(rs.next());
    }
    if (!TestNode.onPostgres()) { // several nodes derive the key from store.encryptionKey instead (ClusterIT)
      // the key lives in memory only: after a restart a code sent before is no longer known
      assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"neta:fay\"}").statusCode());
      String fays = awaitCode("neta:fay", 1);
      node.close();
      node = new TestNode(dir, yaml);
      HttpResponse<String> r = call("POST", "/v1/auth/verify", null,
          "{\"address\":\"neta:fay\",\"code\":\"" + fays + "\"}");
      assertEquals(401, r.statusCode(), r.body());
    }
  }

  @Test
  void signInLinkSetPreferencesAndTheRouterHonoursThem() throws Exception {
    String token = signIn("neta:alice");
    JsonNode me = TestNode.json(call("GET", "/v1/me", token, null).body());
    assertEquals(List.of("neta:alice"), List.of(me.get("accounts").get(0).asText()));
    assertFalse(me.get("optIn").asBoolean(), "opt-in is off until the person turns it on");

    // not opted in yet: unreachable
    var r = node.send("netc", TestNode.SECRET_A, TestNode.text("c-1", "netc:carl", "neta:alice", "hi"));
    assertEquals(422, r.statusCode());

    // link netb:alice, proven by a code sent there
    assertEquals(202, call("POST", "/v1/me/accounts", token, "{\"address\":\"netb:alice\"}").statusCode());
    String code = awaitCode("netb:alice", 1);
    r = call("POST", "/v1/me/accounts/verify", token, "{\"address\":\"netb:alice\",\"code\":\"" + code + "\"}");
    assertEquals(200, r.statusCode(), r.body());

    // preferences: opted in, reachable by everyone, netb preferred, a handle, a default timer
    r = call("PUT", "/v1/me/preferences", token,
        "{\"optIn\":true,\"reachableBy\":\"everyone\",\"preferred\":[\"netb:alice\"],\"handle\":\"alice\","
            + "\"defaultTimerSeconds\":2592000,\"allowPlaintextFallback\":false}");
    assertEquals(200, r.statusCode(), r.body());
    me = TestNode.json(r.body());
    assertEquals("netb:alice", me.get("preferred").asText());
    assertEquals("@alice", me.get("handle").asText());
    assertEquals(2592000, me.get("defaultTimerSeconds").asLong());
    assertEquals(400, call("PUT", "/v1/me/preferences", token, "{\"reachableBy\":\"friends\"}").statusCode());
    assertTrue(call("PUT", "/v1/me/preferences", token, "{\"preferred\":[\"neta:bob\"]}").body().contains("preferred[0]"));

    // a message from a third network now arrives where she prefers, also via her handle
    assertEquals(202, node.send("netc", TestNode.SECRET_A, TestNode.text("c-2", "netc:carl", "neta:alice", "hello")).statusCode());
    TestNode.await("delivery to netb:alice", WAIT, () -> deliveredTo("netb:alice").stream().anyMatch(n -> n.path("content").path("text").asText().equals("hello")));
    assertEquals(202, node.send("netc", TestNode.SECRET_A, TestNode.text("c-3", "netc:carl", "@alice", "by handle")).statusCode());

    // blocked and never-known senders get the same answer
    r = call("POST", "/v1/me/blocks", token, "{\"address\":\"netc:carl\"}");
    assertEquals(200, r.statusCode(), r.body());
    var blocked = node.send("netc", TestNode.SECRET_A, TestNode.text("c-4", "netc:carl", "neta:alice", "let me in"));
    var unknown = node.send("netc", TestNode.SECRET_A, TestNode.text("c-5", "netc:carl", "neta:nobody", "hello?"));
    assertEquals(422, blocked.statusCode());
    assertEquals(blocked.body(), unknown.body());
    // reachableBy nobody: a new sender is refused the same way
    call("PUT", "/v1/me/preferences", token, "{\"reachableBy\":\"nobody\"}");
    assertEquals(unknown.body(), node.send("netc", TestNode.SECRET_A, TestNode.text("c-6", "netc:dora", "neta:alice", "x")).body());
    call("PUT", "/v1/me/preferences", token, "{\"reachableBy\":\"everyone\"}");

    // unlink netb: delivery stops there at once
    r = call("DELETE", "/v1/me/accounts/netb:alice", token, null);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(409, call("DELETE", "/v1/me/accounts/neta:alice", token, null).statusCode(), "last account");
    assertEquals(202, node.send("netc", TestNode.SECRET_A, TestNode.text("c-7", "netc:dora", "neta:alice", "after unlink")).statusCode());
    TestNode.await("delivery to neta:alice", WAIT, () -> deliveredTo("neta:alice").stream().anyMatch(n -> n.path("content").path("text").asText().equals("after unlink")));

    // forget me: nothing of her remains in any table
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    node.send("netc", TestNode.SECRET_A, TestNode.text("c-8", "netc:dora", "neta:alice", "queued for her"));
    assertEquals(204, call("DELETE", "/v1/me", token, null).statusCode());
    assertEquals(401, call("GET", "/v1/me", token, null).statusCode(), "her sessions are gone");
    List<String> leftovers = rowsMentioning(dir.resolve("parlor.db"), List.of("alice", "u-"));
    assertTrue(leftovers.isEmpty(), "rows left: " + leftovers);
  }

  /** Every row of every table whose text mentions one of {@code needles}. */
  static List<String> rowsMentioning(Path db, List<String> needles) throws Exception {
    List<String> hits = new ArrayList<>();
    try (Connection c = TestNode.connect(db); Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = c.getMetaData().getTables(null, TestNode.onPostgres() ? "public" : null, "%", new String[] {"TABLE"})) {
        while (rs.next()) {
          tables.add(rs.getString("TABLE_NAME"));
        }
      }
      for (String t : tables) {
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + t)) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            StringBuilder row = new StringBuilder(t).append(':');
            for (int i = 1; i <= n; i++) {
              Object v = rs.getObject(i);
              row.append(' ').append(v instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : v);
            }
            String text = TestNode.unsealed(db, row.toString());
            for (String needle : needles) {
              if (text.contains(needle)) {
                hits.add(text);
              }
            }
          }
        }
      }
    }
    return hits;
  }

  @Test
  void bruteForceIsLockedAndCodeSendsAreRateLimited() throws Exception {
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"neta:bob\"}").statusCode());
    String code = awaitCode("neta:bob", 1);
    String wrong = code.equals("000000") ? "111111" : "000000";
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = call("POST", "/v1/auth/verify", null, "{\"address\":\"neta:bob\",\"code\":\"" + wrong + "\"}");
      assertEquals(i < 4 ? 401 : 429, r.statusCode(), "try " + (i + 1) + ": " + r.body());
    }
    HttpResponse<String> sixth = call("POST", "/v1/auth/verify", null, "{\"address\":\"neta:bob\",\"code\":\"" + code + "\"}");
    assertEquals(429, sixth.statusCode(), "the 6th try is refused even with the right code");
    // sends beyond the per-account limit (3 per 10 minutes) get 429 with Retry-After
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"neta:bob\"}").statusCode());
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"neta:bob\"}").statusCode());
    HttpResponse<String> limited = call("POST", "/v1/auth/start", null, "{\"address\":\"neta:bob\"}");
    assertEquals(429, limited.statusCode());
    assertTrue(limited.headers().firstValue("retry-after").isPresent());
    // unknown networks and unknown people get the same 202: nothing is revealed
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"nonet:x\"}").statusCode());
    assertEquals(400, call("POST", "/v1/auth/start", null, "{\"address\":\"not an address\"}").statusCode());
    assertEquals(401, call("GET", "/v1/me", "forged-token", null).statusCode());
  }

  @Test
  void linkingProvesBothAccountsBeforeMovingOne() throws Exception {
    String bob = signIn("neta:bob");
    String other = signIn("netb:bob2"); // a separate person who owns netb:bob2
    // bob asks to link netb:bob2; without the code sent there nothing happens
    assertEquals(202, call("POST", "/v1/me/accounts", bob, "{\"address\":\"netb:bob2\"}").statusCode());
    String code = awaitCode("netb:bob2", 2);
    String wrong = code.equals("000000") ? "000001" : "000000";
    assertEquals(401, call("POST", "/v1/me/accounts/verify", bob, "{\"address\":\"netb:bob2\",\"code\":\"" + wrong + "\"}").statusCode());
    // the code was sent for bob's link: the other person's session cannot use it to link elsewhere
    assertEquals(401, call("POST", "/v1/auth/verify", null, "{\"address\":\"netb:bob2\",\"code\":\"" + code + "\"}").statusCode());
    JsonNode otherMe = TestNode.json(call("GET", "/v1/me", other, null).body());
    assertEquals("netb:bob2", otherMe.get("accounts").get(0).asText(), "not moved without proof");
    // with the code (proof of the account) and bob's session (proof of bob), it moves
    HttpResponse<String> r = call("POST", "/v1/me/accounts/verify", bob, "{\"address\":\"netb:bob2\",\"code\":\"" + code + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(2, TestNode.json(r.body()).get("accounts").size());
    assertEquals(401, call("GET", "/v1/me", other, null).statusCode(), "the emptied person is gone");
  }

  @Test
  void servesTheWebPageWithAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> r = node.http.send(HttpRequest.newBuilder(URI.create(node.uri("/").toString())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-security-policy").orElse("").contains("script-src 'self'"));
    assertTrue(r.body().contains("<html"), "index.html served at /");
  }
}
