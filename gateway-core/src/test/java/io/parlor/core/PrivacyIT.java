package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 6: the product's privacy rules, each proven over a real node. Networks (all on the
 * generic protocol, played by WireMock): {@code chat} (e2ee, timers of 24 h or 7 d only),
 * {@code sms} (plaintext, no timers), {@code far} (stores data in a denied region), {@code src}
 * (where senders are).
 */
class PrivacyIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String SECRET = TestNode.SECRET_A;

  @TempDir Path dir;
  WireMockServer wm;
  TestNode node;
  ListAppender<ILoggingEvent> logs;
  Level previousLevel;

  @BeforeEach
  void start() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    previousLevel = root.getLevel();
    root.setLevel(Level.DEBUG); // logs at every level must be free of bodies and addresses
    logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    for (String n : List.of("chat", "sms", "far", "src")) {
      wm.stubFor(post(urlEqualTo("/" + n)).willReturn(aResponse().withStatus(200)));
    }
    wm.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    String yaml = String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("data/parlor.db"),
        "policy:", "  deniedRegions: [xx-denied-1]", "  maxNewRecipientsPerHour: 4",
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "networks:",
        net("chat", "[x25519-aesgcm-v1]", "true", "[PT24H, P7D]", "eu-west-1"),
        net("sms", "[]", "false", "[]", "eu-west-1"),
        net("far", "[x25519-aesgcm-v1]", "true", "[]", "xx-denied-1"),
        net("src", "[x25519-aesgcm-v1]", "true", "[]", "eu-west-1"),
        "").replace("%PORT%", Integer.toString(wm.port()));
    node = new TestNode(dir, yaml);
    person("rita", "[\"chat:rita\",\"sms:rita\"]", "\"defaultTimerSeconds\":172800");
    person("sam", "[\"sms:sam\"]", "\"allowPlaintextFallback\":false");
    person("sue", "[\"sms:sue\"]", "\"allowPlaintextFallback\":true");
    person("eve", "[\"far:eve\"]", "\"allowPlaintextFallback\":false");
    person("vic", "[\"chat:vic\",\"sms:vic\"]", "\"allowPlaintextFallback\":false");
  }

  private static String net(String id, String e2ee, String expiry, String timers, String region) {
    return String.join("\n",
        "  - id: " + id, "    type: webhook", "    secret: " + SECRET, "    region: " + region,
        "    deliveryUrl: http://127.0.0.1:__PORT__/" + id, "    statusUrl: http://127.0.0.1:__PORT__/status",
        "    capabilities:", "      e2ee: " + e2ee, "      expiry: " + expiry, "      timers: " + timers)
        .replace("__PORT__", "%PORT%");
  }

  @AfterEach
  void stop() {
    node.close();
    wm.stop();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(logs);
    root.setLevel(previousLevel);
  }

  private void person(String id, String accounts, String extra) throws Exception {
    HttpResponse<String> r = node.admin("PUT", "/people/" + id,
        "{\"accounts\":" + accounts + ",\"optIn\":true," + extra + "}");
    assertEquals(200, r.statusCode(), r.body());
  }

  private static ObjectNode msg(String id, String from, String to, String text) {
    return (ObjectNode) TestNode.json(TestNode.text(id, from, to, text));
  }

  private HttpResponse<String> send(ObjectNode m) throws Exception {
    return node.send("src", SECRET, m.toString());
  }

  private List<JsonNode> received(String network) {
    return wm.findAll(postRequestedFor(urlEqualTo("/" + network))).stream()
        .map(r -> TestNode.json(r.getBodyAsString())).collect(Collectors.toList());
  }

  private List<JsonNode> statuses() {
    return wm.findAll(postRequestedFor(urlEqualTo("/status"))).stream()
        .map(r -> TestNode.json(r.getBodyAsString())).collect(Collectors.toList());
  }

  private static String code(HttpResponse<String> r) {
    return TestNode.json(r.body()).path("error").path("code").asText(r.statusCode() + "");
  }

  // --- rule 1: disappearing messages -----------------------------------------------------------

  @Test
  void threadDefaultTimerAppliesAndIsRoundedDownNeverUp() throws Exception {
    // no timer on the message: rita's default for new threads (2 days) applies; chat offers only
    // 24 h and 7 d, so it gets 24 h (never 7 d); the gateway's own deadline stays 2 days
    Instant before = Instant.now();
    assertEquals(202, send(msg("t-1", "src:alice", "chat:rita", "hello")).statusCode());
    TestNode.await("delivery", WAIT, () -> received("chat").size() == 1);
    JsonNode got = received("chat").get(0);
    assertEquals(86400, got.path("timer").path("seconds").asLong());
    Instant expiresAt = Instant.parse(got.path("expiresAt").asText());
    assertTrue(!expiresAt.isBefore(before.plusSeconds(172800 - 5)) && !expiresAt.isAfter(Instant.now().plusSeconds(172800)));
    // the sender's own default, when shorter, wins: the gateway's deadline is 100,000 s, not 2 days
    person("alice", "[\"src:alice\"]", "\"defaultTimerSeconds\":100000");
    Instant before2 = Instant.now();
    assertEquals(202, send(msg("t-2", "src:alice", "chat:rita", "again")).statusCode());
    TestNode.await("delivery", WAIT, () -> received("chat").size() == 2);
    assertEquals(86400, received("chat").get(1).path("timer").path("seconds").asLong(), "min(100000 s, 2 d) rounded down");
    Instant expires2 = Instant.parse(received("chat").get(1).path("expiresAt").asText());
    assertTrue(!expires2.isBefore(before2.plusSeconds(100000 - 5)) && !expires2.isAfter(Instant.now().plusSeconds(100000)),
        "the shorter default sets the deadline: " + expires2);
    // a 1-hour timer cannot be honoured by chat (nothing offered is that short) and sms has no
    // timers: refused with the reason rather than kept longer than asked
    ObjectNode shortLived = msg("t-3", "src:bob", "chat:rita", "short");
    shortLived.putObject("timer").put("seconds", 3600);
    HttpResponse<String> r = send(shortLived);
    assertEquals(422, r.statusCode());
    assertEquals("timer_unsupported", code(r));
  }

  @Test
  void aSendStartedTimerCountsFromSentAtOrFromArrivalWhenSentAtIsInTheFuture() throws Exception {
    // sent an hour ago with a 24-hour timer: 23 hours are left
    ObjectNode late = msg("s-1", "src:bob", "chat:vic", "late");
    Instant sentAt = Instant.now().minusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    late.put("sentAt", sentAt.toString());
    late.putObject("timer").put("seconds", 86400);
    assertEquals(202, send(late).statusCode());
    TestNode.await("delivery", WAIT, () -> received("chat").size() == 1);
    assertEquals(sentAt.plusSeconds(86400), Instant.parse(received("chat").get(0).path("expiresAt").asText()));
    // dated two days ahead: a sender cannot lengthen a timer so; it counts from arrival
    ObjectNode early = msg("s-2", "src:bob", "chat:vic", "early");
    early.put("sentAt", Instant.now().plus(Duration.ofDays(2)).toString());
    early.putObject("timer").put("seconds", 86400);
    Instant before = Instant.now();
    assertEquals(202, send(early).statusCode());
    Instant after = Instant.now();
    TestNode.await("delivery", WAIT, () -> received("chat").size() == 2);
    Instant expires = Instant.parse(received("chat").get(1).path("expiresAt").asText());
    assertTrue(!expires.isBefore(before.plusSeconds(86400 - 1)) && !expires.isAfter(after.plusSeconds(86400)),
        "counted from arrival: " + expires);
  }

  @Test
  void timedMessagesReachTimerlessNetworksOnlyIfTheRecipientAllows() throws Exception {
    ObjectNode toSam = msg("n-1", "src:bob", "sms:sam", "secret plan");
    toSam.putObject("timer").put("seconds", 600);
    HttpResponse<String> r = send(toSam);
    assertEquals(422, r.statusCode());
    assertEquals("timer_unsupported", code(r));
    ObjectNode toSue = msg("n-2", "src:bob", "sms:sue", "plan b");
    toSue.putObject("timer").put("seconds", 600);
    assertEquals(202, send(toSue).statusCode());
    TestNode.await("delivery to sue", WAIT, () -> received("sms").size() == 1);
    assertTrue(received("sms").get(0).path("timer").isMissingNode(), "a timerless network gets no timer field");
  }

  // --- rule 2: nothing left on disk ------------------------------------------------------------

  @Test
  void deliveredAndExpiredMessagesLeaveNoTraceOnDiskOrInLogs() throws Exception {
    String delivered = "MARKER-delivered-" + System.nanoTime();
    String expired = "MARKER-expired-" + System.nanoTime();
    assertEquals(202, send(msg("d-1", "src:alice", "sms:sue", delivered)).statusCode());
    TestNode.await("delivery", WAIT, () -> received("sms").size() == 1);
    wm.stubFor(post(urlEqualTo("/sms")).willReturn(aResponse().withStatus(503)));
    ObjectNode e = msg("d-2", "src:alice", "sms:sue", expired);
    e.putObject("timer").put("seconds", 1);
    // sue accepts timerless networks, so it is queued; the network is down until it expires
    assertEquals(202, send(e).statusCode());
    TestNode.await("expired status", WAIT, () -> statuses().stream().anyMatch(s -> s.path("status").asText().equals("expired")));
    Thread.sleep(1500); // deletions are followed by a WAL checkpoint (TRUNCATE) within about a second
    for (String marker : List.of(delivered, expired)) {
      for (Path f : dataFiles()) {
        assertEquals(0, occurrences(Files.readAllBytes(f), marker), marker + " found in " + f.getFileName());
      }
      assertEquals(0, logText().split(marker, -1).length - 1, marker + " found in the logs");
    }
  }

  private List<Path> dataFiles() throws Exception {
    List<Path> files = new ArrayList<>();
    try (var s = Files.list(dir.resolve("data"))) {
      s.forEach(files::add);
    }
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("parlor.db")));
    return files;
  }

  static int occurrences(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    int count = 0;
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      count++;
    }
    return count;
  }

  private String logText() {
    StringBuilder sb = new StringBuilder();
    List<ILoggingEvent> events;
    synchronized (logs) { // the appender adds under its own lock while the node logs
      events = new java.util.ArrayList<>(logs.list);
    }
    for (ILoggingEvent e : events) {
      sb.append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        sb.append(e.getThrowableProxy().getMessage()).append('\n');
      }
    }
    return sb.toString();
  }

  // --- rule 3: no downgrade --------------------------------------------------------------------

  @Test
  void encryptedContentNeverTakesAPlaintextLeg() throws Exception {
    ObjectNode enc = msg("e-1", "src:alice", "sms:sam", "unused");
    enc.putObject("content").put("type", "encrypted").put("scheme", "x25519-aesgcm-v1")
        .put("ciphertext", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4}));
    HttpResponse<String> r = send(enc);
    assertEquals(422, r.statusCode());
    assertEquals("encryption_downgrade", code(r));
    ObjectNode unknownScheme = enc.deepCopy().put("id", "e-2").put("to", "chat:rita");
    ((ObjectNode) unknownScheme.get("content")).put("scheme", "rot13-v0");
    assertEquals("encryption_downgrade", code(send(unknownScheme)));
  }

  @Test
  void anEncryptedThreadFallsBackToPlaintextOnlyWhenBothSidesAllow() throws Exception {
    ObjectNode enc = msg("v-1", "src:alice", "chat:vic", "unused");
    enc.putObject("content").put("type", "encrypted").put("scheme", "x25519-aesgcm-v1")
        .put("ciphertext", Base64.getEncoder().encodeToString(new byte[] {9, 9, 9}));
    assertEquals(202, send(enc).statusCode());
    TestNode.await("encrypted delivery", WAIT, () -> received("chat").size() == 1);
    // vic unlinks chat: only his plaintext sms leg is left for this end-to-end encrypted thread
    person("vic", "[\"sms:vic\"]", "\"allowPlaintextFallback\":false");
    assertEquals("encryption_downgrade", code(send(msg("v-2", "src:alice", "sms:vic", "plain?"))));
    ObjectNode allowed = msg("v-3", "src:alice", "sms:vic", "plain, sender allows");
    allowed.put("plaintextFallback", true);
    assertEquals("encryption_downgrade", code(send(allowed)), "the recipient has not allowed it");
    person("vic", "[\"sms:vic\"]", "\"allowPlaintextFallback\":true");
    assertEquals("encryption_downgrade", code(send(msg("v-4", "src:alice", "sms:vic", "no sender consent"))));
    allowed.put("id", "v-5");
    assertEquals(202, send(allowed).statusCode(), "both allow: the plaintext leg is used");
    TestNode.await("sms delivery", WAIT, () -> received("sms").size() == 1);
    // a thread that never carried encryption is unaffected
    assertEquals(202, send(msg("v-6", "src:carol", "sms:vic", "plain thread")).statusCode());
  }

  // --- rule 5: metadata limits -----------------------------------------------------------------

  @Test
  void safetyMetadataIsPseudonymousAndEnforcesTheFanOutLimit() throws Exception {
    // a sender may start at most 4 new conversations an hour (configured); replies still flow
    for (String who : List.of("rita", "sam", "sue", "vic")) {
      String to = who.equals("rita") ? "chat:rita" : "sms:" + who;
      assertEquals(202, send(msg("f-" + who, "src:spammer", to, "buy now")).statusCode());
    }
    HttpResponse<String> r = send(msg("f-eve2", "src:spammer", "chat:rita2", "x"));
    assertEquals(422, r.statusCode(), "unknown recipients are unreachable before any limit");
    person("zoe", "[\"chat:zoe\"]", "\"allowPlaintextFallback\":false");
    r = send(msg("f-zoe", "src:spammer", "chat:zoe", "buy now"));
    assertEquals(429, r.statusCode(), r.body());
    assertEquals("rate_limited", code(r));
    assertTrue(r.headers().firstValue("retry-after").isPresent());
    assertEquals(202, send(msg("f-rita-2", "src:spammer", "chat:rita", "existing conversation")).statusCode());
    // what safety keeps names nobody
    List<String> rows = UserApiIT.rowsMentioning(dir.resolve("data/parlor.db"), List.of("spammer", "rita", "sms:", "chat:"));
    assertTrue(rows.stream().noneMatch(x -> x.startsWith("safety_events") || x.startsWith("pseudonym_keys")), rows.toString());
    assertTrue(logText().indexOf("spammer") < 0 && logText().indexOf("buy now") < 0, "logs name nobody and quote nothing");
  }

  @Test
  void anExistingConversationIsNeverFanOutLimited() throws Exception {
    person("pat", "[\"src:pat\"]", "\"allowPlaintextFallback\":false");
    person("zed", "[\"chat:zed\"]", "\"allowPlaintextFallback\":false");
    person("zoe", "[\"chat:zoe\"]", "\"allowPlaintextFallback\":false");
    // zed wrote to pat first (longer ago than the safety window would show: the relay handle says so)
    assertEquals(202, node.send("chat", SECRET, msg("z-1", "chat:zed", "src:pat", "hi pat").toString()).statusCode());
    TestNode.await("delivery to pat", WAIT, () -> received("src").size() == 1);
    String zedShown = received("src").get(0).path("from").asText();
    // pat starts 4 new conversations: the limit
    for (String to : List.of("chat:rita", "sms:sam", "sms:sue", "sms:vic")) {
      assertEquals(202, send(msg("p-" + to, "src:pat", to, "hello")).statusCode(), to);
    }
    assertEquals(429, send(msg("p-zoe", "src:pat", "chat:zoe", "x")).statusCode(), "a fifth new one is limited");
    assertEquals(202, send(msg("p-zed", "src:pat", zedShown, "answering you")).statusCode(),
        "a conversation the other side started is never fan-out limited");
  }

  // --- rule 6: data residency ------------------------------------------------------------------

  @Test
  void nothingGoesToANetworkInADeniedRegion() throws Exception {
    HttpResponse<String> r = send(msg("r-1", "src:alice", "far:eve", "hello eve"));
    assertEquals(422, r.statusCode());
    assertEquals("residency_denied", code(r));
    Thread.sleep(200);
    assertTrue(received("far").isEmpty());
  }

  @Test
  void metricsTagsCarryNoIdentifiers() throws Exception {
    assertEquals(202, send(msg("m-1", "src:alice", "chat:rita", "zz-metric-marker")).statusCode());
    TestNode.await("delivery", WAIT, () -> received("chat").size() == 1);
    String metrics = node.get("/metrics").body();
    for (String forbidden : List.of("alice", "rita", "zz-metric-marker", "~")) {
      assertFalse(metrics.contains(forbidden), forbidden + " in metrics");
    }
  }
}
