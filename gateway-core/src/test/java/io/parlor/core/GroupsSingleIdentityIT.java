package io.parlor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 on a single-identity network (like a WhatsApp business number): quinn is in alice's
 * group from {@code wa}, where every message comes from one number. Group messages carry the
 * group; quinn's reply by the platform's reply context to a group message goes to the group,
 * even when her most recent conversation is with someone else; without context it goes to her
 * most recent conversation. On SMS with a number pool each of a member's groups has a number of
 * its own, and an SMS to it goes to that group.
 */
class GroupsSingleIdentityIT {
  private static final Pattern CODE = Pattern.compile("\\b(\\d{6})\\b");

  @TempDir Path dir;
  final FakeNetworkProvider fakes = new FakeNetworkProvider();
  final AtomicInteger ids = new AtomicInteger();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  Gateway node;

  @BeforeEach
  void start() throws Exception {
    Path file = dir.resolve("g.yaml");
    Files.writeString(file, TestNode.onTestStore(String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("g.db"),
        "networks:",
        "  - id: chat", "    type: fake",
        "  - id: wa", "    type: fake", "    presentation: single", "    self: \"wa:+15559999\"",
        "  - id: sms", "    type: fake", "    presentation: pool", "    pool: [\"sms:+15550001\", \"sms:+15550002\"]",
        "")));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), List.of(fakes)).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    put("alice", "{\"accounts\":[\"chat:alice\"],\"optIn\":true,\"handle\":\"alice\"}");
    put("bob", "{\"accounts\":[\"chat:bob\"],\"optIn\":true,\"handle\":\"bob\"}");
    put("quinn", "{\"accounts\":[\"wa:+447700900002\"],\"optIn\":true}");
    put("pat", "{\"accounts\":[\"sms:+447700900001\"],\"optIn\":true}");
  }

  @AfterEach
  void stop() {
    node.close(Duration.ofSeconds(1));
  }

  private HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void put(String person, String json) throws Exception {
    HttpResponse<String> r = call("PUT", "/admin/v1/people/" + person, null, json);
    assertEquals(200, r.statusCode(), r.body());
  }

  private String signIn(String network, String account) throws Exception {
    var a = fakes.adapters.get(network);
    int before = a.delivered.size();
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"" + account + "\"}").statusCode());
    TestNode.await("the code", Duration.ofSeconds(5), () -> a.delivered.size() > before);
    Matcher m = CODE.matcher(((Content.Text) a.delivered.get(before).content()).text());
    assertTrue(m.find());
    HttpResponse<String> r = call("POST", "/v1/auth/verify", null,
        "{\"address\":\"" + account + "\",\"code\":\"" + m.group(1) + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return TestNode.json(r.body()).get("token").asText();
  }

  private IngressResult send(String network, String from, String to, String text, String replyTo) {
    Envelope e = new Envelope(MessageId.of("t-" + ids.incrementAndGet()), Address.of(from), Address.of(to),
        Instant.now(), new Content.Text(text), null, replyTo == null ? null : MessageId.of(replyTo), null);
    return fakes.adapters.get(network).inject(e);
  }

  /** The index of the first delivery on {@code network} whose text contains {@code text}. */
  private int awaitText(String network, String text) throws InterruptedException {
    var a = fakes.adapters.get(network);
    TestNode.await(network + " gets \"" + text + "\"", Duration.ofSeconds(5), () -> indexOf(a.delivered, text) >= 0);
    return indexOf(a.delivered, text);
  }

  private static int indexOf(List<Envelope> delivered, String text) {
    for (int i = 0; i < delivered.size(); i++) {
      if (delivered.get(i).content() instanceof Content.Text t && t.text().contains(text)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void aReplyByContextToAGroupMessageGoesToTheGroup() throws Exception {
    String alice = signIn("chat", "chat:alice");
    String bob = signIn("chat", "chat:bob");
    String quinn = signIn("wa", "wa:+447700900002");
    HttpResponse<String> created = call("POST", "/v1/me/groups", alice,
        "{\"name\":\"Climbing\",\"invite\":[\"@bob\",\"wa:+447700900002\"]}");
    assertEquals(201, created.statusCode(), created.body());
    String id = TestNode.json(created.body()).get("id").asText();
    assertEquals(200, call("POST", "/v1/me/groups/" + id + "/join", bob, null).statusCode());
    assertEquals(200, call("POST", "/v1/me/groups/" + id + "/join", quinn, null).statusCode());
    JsonNode asAlice = TestNode.json(call("GET", "/v1/me/groups/" + id, alice, null).body());
    String aliceAddress = asAlice.get("address").asText();

    assertInstanceOf(IngressResult.Accepted.class,
        send("chat", "chat:alice", aliceAddress, "Saturday at the crag?", null));
    var wa = fakes.adapters.get("wa");
    int i = awaitText("wa", "Saturday at the crag?");
    Envelope atQuinn = wa.delivered.get(i);
    assertNotNull(atQuinn.group(), "the delivery names the group");
    assertEquals("Climbing", atQuinn.group().name());
    assertEquals("@alice", atQuinn.from().value());
    String wamid = wa.networkIds.get(i);
    // the leg's reference is recorded just after the hand-over
    TestNode.await("alice's status", Duration.ofSeconds(5), () -> !fakes.adapters.get("chat").statuses.isEmpty());

    // bob writes to quinn one to one: her most recent conversation is now bob's
    int settled = fakes.adapters.get("chat").statuses.size();
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "wa:+447700900002", "just us", null));
    awaitText("wa", "just us");
    TestNode.await("bob's status", Duration.ofSeconds(5), () -> fakes.adapters.get("chat").statuses.size() > settled);

    // quinn replies to the group message by context: the group gets it, alice and bob alike
    assertInstanceOf(IngressResult.Accepted.class, send("wa", "wa:+447700900002", "wa:+15559999", "count me in", wamid));
    var chat = fakes.adapters.get("chat");
    TestNode.await("alice and bob get quinn's reply", Duration.ofSeconds(5),
        () -> chat.delivered.stream().filter(e -> e.content() instanceof Content.Text t
            && t.text().equals("count me in") && e.group() != null).count() == 2);
    Envelope atAlice = chat.delivered.stream()
        .filter(e -> e.content() instanceof Content.Text t && t.text().equals("count me in")
            && e.group().id().value().equals(aliceAddress)).findFirst().orElseThrow();
    assertTrue(atAlice.from().value().startsWith("~"), "quinn as a relay handle, never her number");
    assertEquals("t-1", atAlice.replyTo() == null ? null : atAlice.replyTo().value(),
        "alice sees which of her messages it answers");

    // BLOCK answering the group's message blocks nobody (leave the group to block it): not alice,
    // and not bob, whose conversation with quinn is the most recent; it goes to no one
    assertInstanceOf(IngressResult.Refused.class, send("wa", "wa:+447700900002", "wa:+15559999", "BLOCK", wamid));
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", "wa:+447700900002", "still friends?", null));
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "wa:+447700900002", "and me?", null));
    assertTrue(chat.delivered.stream().noneMatch(e -> e.content() instanceof Content.Text t && t.text().equals("BLOCK")));
  }

  @Test
  void onSmsWithANumberPoolEachGroupHasItsOwnNumber() throws Exception {
    String alice = signIn("chat", "chat:alice");
    String pat = signIn("sms", "sms:+447700900001");
    String[] ids = new String[2];
    String[] names = {"Climbing", "Book club"};
    for (int g = 0; g < 2; g++) {
      HttpResponse<String> created = call("POST", "/v1/me/groups", alice,
          "{\"name\":\"" + names[g] + "\",\"invite\":[\"sms:+447700900001\"]}");
      assertEquals(201, created.statusCode(), created.body());
      ids[g] = TestNode.json(created.body()).get("id").asText();
      assertEquals(200, call("POST", "/v1/me/groups/" + ids[g] + "/join", pat, null).statusCode());
    }
    String[] numbers = new String[2];
    for (int g = 0; g < 2; g++) {
      String address = TestNode.json(call("GET", "/v1/me/groups/" + ids[g], alice, null).body()).get("address").asText();
      assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", address, "hello " + names[g], null));
      Envelope atPat = fakes.adapters.get("sms").delivered.get(awaitText("sms", "hello " + names[g]));
      assertEquals("[" + names[g] + "] @alice: hello " + names[g], ((Content.Text) atPat.content()).text(),
          "the text names the group and the sender");
      numbers[g] = atPat.from().value();
      assertTrue(numbers[g].startsWith("sms:+1555000"), "a pool number: " + numbers[g]);
    }
    assertTrue(!numbers[0].equals(numbers[1]), "one number per group");
    // pat texts the Climbing number: alice gets it in Climbing
    assertInstanceOf(IngressResult.Accepted.class, send("sms", "sms:+447700900001", numbers[0], "I'm in", null));
    var chat = fakes.adapters.get("chat");
    TestNode.await("pat's answer in Climbing", Duration.ofSeconds(5), () -> chat.delivered.stream()
        .anyMatch(e -> e.content() instanceof Content.Text t && t.text().equals("I'm in")
            && e.group() != null && e.group().name().equals("Climbing")));
  }
}
