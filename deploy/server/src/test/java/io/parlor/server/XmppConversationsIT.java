package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.adapter.webhook.Signatures;
import io.parlor.adapter.xmpp.ProsodyServer;
import io.parlor.adapter.xmpp.XmppUser;
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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16's end-to-end test: an XMPP user on a real Prosody (her client played by Smack) and a
 * person on a webhook network (WireMock) talk through a real node — text, a reply, a reaction, a
 * correction, a retraction and read receipts both ways — and she signs in to Parlor with the code
 * it sends her over XMPP. Neither side ever sees the other's account.
 */
class XmppConversationsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "chat-secret-0123456789";
  private static final String COMPONENT = "parlor.localhost";
  private static final String COMPONENT_SECRET = "component-secret-0123456789";
  private static final String ALICE = "xmpp:alice@localhost";
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  ProsodyServer prosody;
  XmppUser alice;
  WireMockServer chat;
  Gateway node;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    prosody = new ProsodyServer(dir.resolve("prosody"), COMPONENT, COMPONENT_SECRET);
    prosody.register("alice", "alice-password");
    chat = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    chat.start();
    chat.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    chat.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    Path file = dir.resolve("xmpp.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("xmpp.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "networks:",
        "  - id: chat", "    type: webhook", "    secret: " + SECRET,
        "    deliveryUrl: " + chat.baseUrl() + "/messages", "    statusUrl: " + chat.baseUrl() + "/status",
        "    capabilities:", "      content: [media, reaction, edit, delete]", "      events: [read]",
        "  - id: xmpp", "    type: xmpp", "    component: " + COMPONENT, "    port: " + prosody.componentPort,
        "    secret: " + COMPONENT_SECRET, "    reconnectMin: PT0.05S",
        ""));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), Main.providers()).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    person("alice", ALICE, ",\"handle\":\"alice\"");
    person("bob", "chat:bob", ",\"handle\":\"bob\"");
    alice = new XmppUser(prosody, "alice", "alice-password");
  }

  @AfterEach
  void stop() throws Exception {
    if (alice != null) {
      alice.close();
    }
    if (node != null) {
      node.close(Duration.ofSeconds(2));
    }
    if (chat != null) {
      chat.stop();
    }
    if (prosody != null) {
      prosody.close();
    }
  }

  @Test
  void anXmppUserAndAWebhookPersonTalkWithRepliesReactionsCorrectionsAndReadReceipts() throws Exception {
    String bobJid = "bob@" + COMPONENT;
    // --- text: alice writes to bob's handle from her XMPP client (once the component is linked)
    awaitTrue("the component linked", () -> node.meters().scrape().contains("network=\"xmpp\""));
    alice.send(bobJid, "a-1", "hello bob, it's alice");
    JsonNode hello = awaitChat("her text", b -> b.path("content").path("text").asText().equals("hello bob, it's alice"));
    assertEquals("chat:bob", hello.path("to").asText());
    String aliceToBob = hello.path("from").asText();
    assertTrue(aliceToBob.startsWith("~") || aliceToBob.equals("@alice"), aliceToBob);
    String helloId = hello.path("id").asText();

    // --- a reply: bob answers her message; her client sees it from bob's JID, replying to her stanza
    assertEquals(202, send("b-1", "chat:bob", aliceToBob, "hi alice!", n -> n.put("replyTo", helloId)).statusCode());
    Message reply = alice.await("bob's reply", WAIT, m -> "hi alice!".equals(m.getBody()));
    String shownBob = reply.getFrom().asBareJid().toString();
    assertTrue(shownBob.endsWith("@" + COMPONENT), shownBob);
    assertEquals("a-1", XmppUser.attrs(reply, "reply", "urn:xmpp:reply:0").get("id"), reply.toXML().toString());
    String bobMessage = reply.getStanzaId();
    assertTrue(bobMessage.startsWith("p."), bobMessage);

    // --- a reaction (XEP-0444) to bob's message arrives natively, naming bob's own id
    alice.send(shownBob, "a-2", null, reactions(bobMessage, "\uD83D\uDC4D"));
    JsonNode reaction = awaitChat("her reaction", b -> b.path("content").path("type").asText().equals("reaction"));
    assertEquals("b-1", reaction.path("content").path("target").asText());
    assertEquals("\uD83D\uDC4D", reaction.path("content").path("emoji").asText());

    // --- a correction (XEP-0308) of her first message, from the chat it is in (bob's handle; his
    // replies show his relay handle, his default): an edit of the message bob received
    alice.send(bobJid, "a-3", "hello bob, it's alice \uD83D\uDE42",
        XmppUser.el("replace", "urn:xmpp:message-correct:0", null, "id", "a-1"));
    JsonNode edit = awaitChat("her correction", b -> b.path("content").path("type").asText().equals("edit"));
    assertEquals(helloId, edit.path("content").path("target").asText());
    assertEquals("hello bob, it's alice \uD83D\uDE42", edit.path("content").path("text").asText());

    // --- her reply (XEP-0461) to bob's message, with the quote her client added as a fallback
    String quote = "> hi alice!\n";
    alice.send(shownBob, "a-4", quote + "yes, hi!", XmppUser.el("reply", "urn:xmpp:reply:0", null, "to", shownBob, "id", bobMessage),
        fallback(quote.codePointCount(0, quote.length())));
    JsonNode herReply = awaitChat("her reply", b -> b.path("content").path("text").asText().equals("yes, hi!"));
    assertEquals("b-1", herReply.path("replyTo").asText(), herReply.toString());

    // --- read receipts: her client's displayed marker reaches bob's network as a read status
    alice.send(shownBob, "a-5", null, XmppUser.el("displayed", "urn:xmpp:chat-markers:0", null, "id", bobMessage));
    JsonNode read = awaitStatus(b -> b.path("id").asText().equals("b-1") && b.path("status").asText().equals("read"));
    assertNotNull(read);
    // ... and bob's read event shows on her client as a displayed marker of her stanza
    assertEquals(202, event("{\"type\":\"read\",\"from\":\"chat:bob\",\"to\":\"" + aliceToBob + "\",\"ids\":[\"" + helloId
        + "\"],\"at\":\"" + Instant.now() + "\"}").statusCode());
    Message marker = alice.await("bob's displayed marker", WAIT,
        m -> XmppUser.ext(m, "displayed", "urn:xmpp:chat-markers:0") != null);
    assertEquals("a-1", XmppUser.attrs(marker, "displayed", "urn:xmpp:chat-markers:0").get("id"));

    // --- bob edits and deletes his message: a XEP-0308 correction and a XEP-0424 retraction of it
    assertEquals(202, send("b-2", "chat:bob", aliceToBob, null, n -> n.putObject("content").put("type", "edit")
        .put("target", "b-1").put("text", "hi alice!!")).statusCode());
    Message corrected = alice.await("bob's correction", WAIT, m -> "hi alice!!".equals(m.getBody()));
    assertEquals(bobMessage, XmppUser.attrs(corrected, "replace", "urn:xmpp:message-correct:0").get("id"));
    assertEquals(202, send("b-3", "chat:bob", aliceToBob, null, n -> n.putObject("content").put("type", "delete")
        .put("target", "b-1")).statusCode());
    Message retracted = alice.await("bob's retraction", WAIT,
        m -> XmppUser.ext(m, "retract", "urn:xmpp:message-retract:1") != null);
    assertEquals(bobMessage, XmppUser.attrs(retracted, "retract", "urn:xmpp:message-retract:1").get("id"));

    // --- neither side saw the other's account
    for (JsonNode b : chatBodies("/messages")) {
      assertFalse(b.toString().contains("alice@localhost"), b.toString());
    }
    for (Message m : alice.received()) {
      assertFalse(m.toXML().toString().contains("chat:bob"), m.toXML().toString());
    }
  }

  @Test
  void sheSignsInWithTheCodeParlorSendsOverXmpp() throws Exception {
    awaitTrue("the component linked", () -> node.meters().scrape().contains("network=\"xmpp\""));
    HttpResponse<String> started = http.send(HttpRequest.newBuilder(uri("/v1/auth/start"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + ALICE + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, started.statusCode(), started.body());
    Message code = alice.await("a code", WAIT, m -> m.getBody() != null && m.getBody().matches("(?s).*\\b\\d{6}\\b.*"));
    assertEquals("parlor@" + COMPONENT, code.getFrom().asBareJid().toString(), "the code comes from @parlor");
    Matcher digits = Pattern.compile("\\b(\\d{6})\\b").matcher(code.getBody());
    assertTrue(digits.find());
    HttpResponse<String> verified = http.send(HttpRequest.newBuilder(uri("/v1/auth/verify"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"" + ALICE + "\",\"code\":\"" + digits.group(1) + "\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, verified.statusCode(), verified.body());
  }

  /** {@code <reactions xmlns='urn:xmpp:reactions:0' id='…'><reaction>👍</reaction></reactions>} */
  private static StandardExtensionElement reactions(String id, String emoji) {
    return StandardExtensionElement.builder("reactions", "urn:xmpp:reactions:0").addAttribute("id", id)
        .addElement(StandardExtensionElement.builder("reaction", "urn:xmpp:reactions:0").setText(emoji).build()).build();
  }

  /** XEP-0428: the body's first {@code end} characters are the reply's quote. */
  private static StandardExtensionElement fallback(int end) {
    return StandardExtensionElement.builder("fallback", "urn:xmpp:fallback:0").addAttribute("for", "urn:xmpp:reply:0")
        .addElement(StandardExtensionElement.builder("body", "urn:xmpp:fallback:0").addAttribute("start", "0")
            .addAttribute("end", String.valueOf(end)).build()).build();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.port() + path);
  }

  private void person(String name, String account, String extra) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/admin/v1/people/" + name))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"" + account + "\"],\"optIn\":true,"
            + "\"reachableBy\":\"everyone\"" + extra + "}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  private interface Fill {
    void fill(ObjectNode n);
  }

  private HttpResponse<String> send(String id, String from, String to, String text, Fill extra) throws Exception {
    ObjectNode n = JSON.createObjectNode();
    n.put("v", 2).put("id", id).put("from", from).put("to", to).put("sentAt", Instant.now().toString());
    if (text != null) {
      n.putObject("content").put("type", "text").put("text", text);
    }
    extra.fill(n);
    return signed("/v1/networks/chat/messages", n.toString());
  }

  private HttpResponse<String> event(String json) throws Exception {
    return signed("/v1/networks/chat/events", json);
  }

  private HttpResponse<String> signed(String path, String json) throws Exception {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return http.send(HttpRequest.newBuilder(uri(path))
        .header("Parlor-Signature", new Signatures(SECRET).sign(body, Instant.now()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> chatBodies(String path) {
    return chat.findAll(postRequestedFor(urlEqualTo(path))).stream().map(r -> {
      try {
        return JSON.readTree(r.getBodyAsString());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }).toList();
  }

  private JsonNode awaitChat(String what, Predicate<JsonNode> p) throws InterruptedException {
    return awaitIn("/messages", what, p);
  }

  private JsonNode awaitStatus(Predicate<JsonNode> p) throws InterruptedException {
    return awaitIn("/status", "a status", p);
  }

  private JsonNode awaitIn(String path, String what, Predicate<JsonNode> p) throws InterruptedException {
    long until = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < until) {
      for (JsonNode b : chatBodies(path)) {
        if (p.test(b)) {
          return b;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no " + what + " at " + path + " within " + WAIT + ": "
        + Stream.of("/messages", "/status").flatMap(x -> chatBodies(x).stream()).toList());
  }

  private static void awaitTrue(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
    long until = System.nanoTime() + WAIT.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
