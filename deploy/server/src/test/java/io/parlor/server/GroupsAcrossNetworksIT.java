package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's end-to-end test, with the real adapters: one group whose members sit on three kinds
 * of network — alice on a webhook chat network (WireMock), sam on SMS (the node SMSC on the npm
 * {@code smpp} package, a number pool) and walt on WhatsApp (WireMock playing the Graph API).
 * Invitations, sign-in and join through each network; a message reaching all; sam's SMS reply to
 * the group's pool number reaching the others in the group; the size limit; walt leaving and
 * getting nothing after; a former member refused (403 {@code not_a_member}) and a stranger told
 * nothing.
 */
class GroupsAcrossNetworksIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "chat-secret-0123456789";
  private static final String WA_NUMBER_ID = "106540352242922";
  private static final String WALT = "15551234567";
  private static final String SAM = "447700900123";
  private static final List<String> POOL = List.of("447700900001", "447700900002");
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  NodeSmsc smsc;
  WireMockServer chat;
  WireMockServer graph;
  Gateway node;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    smsc = new NodeSmsc(dir, WAIT);
    chat = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    chat.start();
    chat.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    chat.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    graph = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    graph.start();
    graph.stubFor(post(urlEqualTo("/v21.0/" + WA_NUMBER_ID + "/messages")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"" + WALT + "\",\"wa_id\":\"" + WALT
            + "\"}],\"messages\":[{\"id\":\"wamid.OUT\"}]}")));
    Path file = dir.resolve("groups.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("groups.db"),
        "policy:", "  maxGroupSize: 3",
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "networks:",
        "  - id: chat", "    type: webhook", "    secret: " + SECRET,
        "    deliveryUrl: " + chat.baseUrl() + "/messages", "    statusUrl: " + chat.baseUrl() + "/status",
        "  - id: sms", "    type: smpp", "    host: 127.0.0.1", "    port: " + smsc.port,
        "    systemId: parlor", "    password: secret",
        "    numberPool: [\"+" + POOL.get(0) + "\", \"+" + POOL.get(1) + "\"]",
        "  - id: whatsapp", "    type: whatsapp", "    phoneNumberId: \"" + WA_NUMBER_ID + "\"",
        "    accessToken: wa-access-token-xyz", "    appSecret: wa-app-secret-0123456789", "    verifyToken: wa-verify",
        "    graphBaseUrl: " + graph.baseUrl(), "    graphVersion: v21.0",
        ""));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), Main.providers()).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    smsc.next("bound");
    person("alice", "chat:alice", ",\"handle\":\"alice\"");
    person("bob", "chat:bob", "");
    person("una", "chat:una", "");
    person("sam", "sms:+" + SAM, "");
    person("walt", "whatsapp:+" + WALT, "");
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close(Duration.ofSeconds(2));
    }
    for (WireMockServer w : new WireMockServer[] {chat, graph}) {
      if (w != null) {
        w.stop();
      }
    }
    if (smsc != null) {
      smsc.close();
    }
  }

  @Test
  void oneGroupAcrossAWebhookNetworkSmsAndWhatsApp() throws Exception {
    String alice = signIn("chat:alice", () -> chatMessage(b -> b.path("to").asText().equals("chat:alice")));
    HttpResponse<String> created = api(alice, "POST", "/v1/me/groups",
        "{\"name\":\"Climbing\",\"invite\":[\"sms:+" + SAM + "\",\"whatsapp:+" + WALT + "\"]}");
    assertEquals(201, created.statusCode(), created.body());
    String group = JSON.readTree(created.body()).get("id").asText();

    // --- the invitations reach sam by SMS and walt on WhatsApp, from @parlor; both join
    NodeSmsc.Sms invitation = smsc.nextSmsSaying("Climbing");
    assertEquals(SAM, invitation.dest());
    assertTrue(invitation.text().contains("@alice invites you"), invitation.text());
    awaitWhatsApp(t -> t.contains("@alice invites you") && t.contains("Climbing"));
    String sam = signIn("sms:+" + SAM, () -> Optional.of(smsc.nextSms().text()));
    String walt = signIn("whatsapp:+" + WALT, () -> whatsAppText(t -> t.matches("(?s).*\\b\\d{6}\\b.*")));
    assertEquals(200, api(sam, "POST", "/v1/me/groups/" + group + "/join", null).statusCode());
    assertEquals(200, api(walt, "POST", "/v1/me/groups/" + group + "/join", null).statusCode());
    JsonNode shown = JSON.readTree(api(alice, "GET", "/v1/me/groups/" + group, null).body());
    assertEquals(3, shown.get("members").size(), shown.toString());
    String address = shown.get("address").asText();

    // --- one message reaches all, each on their own network, the group named before the sender
    assertEquals(202, send("c-1", "chat:alice", address, "Saturday at the crag?").statusCode());
    NodeSmsc.Sms atSam = smsc.nextSmsSaying("Saturday at the crag?");
    assertEquals("[Climbing] @alice: Saturday at the crag?", atSam.text());
    assertTrue(POOL.contains(atSam.source()), "from a pool number of (sam, group): " + atSam);
    awaitWhatsApp(t -> t.equals("[Climbing] @alice: Saturday at the crag?"));
    JsonNode status = statusOf("c-1");
    assertEquals("delivered", status.get("status").asText());
    assertEquals(2, status.get("members").get("delivered").asInt(), status.toString());

    // --- sam answers that pool number by SMS: the others get it in the group
    smsc.mo("+" + SAM, atSam.source(), "I'm in, bringing the rope");
    JsonNode atAlice = awaitChat(b -> b.path("content").path("text").asText().equals("I'm in, bringing the rope"));
    assertEquals(address, atAlice.get("group").get("id").asText());
    assertEquals("Climbing", atAlice.get("group").get("name").asText());
    String samAsAlice = atAlice.get("from").asText();
    assertTrue(samAsAlice.startsWith("~"), "sam's number is never shown: " + atAlice);
    String atWalt = awaitWhatsApp(t -> t.endsWith(": I'm in, bringing the rope"));
    assertTrue(atWalt.matches("\\[Climbing\\] ~[a-z0-9]+: I'm in, bringing the rope"), atWalt);
    assertFalse(chat.getAllServeEvents().toString().contains(SAM) || graphBodies().contains(SAM),
        "sam's number reaches no other network");

    // --- the size limit, and someone who is not a member
    HttpResponse<String> full = api(alice, "POST", "/v1/me/groups/" + group + "/invite", "{\"invite\":[\"chat:una\"]}");
    assertEquals(409, full.statusCode(), full.body());
    assertEquals("group_full", JSON.readTree(full.body()).get("error").get("code").asText());
    // a group address is its member's own: to anyone else it is like a relay handle that does not exist
    HttpResponse<String> outsider = send("b-1", "chat:bob", address, "let me in");
    assertEquals(422, outsider.statusCode(), outsider.body());
    assertEquals("recipient_unreachable", JSON.readTree(outsider.body()).get("error").get("code").asText());

    // --- walt leaves: the next message reaches sam and not walt
    assertEquals(204, api(walt, "POST", "/v1/me/groups/" + group + "/leave", null).statusCode());
    assertEquals(202, send("c-2", "chat:alice", address, "Sunday instead").statusCode());
    assertEquals("[Climbing] @alice: Sunday instead", smsc.nextSmsSaying("Sunday instead").text());
    JsonNode after = statusOf("c-2");
    assertEquals(1, after.get("members").get("delivered").asInt(), after.toString());
    assertEquals(0, after.get("members").get("pending").asInt(), "every leg ended: " + after);
    assertFalse(graphBodies().contains("Sunday instead"), "walt got nothing after leaving");

    // --- una takes walt's place, then leaves: writing to her old group address is 403 not_a_member
    assertEquals(202, api(alice, "POST", "/v1/me/groups/" + group + "/invite", "{\"invite\":[\"chat:una\"]}").statusCode());
    String una = signIn("chat:una", () -> chatMessage(b -> b.path("to").asText().equals("chat:una")
        && b.path("content").path("text").asText().matches("(?s).*\\b\\d{6}\\b.*")));
    assertEquals(200, api(una, "POST", "/v1/me/groups/" + group + "/join", null).statusCode());
    String unaAddress = JSON.readTree(api(una, "GET", "/v1/me/groups/" + group, null).body()).get("address").asText();
    assertEquals(202, send("u-1", "chat:una", unaAddress, "hello all").statusCode());
    String unaAtSam = smsc.nextSmsSaying("hello all").text();
    assertTrue(unaAtSam.matches("\\[Climbing\\] ~[a-z0-9]+: hello all"), "una's message reached sam: " + unaAtSam);
    assertEquals(204, api(una, "POST", "/v1/me/groups/" + group + "/leave", null).statusCode());
    HttpResponse<String> former = send("u-2", "chat:una", unaAddress, "still there?");
    assertEquals(403, former.statusCode(), former.body());
    assertEquals("not_a_member", JSON.readTree(former.body()).get("error").get("code").asText());
  }

  // --- helpers

  private void person(String id, String account, String extra) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/admin/v1/people/" + id))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"" + account + "\"],\"optIn\":true,"
            + "\"reachableBy\":\"everyone\"" + extra + "}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  /** A source of the texts that may carry a one-time code, polled until one does. */
  @FunctionalInterface
  private interface Texts {
    Optional<String> next() throws Exception;
  }

  /** Signs in with the code Parlor sends to {@code account} through its own network. */
  private String signIn(String account, Texts texts) throws Exception {
    HttpResponse<String> started = http.send(HttpRequest.newBuilder(uri("/v1/auth/start"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + account + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, started.statusCode(), started.body());
    long end = System.nanoTime() + WAIT.toNanos();
    Pattern code = Pattern.compile("\\b(\\d{6})\\b");
    while (System.nanoTime() < end) {
      Optional<String> t = texts.next();
      Matcher m = code.matcher(t.orElse(""));
      if (m.find()) {
        HttpResponse<String> verified = http.send(HttpRequest.newBuilder(uri("/v1/auth/verify"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + account + "\",\"code\":\"" + m.group(1) + "\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, verified.statusCode(), verified.body());
        return JSON.readTree(verified.body()).get("token").asText();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no code reached " + account);
  }

  private HttpResponse<String> api(String token, String method, String path, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).header("authorization", "Bearer " + token)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String id, String from, String to, String text) throws Exception {
    ObjectNode n = JSON.createObjectNode();
    n.put("v", 2).put("id", id).put("from", from).put("to", to).put("sentAt", Instant.now().toString());
    n.putObject("content").put("type", "text").put("text", text);
    byte[] body = n.toString().getBytes(StandardCharsets.UTF_8);
    return http.send(HttpRequest.newBuilder(uri("/v1/networks/chat/messages"))
        .header("Parlor-Signature", new Signatures(SECRET).sign(body, Instant.now()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> chatBodies(String path) {
    return chat.findAll(postRequestedFor(urlEqualTo(path))).stream().map(r -> tree(r.getBodyAsString())).toList();
  }

  private Optional<String> chatMessage(Predicate<JsonNode> p) {
    return chatBodies("/messages").stream().filter(p).reduce((a, b) -> b).map(b -> b.path("content").path("text").asText());
  }

  private JsonNode awaitChat(Predicate<JsonNode> p) throws InterruptedException {
    await("a chat message", () -> chatBodies("/messages").stream().anyMatch(p));
    return chatBodies("/messages").stream().filter(p).findFirst().orElseThrow();
  }

  private String graphBodies() {
    return String.join("\n", graph.findAll(postRequestedFor(urlEqualTo("/v21.0/" + WA_NUMBER_ID + "/messages"))).stream()
        .map(r -> r.getBodyAsString()).toList());
  }

  /** The newest WhatsApp text to walt matching {@code p}. */
  private Optional<String> whatsAppText(Predicate<String> p) {
    return graph.findAll(postRequestedFor(urlEqualTo("/v21.0/" + WA_NUMBER_ID + "/messages"))).stream()
        .map(r -> tree(r.getBodyAsString()))
        .filter(b -> b.path("to").asText().replace("+", "").equals(WALT))
        .map(b -> b.path("text").path("body").asText())
        .filter(p)
        .reduce((a, b) -> b);
  }

  private String awaitWhatsApp(Predicate<String> p) throws InterruptedException {
    await("a WhatsApp message to walt", () -> whatsAppText(p).isPresent());
    return whatsAppText(p).orElseThrow();
  }

  private JsonNode statusOf(String id) throws InterruptedException {
    await("the status of " + id, () -> chatBodies("/status").stream().anyMatch(s -> s.path("id").asText().equals(id)));
    return chatBodies("/status").stream().filter(s -> s.path("id").asText().equals(id)).reduce((a, b) -> b).orElseThrow();
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
    long until = System.nanoTime() + WAIT.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.port() + path);
  }
}
