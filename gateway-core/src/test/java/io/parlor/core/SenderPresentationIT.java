package io.parlor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replies on networks that cannot show relay handles: number masking from an operator's pool
 * (SMS) and a single business identity with reply context (WhatsApp, Messenger).
 */
class SenderPresentationIT {
  @TempDir Path dir;
  final FakeNetworkProvider fakes = new FakeNetworkProvider();
  final AtomicInteger ids = new AtomicInteger();
  Gateway node;
  TestNode http;
  final TestClock clock = new TestClock();

  @BeforeEach
  void start() throws Exception {
    Path file = dir.resolve("p.yaml");
    Files.writeString(file, TestNode.onTestStore(String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("p.db"),
        "networks:",
        "  - id: chat", "    type: fake",
        "  - id: sms", "    type: fake", "    presentation: pool", "    pool: [\"sms:+15550001\", \"sms:+15550002\"]",
        "  - id: wa", "    type: fake", "    presentation: single", "    self: \"wa:+15559999\"",
        "  - id: fb", "    type: fake", "    presentation: single", "    self: \"fb:page\"",
        "")));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), List.of(fakes)).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), clock);
    put("pat", "{\"accounts\":[\"sms:+447700900001\"],\"optIn\":true,\"handle\":\"pat\"}");
    put("quinn", "{\"accounts\":[\"wa:+447700900002\",\"fb:7000001\"],\"optIn\":true}");
  }

  @AfterEach
  void stop() {
    node.close(Duration.ofSeconds(1));
  }

  private void put(String person, String json) throws Exception {
    var client = java.net.http.HttpClient.newHttpClient();
    var resp = client.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/" + person))
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, resp.statusCode(), resp.body());
  }

  private IngressResult send(String network, String from, String to, String text, String replyTo) {
    Envelope e = new Envelope(MessageId.of("t-" + ids.incrementAndGet()), Address.of(from), Address.of(to),
        clock.instant(), new Content.Text(text), null, replyTo == null ? null : MessageId.of(replyTo), null);
    return fakes.adapters.get(network).inject(e);
  }

  private Envelope awaitDelivery(String network, int count) throws InterruptedException {
    var a = fakes.adapters.get(network);
    TestNode.await(network + " delivery #" + count, Duration.ofSeconds(5), () -> a.delivered.size() >= count);
    return a.delivered.get(count - 1);
  }

  private static String text(Envelope e) {
    return ((Content.Text) e.content()).text();
  }

  private long rows(String table) throws Exception {
    try (java.sql.Connection c = TestNode.connect(dir.resolve("p.db"));
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void delete(String person) throws Exception {
    var resp = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/" + person))
            .DELETE().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(204, resp.statusCode(), resp.body());
  }

  /**
   * A pool number stands for its counterpart like a relay handle: it lives {@code policy.threadTtl}
   * after its last use by either side, then goes. A single identity's most recent conversation is
   * reply metadata: gone after {@code policy.metadataRetention}.
   */
  @Test
  void poolNumbersGoWhenIdleAndRecentConversationsAfterTheRetentionWindow() throws Exception {
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", "sms:+447700900001", "hi pat", null));
    assertEquals("sms:+15550001", awaitDelivery("sms", 1).from().value());
    send("chat", "chat:alice", "wa:+447700900002", "hi quinn", null);
    awaitDelivery("wa", 1);
    TestNode.await("bookkeeping of both deliveries", Duration.ofSeconds(5),
        () -> fakes.adapters.get("chat").statuses.size() >= 2);
    assertEquals(1, rows("recent_conversations"));
    // pat answers every 20 days; alice never writes again
    for (int i = 1; i <= 3; i++) {
      assertInstanceOf(IngressResult.Accepted.class, send("sms", "sms:+447700900001", "sms:+15550001", "ping", null),
          "pat's number for alice, after " + (i - 1) * 20 + " days");
      awaitDelivery("chat", i);
      clock.advance(Duration.ofDays(20));
      node.housekeepNow().join();
    }
    assertEquals(0, rows("recent_conversations"), "past the 7-day window");
    // quinn's answer without context has no recent conversation left to continue
    assertInstanceOf(IngressResult.Refused.class, send("wa", "wa:+447700900002", "wa:+15559999", "still there?", null));
    assertEquals(1, rows("pool_numbers"), "in use by pat (alice's last message was 60 days ago)");
    clock.advance(Duration.ofDays(11));
    node.housekeepNow().join();
    assertEquals(0, rows("pool_numbers"), "idle for longer than threadTtl");
    assertInstanceOf(IngressResult.Refused.class, send("sms", "sms:+447700900001", "sms:+15550001", "hello?", null));
  }

  private java.net.http.HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
    var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port() + path))
        .header("content-type", "application/json")
        .method(method, json == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    return java.net.http.HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  /** Issue 14, item 1: the pool number a message came from blocks the sender behind it. */
  @Test
  void aPersonBlocksTheSenderBehindAPoolNumber() throws Exception {
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", "sms:+447700900001", "buy now", null));
    assertEquals("sms:+15550001", awaitDelivery("sms", 1).from().value());
    // pat signs in with a code sent to his phone
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"sms:+447700900001\"}").statusCode());
    Envelope code = awaitDelivery("sms", 2);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(\\d{6})\\b").matcher(text(code));
    assertTrue(m.find(), text(code));
    var verified = call("POST", "/v1/auth/verify", null,
        "{\"address\":\"sms:+447700900001\",\"code\":\"" + m.group(1) + "\"}");
    assertEquals(200, verified.statusCode(), verified.body());
    String token = TestNode.json(verified.body()).get("token").asText();
    var blocked = call("POST", "/v1/me/blocks", token, "{\"address\":\"sms:+15550001\"}");
    assertEquals(200, blocked.statusCode(), blocked.body());
    assertTrue(blocked.body().contains("sms:+15550001") && !blocked.body().contains("alice"), blocked.body());
    assertInstanceOf(IngressResult.Refused.class, send("chat", "chat:alice", "sms:+447700900001", "buy more", null));
    // bob, who writes to pat through the other number, is not blocked
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "sms:+447700900001", "hi pat", null));
  }

  /**
   * Issue 14, item 1: STOP answered to the pool number a sender writes from blocks that sender
   * (on every network), is confirmed by a short reply and delivered to nobody; a retry of it is a
   * duplicate; the person sees the block as the number.
   */
  @Test
  void stopAnsweredToAPoolNumberBlocksTheSenderBehindIt() throws Exception {
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", "sms:+447700900001", "buy now", null));
    assertEquals("sms:+15550001", awaitDelivery("sms", 1).from().value());
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "sms:+447700900001", "hi pat", null));
    assertEquals("sms:+15550002", awaitDelivery("sms", 2).from().value());

    Envelope stop = new Envelope(MessageId.of("stop-1"), Address.of("sms:+447700900001"), Address.of("sms:+15550001"),
        clock.instant(), new Content.Text(" Stop "), null, null, null);
    assertInstanceOf(IngressResult.Accepted.class, fakes.adapters.get("sms").inject(stop));
    Envelope confirmed = awaitDelivery("sms", 3);
    assertEquals("sms:+447700900001", confirmed.to().value());
    assertEquals("@parlor", confirmed.from().value());
    assertTrue(text(confirmed).startsWith("Blocked"), text(confirmed));
    assertInstanceOf(IngressResult.Duplicate.class, fakes.adapters.get("sms").inject(stop), "a retry of the STOP");

    assertInstanceOf(IngressResult.Refused.class, send("chat", "chat:alice", "sms:+447700900001", "buy more", null));
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "sms:+447700900001", "still there?", null),
        "only the sender behind that number is blocked");
    awaitDelivery("sms", 4);
    assertTrue(fakes.adapters.get("chat").delivered.stream().noneMatch(e -> text(e).trim().equalsIgnoreCase("stop")),
        "the STOP went to nobody");
    // pat sees the block as the number it came from, and lifts it by that number
    assertEquals(202, call("POST", "/v1/auth/start", null, "{\"address\":\"sms:+447700900001\"}").statusCode());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(\\d{6})\\b").matcher(text(awaitDelivery("sms", 5)));
    assertTrue(m.find());
    String token = TestNode.json(call("POST", "/v1/auth/verify", null,
        "{\"address\":\"sms:+447700900001\",\"code\":\"" + m.group(1) + "\"}").body()).get("token").asText();
    var me = call("GET", "/v1/me", token, null);
    assertTrue(me.body().contains("\"sms:+15550001\"") && !me.body().contains("alice"), me.body());
    assertEquals(200, call("DELETE", "/v1/me/blocks/sms:+15550001", token, null).statusCode());
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", "sms:+447700900001", "hello again", null));
  }

  /**
   * BLOCK answered on a single-identity network blocks the sender of the message answered (else
   * of the most recent conversation there); someone with no conversation gets the usual
   * explanation, nothing blocked.
   */
  @Test
  void blockAnsweredOnASingleIdentityBlocksTheSenderOfTheMessageAnswered() throws Exception {
    send("chat", "chat:alice", "wa:+447700900002", "from alice", null);
    awaitDelivery("wa", 1);
    String wamidAlice = fakes.adapters.get("wa").networkIds.get(0);
    send("chat", "chat:bob", "wa:+447700900002", "from bob", null);
    awaitDelivery("wa", 2);
    TestNode.await("bookkeeping of both deliveries", Duration.ofSeconds(5),
        () -> fakes.adapters.get("chat").statuses.size() >= 2);

    // bob's is the most recent conversation, but quinn answers alice's message
    assertInstanceOf(IngressResult.Accepted.class, send("wa", "wa:+447700900002", "wa:+15559999", "BLOCK", wamidAlice));
    assertTrue(text(awaitDelivery("wa", 3)).startsWith("Blocked"));
    assertInstanceOf(IngressResult.Refused.class, send("chat", "chat:alice", "wa:+447700900002", "again", null));
    assertInstanceOf(IngressResult.Refused.class, send("chat", "chat:alice", "fb:7000001", "on messenger", null),
        "blocked on every network quinn linked");
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "wa:+447700900002", "bob again", null));
    awaitDelivery("wa", 4);
    // a stranger's BLOCK blocks nothing and is answered like any unroutable message
    assertInstanceOf(IngressResult.Refused.class, send("wa", "wa:+447700900333", "wa:+15559999", "block", null));
    assertTrue(text(awaitDelivery("wa", 5)).contains("Start it with @name"));
    // a BLOCK answering a message Parlor does not know blocks nobody (not the most recent instead)
    assertInstanceOf(IngressResult.Refused.class, send("wa", "wa:+447700900002", "wa:+15559999", "block", "wamid.unknown"));
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "wa:+447700900002", "bob still", null));
    // quinn sees the block as the relay handle alice's messages came from
    String aliceShown = fakes.adapters.get("wa").delivered.get(0).from().value();
    List<String> shown = new java.util.ArrayList<>();
    try (java.sql.Connection c = TestNode.connect(dir.resolve("p.db"));
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT shown FROM blocks")) {
      while (rs.next()) {
        shown.add(rs.getString(1));
      }
    }
    assertTrue(aliceShown.startsWith("~"), aliceShown);
    assertEquals(List.of(aliceShown), shown);
  }

  /**
   * Issue 14, item 2 (by reply): REPORT answered to a pool number, or on a single identity to the
   * message it answers, blocks that sender like STOP, is confirmed as a report, and is counted
   * (one row per report, naming no one in clear).
   */
  @Test
  void reportAnsweredBlocksTheSenderAndCountsTheReport() throws Exception {
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", "sms:+447700900001", "buy now", null));
    assertEquals("sms:+15550001", awaitDelivery("sms", 1).from().value());
    assertInstanceOf(IngressResult.Accepted.class, send("sms", "sms:+447700900001", "sms:+15550001", "REPORT", null));
    assertTrue(text(awaitDelivery("sms", 2)).startsWith("Reported"), text(fakes.adapters.get("sms").delivered.get(1)));
    assertInstanceOf(IngressResult.Refused.class, send("chat", "chat:alice", "sms:+447700900001", "buy more", null));
    assertEquals(1, rows("reports"));

    send("chat", "chat:bob", "wa:+447700900002", "from bob", null);
    awaitDelivery("wa", 1);
    // the adapter has it; its reference (by which the reply names it) commits just after
    TestNode.await("bob's delivery recorded", Duration.ofSeconds(5), () -> {
      try {
        return rows("messages") == 0;
      } catch (Exception notYet) {
        return false;
      }
    });
    String wamid = fakes.adapters.get("wa").networkIds.get(0);
    assertInstanceOf(IngressResult.Accepted.class, send("wa", "wa:+447700900002", "wa:+15559999", "report.", wamid));
    assertTrue(text(awaitDelivery("wa", 2)).startsWith("Reported"));
    assertInstanceOf(IngressResult.Refused.class, send("chat", "chat:bob", "fb:7000001", "hi", null), "blocked everywhere");
    assertEquals(2, rows("reports"));
    assertTrue(fakes.adapters.get("chat").delivered.stream().noneMatch(e -> text(e).toLowerCase().contains("report")),
        "the REPORT went to nobody");
  }

  @Test
  void forgettingAPersonLeavesNoPoolNumberOrRecentConversationNamingThem() throws Exception {
    send("chat", "chat:alice", "sms:+447700900001", "hi pat", null);
    awaitDelivery("sms", 1);
    send("chat", "chat:alice", "wa:+447700900002", "hi quinn", null);
    awaitDelivery("wa", 1);
    TestNode.await("bookkeeping of both deliveries", Duration.ofSeconds(5),
        () -> fakes.adapters.get("chat").statuses.size() >= 2);
    assertEquals(1, rows("pool_numbers"));
    assertEquals(1, rows("recent_conversations"));
    delete("pat");
    delete("quinn");
    List<String> left = UserApiIT.rowsMentioning(dir.resolve("p.db"),
        List.of("person:pat", "+447700900001", "person:quinn", "+447700900002"));
    assertTrue(left.isEmpty(), left.toString());
  }

  @Test
  void numberMaskingGivesEachCounterpartItsOwnPoolNumber() throws Exception {
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:alice", "sms:+447700900001", "from alice", null));
    Envelope fromAlice = awaitDelivery("sms", 1);
    assertInstanceOf(IngressResult.Accepted.class, send("chat", "chat:bob", "sms:+447700900001", "from bob", null));
    Envelope fromBob = awaitDelivery("sms", 2);
    assertEquals("sms:+15550001", fromAlice.from().value());
    assertEquals("sms:+15550002", fromBob.from().value());
    assertEquals("sms:+15550001", (send("chat", "chat:alice", "sms:+447700900001", "again", null) instanceof IngressResult.Accepted
        ? awaitDelivery("sms", 3) : null).from().value(), "the pair keeps its number");

    // pat answers bob's number: bob gets it (from a relay handle, never pat's phone number)
    assertInstanceOf(IngressResult.Accepted.class, send("sms", "sms:+447700900001", "sms:+15550002", "hi bob", null));
    Envelope toBob = awaitDelivery("chat", 1);
    assertEquals("chat:bob", toBob.to().value());
    assertEquals("hi bob", text(toBob));
    assertTrue(toBob.from().value().startsWith("~"));

    // pool exhausted: carol gets the least recently used number (bob's, alice wrote later)
    send("chat", "chat:carol", "sms:+447700900001", "from carol", null);
    assertEquals("sms:+15550002", awaitDelivery("sms", 4).from().value());
    send("sms", "sms:+447700900001", "sms:+15550002", "hi carol", null);
    assertEquals("chat:carol", awaitDelivery("chat", 2).to().value(), "the reused number now reaches carol");
    // a stranger cannot use pat's pool mapping
    assertInstanceOf(IngressResult.Refused.class, send("sms", "sms:+447700900777", "sms:+15550001", "x", null));
  }

  @Test
  void singleIdentityRoutesRepliesByContextElseMostRecent() throws Exception {
    send("chat", "chat:alice", "wa:+447700900002", "from alice", null);
    Envelope a = awaitDelivery("wa", 1);
    assertTrue(a.from().value().startsWith("~"), "the adapter shows the relay name in the text");
    String wamidAlice = fakes.adapters.get("wa").networkIds.get(0);
    send("chat", "chat:bob", "wa:+447700900002", "from bob", null);
    awaitDelivery("wa", 2);
    TestNode.await("bookkeeping of both deliveries", Duration.ofSeconds(5),
        () -> fakes.adapters.get("chat").statuses.size() >= 2);

    // quinn replies to alice's message by context
    assertInstanceOf(IngressResult.Accepted.class, send("wa", "wa:+447700900002", "wa:+15559999", "re alice", wamidAlice));
    Envelope r1 = awaitDelivery("chat", 1);
    assertEquals("chat:alice", r1.to().value());
    assertEquals("t-1", r1.replyTo().value(),
        "the reply names alice's message as alice's network knows it (its own id), not the wamid");
    // no context: the most recent conversation, which quinn's reply made alice's
    send("wa", "wa:+447700900002", "wa:+15559999", "still alice", null);
    assertEquals("chat:alice", awaitDelivery("chat", 2).to().value());
    // bob writes again: now bob's is the most recent (once the delivery's bookkeeping is
    // committed, which the status to bob's network follows)
    int settled = fakes.adapters.get("chat").statuses.size();
    send("chat", "chat:bob", "wa:+447700900002", "bob again", null);
    awaitDelivery("wa", 3);
    TestNode.await("bookkeeping of the delivery", Duration.ofSeconds(5),
        () -> fakes.adapters.get("chat").statuses.size() > settled);
    send("wa", "wa:+447700900002", "wa:+15559999", "to bob", null);
    assertEquals("chat:bob", awaitDelivery("chat", 3).to().value());
    // someone else cannot ride on quinn's reply context; they get one short explanation instead
    assertInstanceOf(IngressResult.Refused.class, send("wa", "wa:+447700900333", "wa:+15559999", "x", wamidAlice));
    Envelope explained = awaitDelivery("wa", 4);
    assertEquals("wa:+447700900333", explained.to().value());
    assertEquals("@parlor", explained.from().value());
    assertTrue(text(explained).contains("Start it with @name"), text(explained));
    // "@handle text" starts a conversation with a public handle, never falls back to the recent one
    assertInstanceOf(IngressResult.Refused.class, send("wa", "wa:+447700900002", "wa:+15559999", "@someone hi", null));
    Envelope explainedToQuinn = awaitDelivery("wa", 5);
    assertEquals(text(explained), text(explainedToQuinn), "the same words whatever the reason: nothing about who exists");
    // at most one explanation per account an hour
    assertInstanceOf(IngressResult.Refused.class, send("wa", "wa:+447700900333", "wa:+15559999", "y", wamidAlice));
    assertInstanceOf(IngressResult.Accepted.class, send("wa", "wa:+447700900002", "wa:+15559999", "@pat hello pat", null));
    Envelope toPat = awaitDelivery("sms", 1);
    assertEquals("sms:+447700900001", toPat.to().value());
    assertEquals("hello pat", text(toPat), "the @handle prefix is removed");
    assertEquals("sms:+15550001", toPat.from().value());
    // pat answers the pool number: back to quinn on WhatsApp, shown with a relay name
    send("sms", "sms:+447700900001", "sms:+15550001", "hi quinn", null);
    Envelope toQuinn = awaitDelivery("wa", 6);
    assertEquals("wa:+447700900002", toQuinn.to().value());
    assertTrue(toQuinn.from().value().startsWith("~"));
  }

  @Test
  void anAnswerFromAnotherLinkedAccountContinuesTheMostRecentConversation() throws Exception {
    // alice's message reaches quinn on WhatsApp (his preferred account)...
    send("chat", "chat:alice", "wa:+447700900002", "from alice", null);
    awaitDelivery("wa", 1);
    TestNode.await("its bookkeeping", Duration.ofSeconds(5), () -> fakes.adapters.get("chat").statuses.size() >= 1);
    // ...and he answers from his Messenger account, without reply context: it reaches alice
    assertInstanceOf(IngressResult.Accepted.class, send("fb", "fb:7000001", "fb:page", "answered from Messenger", null));
    Envelope back = awaitDelivery("chat", 1);
    assertEquals("chat:alice", back.to().value());
    assertEquals("answered from Messenger", text(back));
    // someone with no conversation at all gets the explanation, not a delivery
    assertInstanceOf(IngressResult.Refused.class, send("fb", "fb:7000999", "fb:page", "hello?", null));
    assertEquals("fb:7000999", awaitDelivery("fb", 1).to().value());
  }
}
