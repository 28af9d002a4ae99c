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
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.adapter.webhook.Signatures;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, items 2, 6 and 7: reports (user API and the networks' {@code report} event) block the
 * sender for the reporter, are forwarded to the sender's network — signed, pseudonymous, content
 * only when attached — and accumulate to a hold on every network, which an operator reviews by a
 * random id and releases or confirms; forget-me takes the reports and the hold with the person.
 */
class SafetyIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Pattern CODE = Pattern.compile("\\b(\\d{6})\\b");

  @TempDir Path dir;
  WireMockServer net;
  TestNode node;

  /** The throttled network's WARN is expected here: read, not printed. */
  final ch.qos.logback.classic.Logger gatewayLog =
      (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Gateway.class);
  final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
      new ch.qos.logback.core.read.ListAppender<>();

  @BeforeEach
  void start() throws Exception {
    logged.start();
    gatewayLog.addAppender(logged);
    gatewayLog.setAdditive(false);
    net = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/reports")).willReturn(aResponse().withStatus(204)));
    String yaml = TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(), String.join("\n", "policy:", "  holdAfterReports: 3",
        "  throttleNetworkAfterReports: 3"))
        // the senders' network (neta) takes reports
        .replaceFirst("(    statusUrl: [^\\n]*/status\\n)", "$1    reportUrl: " + net.baseUrl() + "/reports\n");
    node = new TestNode(dir, yaml);
    assertEquals(200, node.admin("PUT", "/people/sam", "{\"accounts\":[\"neta:sam\"],\"optIn\":true}").statusCode());
    for (String p : List.of("bob", "carol", "dan", "erin", "fay")) {
      assertEquals(200, node.admin("PUT", "/people/" + p, "{\"accounts\":[\"netb:" + p + "\"],\"optIn\":true}").statusCode());
    }
  }

  @AfterEach
  void stop() {
    gatewayLog.detachAppender(logged);
    gatewayLog.setAdditive(true);
    node.close();
    net.stop();
  }

  @Test
  void reportsBlockAreForwardedAndHoldTheSenderUntilAnOperatorDecides() throws Exception {
    // sam writes to four people; each message reaches netb by its gateway id
    java.util.Map<String, String> received = new java.util.HashMap<>();
    List<String> four = List.of("bob", "carol", "dan", "erin");
    for (String p : four) {
      assertEquals(202, send("m" + four.indexOf(p), "neta:sam", "netb:" + p, "buy now").statusCode());
      TestNode.await("delivery to " + p, WAIT, () -> deliveredTo("netb:" + p).size() == 1);
      received.put(p, deliveredTo("netb:" + p).get(0).path("id").asText());
    }

    // bob reports in the user API, attaching what he saw
    String bob = signIn("netb:bob");
    HttpResponse<String> r = call("POST", "/v1/me/reports", bob, "{\"network\":\"netb\",\"id\":\"" + received.get("bob")
        + "\",\"reason\":\"spam\",\"content\":{\"type\":\"text\",\"text\":\"buy now\"}}");
    assertEquals(200, r.statusCode(), r.body());
    String shownToBob = deliveredTo("netb:bob").get(0).path("from").asText();
    assertTrue(TestNode.json(r.body()).path("blocks").toString().contains(shownToBob), "sam is blocked for bob: " + r.body());
    assertEquals(422, send("m10", "neta:sam", "netb:bob", "again").statusCode(), "blocked for bob");
    // forwarded to sam's network: signed, naming the message as neta knows it, not bob
    TestNode.await("the report forwarded", WAIT, () -> reports().size() == 1);
    LoggedRequest fwd = reports().get(0);
    assertTrue(new Signatures(TestNode.SECRET_A).verify(fwd.getHeader("Parlor-Signature"), fwd.getBody(), Instant.now()),
        "signed with neta's secret");
    JsonNode f = TestNode.json(fwd.getBodyAsString());
    assertEquals("report", f.path("type").asText());
    assertEquals("m0", f.path("id").asText());
    assertEquals("spam", f.path("reason").asText());
    assertEquals("buy now", f.path("content").path("text").asText(), "what bob attached");
    String bobsPseudonym = f.path("reporter").asText();
    assertTrue(bobsPseudonym.startsWith("r-") && !fwd.getBodyAsString().contains("bob"), fwd.getBodyAsString());

    // wrong reports: named field, nothing counted
    assertEquals(400, call("POST", "/v1/me/reports", bob, "{\"network\":\"netb\",\"id\":\"nope\"}").statusCode());
    HttpResponse<String> badReason = call("POST", "/v1/me/reports", bob,
        "{\"network\":\"netb\",\"id\":\"" + received.get("bob") + "\",\"reason\":\"rude\"}");
    assertEquals(400, badReason.statusCode());
    assertTrue(badReason.body().contains("reason:"), badReason.body());
    HttpResponse<String> unknown = event("{\"type\":\"report\",\"from\":\"netb:carol\",\"id\":\"" + received.get("bob") + "\"}");
    assertEquals(422, unknown.statusCode(), "carol did not receive bob's message: " + unknown.body());
    HttpResponse<String> badEvent = event("{\"type\":\"report\",\"from\":\"netb:carol\"}");
    assertEquals(400, badEvent.statusCode());
    assertTrue(badEvent.body().contains("id:"), badEvent.body());

    // carol reports through her network: forwarded without content; two reports hold nobody yet
    assertEquals(202, event("{\"type\":\"report\",\"from\":\"netb:carol\",\"id\":\"" + received.get("carol") + "\"}").statusCode());
    TestNode.await("carol's report forwarded", WAIT, () -> reports().size() == 2);
    JsonNode f2 = TestNode.json(reports().get(1).getBodyAsString());
    assertTrue(f2.path("content").isMissingNode(), "no content unless attached: " + f2);
    assertFalse(f2.path("reporter").asText().equals(bobsPseudonym), "reporters are told apart, not named");
    assertEquals(202, send("m11", "neta:sam", "netb:fay", "hello fay").statusCode(), "below the threshold");
    assertEquals(0, holds().size());

    // the third reporter holds sam: on every network, for everyone
    assertEquals(202, event("{\"type\":\"report\",\"from\":\"netb:dan\",\"id\":\"" + received.get("dan") + "\",\"reason\":\"scam\"}")
        .statusCode());
    HttpResponse<String> held = send("m12", "neta:sam", "netb:fay", "hello again");
    assertEquals(403, held.statusCode(), held.body());
    assertEquals("held_for_review", TestNode.json(held.body()).path("error").path("code").asText());
    // the operator sees the hold by a random id, with counts only
    HttpResponse<String> list = node.admin("GET", "/holds", null);
    assertEquals(200, list.statusCode());
    assertFalse(list.body().contains("sam") || list.body().contains("neta:"), list.body());
    List<JsonNode> holds = holds();
    assertEquals(1, holds.size(), list.body());
    assertEquals("held", holds.get(0).path("state").asText());
    assertEquals(3, holds.get(0).path("count").asInt());
    assertEquals("reports", holds.get(0).path("reason").asText());
    String id = holds.get(0).path("id").asText();
    assertEquals(404, node.admin("POST", "/holds/h-00000000000000000000/release", null).statusCode());
    // three reports about neta's senders throttle neta as a whole (checked every minute)
    node.gateway.housekeepNow().join();
    assertTrue(throttled("neta"), node.admin("GET", "/status", null).body());
    assertTrue(TestNode.snapshot(logged).stream().anyMatch(e -> e.getFormattedMessage().startsWith("network neta is throttled")),
        "one WARN when a network is throttled");
    assertFalse(throttled("netb"));

    // released: sam is accepted again, and only reports made since count
    HttpResponse<String> released = node.admin("POST", "/holds/" + id + "/release", null);
    assertEquals(200, released.statusCode(), released.body());
    assertEquals("released", TestNode.json(released.body()).path("state").asText());
    assertEquals(202, send("m13", "neta:sam", "netb:fay", "sorry").statusCode());
    assertEquals(202, event("{\"type\":\"report\",\"from\":\"netb:erin\",\"id\":\"" + received.get("erin") + "\"}").statusCode());
    assertEquals(202, send("m14", "neta:sam", "netb:fay", "still here").statusCode(), "one report since the release");
    // confirmed: held until released
    assertEquals("confirmed", TestNode.json(node.admin("POST", "/holds/" + id + "/confirm", null).body()).path("state").asText());
    assertEquals(403, send("m15", "neta:sam", "netb:fay", "hi").statusCode());
    // held, sam invites nobody to a group either (answered as usual: the inviter learns nothing)
    String sam = signIn("neta:sam");
    HttpResponse<String> group = call("POST", "/v1/me/groups", sam, "{\"name\":\"deals\",\"invite\":[\"netb:fay\"]}");
    assertTrue(group.statusCode() < 300, group.body());
    assertTrue(node.get("/metrics").body().matches(
        "(?s).*parlor_group_invitations_total\\{[^}]*outcome=\"held\"[^}]*\\} 1\\.0.*"), "the invitation held");
    String metrics = node.get("/metrics").body();
    assertTrue(metrics.contains("parlor_safety_decisions_total{decision=\"held\""), "held counted");
    assertTrue(metrics.contains("parlor_safety_decisions_total{decision=\"confirmed\""), "the decision counted");
    assertTrue(metrics.contains("parlor_reports_forwarded_total"), "forwarding counted");

    // forget-me: the reports about sam and the hold go with sam; bob's reports with bob
    assertEquals(204, node.admin("DELETE", "/people/bob", null).statusCode());
    assertEquals(3, rows("reports"), "the reports by carol, dan and erin remain");
    assertEquals(204, node.admin("DELETE", "/people/sam", null).statusCode());
    assertEquals(0, rows("reports"));
    assertEquals(0, rows("holds"));
    assertTrue(UserApiIT.rowsMentioning(dir.resolve("parlor.db"), List.of("person:sam", "neta:sam", "person:bob")).isEmpty());
  }

  // --- helpers -------------------------------------------------------------------------------

  private HttpResponse<String> send(String id, String from, String to, String text) throws Exception {
    return node.send(from.substring(0, 4), from.startsWith("neta") ? TestNode.SECRET_A : TestNode.SECRET_B,
        TestNode.text(id, from, to, text));
  }

  private HttpResponse<String> event(String json) throws Exception {
    return node.signed("netb", TestNode.SECRET_B, "POST", "/v1/networks/netb/events", json);
  }

  private boolean throttled(String network) throws Exception {
    for (JsonNode n : TestNode.json(node.admin("GET", "/status", null).body()).path("networks")) {
      if (n.path("id").asText().equals(network)) {
        assertEquals("standard", n.path("trust").asText());
        return n.path("throttled").asBoolean();
      }
    }
    throw new AssertionError("no network " + network);
  }

  private List<LoggedRequest> reports() {
    List<LoggedRequest> out = new ArrayList<>(net.findAll(postRequestedFor(urlEqualTo("/reports"))));
    out.sort((a, b) -> a.getLoggedDate().compareTo(b.getLoggedDate()));
    return out;
  }

  private List<JsonNode> holds() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    TestNode.json(node.admin("GET", "/holds", null).body()).path("holds").forEach(out::add);
    return out;
  }

  private long rows(String table) throws Exception {
    try (java.sql.Connection c = TestNode.connect(dir.resolve("parlor.db"));
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
    return node.call(method, path, token, json);
  }

  private List<JsonNode> deliveredTo(String address) {
    return TestNode.deliveredTo(net, address);
  }

  private String signIn(String address) throws Exception {
    int before = deliveredTo(address).size();
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"" + address + "\"}").statusCode());
    TestNode.await("a code for " + address, WAIT, () -> deliveredTo(address).size() > before);
    Matcher m = CODE.matcher(deliveredTo(address).get(before).path("content").path("text").asText());
    assertTrue(m.find());
    HttpResponse<String> r = call("POST", "/v1/auth/verify", null,
        "{\"address\":\"" + address + "\",\"code\":\"" + m.group(1) + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body()).get("token").asText();
  }
}
