package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.adapter.webhook.Signatures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: SIGKILL during a 32-member group's fan-out loses no leg and duplicates none. Every
 * group message that got a 202 reaches each of the 31 other members after the restart, each
 * (message, member) under exactly one Idempotency-Key (a redelivery after the crash reuses it).
 */
class GroupCrashIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "group-crash-secret-0001";
  private static final int MEMBERS = 32;
  private static final Pattern CODE = Pattern.compile("\\b(\\d{6})\\b");

  @TempDir Path dir;
  WireMockServer dest;
  NodeProcess node;
  int port;
  final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void tearDown() throws Exception {
    if (node != null) {
      node.close();
    }
    if (dest != null) {
      dest.stop();
    }
  }

  private HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> delivered() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (LoggedRequest r : dest.findAll(postRequestedFor(urlEqualTo("/messages")))) {
      out.add(JSON.readTree(r.getBodyAsString()));
    }
    return out;
  }

  /** Signs {@code account} in with the code the node sent to it. */
  private String signIn(String account) throws Exception {
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"" + account + "\"}").statusCode());
    String code = null;
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (code == null && System.nanoTime() < until) {
      for (JsonNode m : delivered()) {
        Matcher x = CODE.matcher(m.path("content").path("text").asText());
        if (m.path("to").asText().equals(account) && m.path("from").asText().equals("@parlor") && x.find()) {
          code = x.group(1);
        }
      }
      Thread.sleep(code == null ? 20 : 0);
    }
    assertTrue(code != null, "a code for " + account);
    HttpResponse<String> r = call("POST", "/v1/auth/verify", null,
        "{\"address\":\"" + account + "\",\"code\":\"" + code + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body()).get("token").asText();
  }

  private int send(String id, String from, String to) {
    String json = JSON.createObjectNode().put("id", id).put("from", from).put("to", to)
        .put("sentAt", Instant.now().toString())
        .set("content", JSON.createObjectNode().put("type", "text").put("text", "payload " + id)).toString();
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/networks/net/messages"))
              .timeout(Duration.ofSeconds(5))
              .header("Parlor-Signature", new Signatures(SECRET).sign(body, Instant.now()))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1; // refused or reset by the kill: not acknowledged
    }
  }

  @Test
  void sigkillDuringAThirtyTwoMemberFanOutLosesNoLegAndDuplicatesNone() throws Exception {
    dest = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(40));
    dest.start();
    // a slow destination, so that the kill finds legs not yet delivered
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200).withFixedDelay(40)));
    port = NodeProcess.freePort();
    Path config = dir.resolve("parlor.yaml");
    Files.writeString(config, String.join("\n",
        "http:", "  port: " + port,
        "store:", "  path: " + dir.resolve("data/parlor.db"),
        "users:", "  codesPerClient: 1000",
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.5S",
        "networks:",
        "  - id: net", "    type: webhook", "    secret: " + SECRET,
        "    deliveryUrl: " + dest.baseUrl() + "/messages",
        ""));
    node = new NodeProcess(config, dir.resolve("node.log"), port).start();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      HttpResponse<String> r = call("PUT", "/admin/v1/people/p" + i, null,
          "{\"accounts\":[\"net:p" + i + "\"],\"optIn\":true}");
      assertEquals(200, r.statusCode(), r.body());
      tokens.add(signIn("net:p" + i));
    }
    StringBuilder invite = new StringBuilder();
    for (int i = 1; i < MEMBERS; i++) {
      invite.append(i == 1 ? "" : ",").append("\"net:p").append(i).append('"');
    }
    HttpResponse<String> created = call("POST", "/v1/me/groups", tokens.get(0),
        "{\"name\":\"Thirty-two\",\"invite\":[" + invite + "]}");
    assertEquals(201, created.statusCode(), created.body());
    String group = JSON.readTree(created.body()).get("id").asText();
    for (int i = 1; i < MEMBERS; i++) {
      assertEquals(200, call("POST", "/v1/me/groups/" + group + "/join", tokens.get(i), null).statusCode());
    }
    String address = JSON.readTree(call("GET", "/v1/me/groups/" + group, tokens.get(0), null).body())
        .get("address").asText();
    assertEquals(MEMBERS, JSON.readTree(call("GET", "/v1/me/groups/" + group, tokens.get(0), null).body())
        .get("members").size());

    // p0 writes to the group until some messages are acknowledged, then the node is killed
    Map<String, Integer> outcome = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      String id = "g-" + i;
      outcome.put(id, send(id, "net:p0", address));
      if (outcome.values().stream().filter(s -> s == 202).count() == 12) {
        break;
      }
    }
    node.kill();
    Set<String> acked = new HashSet<>();
    outcome.forEach((id, s) -> {
      if (s == 202) {
        acked.add(id);
      }
    });
    assertEquals(12, acked.size(), "messages acknowledged before the kill");
    long legsBefore = delivered().stream().filter(m -> m.path("content").path("text").asText().startsWith("payload ")).count();
    assertTrue(legsBefore < (long) acked.size() * (MEMBERS - 1),
        "the kill must find legs not yet delivered for this test to mean anything: " + legsBefore);

    node.start();
    // every (message, member) delivered, each under exactly one Idempotency-Key
    Map<String, Set<String>> keysByLeg = new HashMap<>();
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < until) {
      keysByLeg.clear();
      for (LoggedRequest r : dest.findAll(postRequestedFor(urlEqualTo("/messages")))) {
        JsonNode m = JSON.readTree(r.getBodyAsString());
        String text = m.path("content").path("text").asText();
        if (text.startsWith("payload ")) {
          keysByLeg.computeIfAbsent(text.substring("payload ".length()) + " → " + m.path("to").asText(),
              k -> new HashSet<>()).add(r.getHeader("Idempotency-Key"));
        }
      }
      if (keysByLeg.size() >= acked.size() * (MEMBERS - 1)) {
        break;
      }
      Thread.sleep(100);
    }
    for (String id : acked) {
      long legs = keysByLeg.keySet().stream().filter(k -> k.startsWith(id + " → ")).count();
      assertEquals(MEMBERS - 1, legs, "members who got " + id);
    }
    keysByLeg.forEach((leg, keys) -> assertEquals(1, keys.size(), "one Idempotency-Key for " + leg));
    Set<String> allKeys = new HashSet<>();
    keysByLeg.values().forEach(allKeys::addAll);
    assertEquals(keysByLeg.size(), allKeys.size(), "no two legs share a key");
    assertEquals(200, send(acked.iterator().next(), "net:p0", address), "still a duplicate after the restart");
  }
}
