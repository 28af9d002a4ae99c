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
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.adapter.webhook.Signatures;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 on SMS, through a real node and the SMSC built on the npm {@code smpp} package
 * (adapters/smpp/src/test/node/smsc.js): a version 2 chat network's user writes to a person on
 * SMS; reactions, media, edits and locations reach the SMS as their text fallbacks, a delete
 * cannot be done there, and the chat network learns each grade — after the SMSC's receipt, which
 * carries it through.
 */
class SmsConversationsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "chat-secret-0123456789";
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  NodeSmsc smsc;
  WireMockServer chat;
  Gateway node;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    smsc = new NodeSmsc(dir, WAIT);
    int port = smsc.port;

    chat = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    chat.start();
    chat.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    chat.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    Path file = dir.resolve("sms.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("sms.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "networks:",
        "  - id: chat", "    type: webhook", "    secret: " + SECRET,
        "    deliveryUrl: " + chat.baseUrl() + "/messages", "    statusUrl: " + chat.baseUrl() + "/status",
        "    capabilities:", "      content: [media, reaction, edit, delete, location]", "      events: [read]",
        "  - id: sms", "    type: smpp", "    host: 127.0.0.1", "    port: " + port,
        "    systemId: parlor", "    password: secret", "    numberPool: [\"+447700900001\"]",
        ""));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), Main.providers()).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    smsc.next("bound");
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/sam"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"sms:+447700900123\"],\"optIn\":true,\"handle\":\"sam\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close(Duration.ofSeconds(2));
    }
    if (chat != null) {
      chat.stop();
    }
    if (smsc != null) {
      smsc.close();
    }
  }

  /** The text of the next SMS the node submitted. */
  private String nextSms() throws InterruptedException {
    return smsc.nextSms().text();
  }

  private HttpResponse<String> send(String id, ObjectNode content, String to) throws Exception {
    ObjectNode n = JSON.createObjectNode();
    n.put("v", 2).put("id", id).put("from", "chat:alice").put("to", to).put("sentAt", Instant.now().toString());
    n.set("content", content);
    byte[] body = n.toString().getBytes(StandardCharsets.UTF_8);
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/networks/chat/messages"))
        .header("Parlor-Signature", new Signatures(SECRET).sign(body, Instant.now()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> bodies(String path) {
    return chat.findAll(postRequestedFor(urlEqualTo(path))).stream().map(r -> {
      try {
        return JSON.readTree(r.getBodyAsString());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }).collect(Collectors.toList());
  }

  private JsonNode statusOf(String id) throws InterruptedException {
    long end = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < end) {
      for (JsonNode s : bodies("/status")) {
        if (s.get("id").asText().equals(id)) {
          return s;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no status for " + id);
  }

  /**
   * Issue 14, item 1, over real SMPP: sam answers STOP to the pool number alice writes from; the
   * SMSC gets the confirmation for sam's phone, alice is refused after, and the STOP reached no
   * one.
   */
  @Test
  void stopAnsweredToThePoolNumberBlocksTheSenderOverSmpp() throws Exception {
    assertEquals(202, send("s-1", JSON.createObjectNode().put("type", "text").put("text", "buy now"), "@sam").statusCode());
    NodeSmsc.Sms first = smsc.nextSms();
    assertEquals("buy now", first.text());
    smsc.mo("+447700900123", "447700900001", "STOP");
    NodeSmsc.Sms confirmation = smsc.nextSms();
    assertTrue(confirmation.text().startsWith("Blocked:"), confirmation.text());
    assertEquals("447700900123", confirmation.dest(), "to sam's phone");
    HttpResponse<String> refused = send("s-2", JSON.createObjectNode().put("type", "text").put("text", "buy more"), "@sam");
    assertEquals(422, refused.statusCode(), refused.body());
    assertTrue(bodies("/messages").stream().noneMatch(b -> b.toString().contains("STOP")), "the STOP reached no one");
  }

  /**
   * Issue 14, item 1, in a real browser: sam, who got alice's SMS from a pool number, signs in with
   * the code sent to his phone and blocks that number on Parlor's page (Debian's Chromium); the
   * page shows the number, never alice, and alice is refused after.
   */
  @Test
  void thePoolNumberAnSmsCameFromIsBlockedOnTheWebPage() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/chromium"))) {
      org.junit.jupiter.api.Assertions.fail("Debian's Chromium is missing at /usr/bin/chromium: the web page test needs it"
          + " (apt-get install -y chromium; ./parlor test installs it)");
    }
    assertEquals(202, send("w-1", JSON.createObjectNode().put("type", "text").put("text", "buy now"), "@sam").statusCode());
    NodeSmsc.Sms sms = smsc.nextSms();
    assertEquals("447700900001", sms.source().replace("+", ""), "from the pool number");
    String base = "http://127.0.0.1:" + node.port();
    HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/auth/start"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"sms:+447700900123\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, start.statusCode(), start.body());
    java.util.regex.Matcher code = java.util.regex.Pattern.compile("\\b(\\d{6})\\b").matcher(smsc.nextSms().text());
    assertTrue(code.find(), "a code reached sam's phone");
    HttpResponse<String> verified = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/auth/verify"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"sms:+447700900123\",\"code\":\"" + code.group(1)
            + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, verified.statusCode(), verified.body());
    String token = JSON.readTree(verified.body()).get("token").asText();

    Path nodeDir = Path.of(System.getProperty("web.node.dir", "src/test/node")).toAbsolutePath();
    if (!Files.isDirectory(nodeDir.resolve("node_modules/playwright-core"))) {
      WebPageIT.Run npm = WebPageIT.run(nodeDir, Duration.ofMinutes(3), Map.of(), "npm", "ci", "--no-audit", "--no-fund");
      assertEquals(0, npm.exit(), "npm ci failed in " + nodeDir + ":\n" + npm.output());
    }
    Path shots = Path.of("target/web-screenshots").toAbsolutePath();
    WebPageIT.Run script = WebPageIT.run(nodeDir, Duration.ofSeconds(90), Map.of(),
        "node", "block-pool-test.mjs", base, token, "sms:+447700900001", shots.toString());
    assertEquals(0, script.exit(), "block-pool-test.mjs failed; its output:\n" + script.output());

    HttpResponse<String> me = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/me"))
        .header("authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(me.body().contains("\"sms:+447700900001\"") && !me.body().contains("alice"), me.body());
    HttpResponse<String> refused = send("w-2", JSON.createObjectNode().put("type", "text").put("text", "buy more"), "@sam");
    assertEquals(422, refused.statusCode(), "blocked: " + refused.body());
  }

  @Test
  void everyKindReachesAnSmsAsItsFallbackAndTheSenderLearnsTheGrade() throws Exception {
    assertEquals(202, send("m-1", JSON.createObjectNode().put("type", "text").put("text", "meet at noon?"), "@sam").statusCode());
    assertEquals("meet at noon?", nextSms());

    // sam answers the pool number: alice gets it on chat and reacts to it
    smsc.mo("+447700900123", "447700900001", "Yes, at the station by the north entrance, see you there");
    long end = System.nanoTime() + WAIT.toNanos();
    while (bodies("/messages").isEmpty() && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    JsonNode atAlice = bodies("/messages").get(0);
    String samShown = atAlice.get("from").asText();
    // the leg is recorded once alice's network has answered the POST, a moment after she sees it:
    // until then the target is unknown (422, nothing kept), so the reaction is retried
    int reacted = 0;
    end = System.nanoTime() + WAIT.toNanos();
    while (reacted != 202 && System.nanoTime() < end) {
      reacted = send("m-2", JSON.createObjectNode().put("type", "reaction")
          .put("target", atAlice.get("id").asText()).put("emoji", "\uD83D\uDC4D"), samShown).statusCode();
      if (reacted != 202) {
        assertEquals(422, reacted);
        Thread.sleep(20);
      }
    }
    assertEquals(202, reacted);
    assertEquals("\uD83D\uDC4D to \"Yes, at the station by the north entranc\u2026\"", nextSms());

    assertEquals(202, send("m-3", JSON.createObjectNode().put("type", "media").put("kind", "image")
        .put("url", "https://media.example.org/p/1.jpg").put("mimeType", "image/jpeg").put("size", 2048)
        .put("sha256", "a".repeat(64)), samShown).statusCode());
    assertEquals("\uD83D\uDCF7 photo: https://media.example.org/p/1.jpg", nextSms());
    HttpResponse<String> edited = send("m-4", JSON.createObjectNode().put("type", "edit").put("target", "m-1")
        .put("text", "meet at one?"), samShown);
    assertEquals(202, edited.statusCode(), edited.body() + " to " + samShown);
    assertEquals("\u270F\uFE0F \"meet at one?\"", nextSms());
    assertEquals(202, send("m-5", JSON.createObjectNode().put("type", "location")
        .put("latitude", 51.5007).put("longitude", -0.1246), samShown).statusCode());
    assertEquals("\uD83D\uDCCD geo:51.5007,-0.1246", nextSms());
    assertEquals(202, send("m-6", JSON.createObjectNode().put("type", "delete").put("target", "m-3"), samShown).statusCode());

    for (String id : List.of("m-2", "m-3", "m-4", "m-5")) {
      JsonNode s = statusOf(id);
      assertEquals("delivered", s.get("status").asText(), id);
      assertEquals("fallback", s.get("as").asText(), id + ": the grade rides the SMSC's receipt");
    }
    assertEquals("delivered", statusOf("m-1").get("status").asText());
    assertTrue(!statusOf("m-1").has("as"), "text has no grade");
    JsonNode del = statusOf("m-6");
    assertEquals("failed", del.get("status").asText());
    assertEquals("delete_unsupported", del.get("reason").asText());
  }
}
