package io.parlor.examples;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.AdapterProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.XECPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.stream.Stream;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * End to end through a real node (SQLite on disk, the webhook adapter, the key directory): Bob's
 * network publishes his public key; Alice's network fetches it without learning his account;
 * Alice's client encrypts; the envelope crosses the gateway unread and reaches Bob's network
 * (WireMock), where Bob's client decrypts it and Eve's cannot; Bob answers through the relay
 * handle, encrypted to Alice's published key. Afterwards no file of the node's data directory and
 * no log line holds the plaintexts or any private key encoding.
 */
class E2eeEndToEndIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCHEME = E2eeClient.SCHEME;
  private static final Map<String, String> SECRETS =
      Map.of(
          "neta", "secret-of-network-a-0001",
          "netb", "secret-of-network-b-0002",
          "netc", "secret-of-network-c-0003");

  @TempDir Path dir;
  Path dataDir;
  WireMockServer networks;
  Gateway node;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  // everything the node logs or prints while the test runs
  final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  OutputStreamAppender<ILoggingEvent> appender;
  PrintStream originalOut;
  PrintStream originalErr;

  @BeforeEach
  void start() throws Exception {
    captureOutput();
    networks = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    networks.start();
    networks.stubFor(post(urlPathMatching("/net[abc]/(messages|status|reports)")).willReturn(aResponse().withStatus(200)));
    dataDir = dir.resolve("data");
    Path file = dir.resolve("parlor.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  bind: 127.0.0.1", "  port: 0",
        "store:", "  path: " + dataDir.resolve("parlor.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "networks:",
        network("neta", "[" + SCHEME + "]"),
        network("netb", "[" + SCHEME + "]"),
        network("netc", "[]"), // plaintext only (an SMS-like network on the webhook protocol)
        ""));
    List<AdapterProvider<?>> providers = new ArrayList<>();
    for (AdapterProvider<?> p : ServiceLoader.load(AdapterProvider.class)) {
      providers.add(p);
    }
    ConfigLoader.Result r = new ConfigLoader(Map.of(), providers).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());

    // with no admin token on loopback the admin API needs no authentication
    person("alice", "{\"accounts\":[\"neta:alice\"],\"optIn\":true}");
    person("bob", "{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"handle\":\"bob\"}");
    // Carol prefers a plaintext-only network: her key is looked up at netb, where encryption goes
    person("carol", "{\"accounts\":[\"netc:carol\",\"netb:carol\"],\"preferred\":\"netc:carol\",\"optIn\":true}");
    person("dave", "{\"accounts\":[\"netb:dave\"],\"optIn\":false}");
  }

  private String network(String id, String e2ee) {
    return String.join("\n",
        "  - id: " + id, "    type: webhook", "    secret: " + SECRETS.get(id),
        "    deliveryUrl: " + networks.baseUrl() + "/" + id + "/messages",
        "    statusUrl: " + networks.baseUrl() + "/" + id + "/status",
        "    reportUrl: " + networks.baseUrl() + "/" + id + "/reports",
        "    capabilities:", "      e2ee: " + e2ee);
  }

  @AfterEach
  void stop() {
    try {
      if (node != null) {
        node.close(Duration.ofSeconds(2));
      }
    } finally {
      networks.stop();
      restoreOutput();
    }
  }

  @Test
  void encryptedMessageCrossesTheGatewayUnreadAndNoSecretIsKept() throws Exception {
    E2eeClient alice = E2eeClient.generate();
    E2eeClient bob = E2eeClient.generate();
    E2eeClient carol = E2eeClient.generate();
    E2eeClient dave = E2eeClient.generate();
    E2eeClient eve = E2eeClient.generate();

    // --- networks publish their users' public keys
    JsonNode bobEntry = ok(publish("netb", "netb:bob", bob.publicKeyBase64()));
    assertEquals(1, bobEntry.get("seq").asLong());
    assertEquals(64, bobEntry.get("entryHash").asText().length());
    assertEquals(bobEntry, ok(publish("netb", "netb:bob", bob.publicKeyBase64())), "a retry appends nothing");
    assertEquals(2, ok(publish("neta", "neta:alice", alice.publicKeyBase64())).get("seq").asLong());
    assertEquals(3, ok(publish("netb", "netb:carol", carol.publicKeyBase64())).get("seq").asLong());
    assertEquals(4, ok(publish("netb", "netb:dave", dave.publicKeyBase64())).get("seq").asLong());

    // --- what the directory refuses (nothing is stored)
    String pkcs8 = Base64.getEncoder().encodeToString(bob.privateKeyForTests().getEncoded());
    assertError(400, "invalid_request", "publicKey:", publish("netb", "netb:bob", pkcs8));
    assertError(400, "invalid_request", "privateKey:", signed("netb", "PUT", "/v1/networks/netb/keys",
        "{\"account\":\"netb:bob\",\"scheme\":\"" + SCHEME + "\",\"publicKey\":\"" + bob.publicKeyBase64()
            + "\",\"privateKey\":\"" + pkcs8 + "\"}"));
    assertError(400, "invalid_request", "account:", publish("neta", "netb:bob", eve.publicKeyBase64()));
    assertError(400, "invalid_request", "scheme:", publish("netc", "netc:carol", carol.publicKeyBase64()));
    assertError(400, "invalid_request", "publicKey:", publish("netb", "netb:bob", "not base64!"));
    String body = "{\"account\":\"netb:bob\",\"scheme\":\"" + SCHEME + "\",\"publicKey\":\"" + eve.publicKeyBase64() + "\"}";
    assertError(401, "bad_signature", "", send("PUT", "/v1/networks/netb/keys", body,
        ParlorSignature.sign(SECRETS.get("neta"), bytes(body), Instant.now().getEpochSecond())));
    assertError(401, "bad_signature", "", send("PUT", "/v1/networks/netb/keys", body,
        ParlorSignature.sign(SECRETS.get("netb"), bytes(body), Instant.now().getEpochSecond() - 400)));
    assertError(401, "bad_signature", "", send("GET", "/v1/keys/log", "", null));
    assertEquals(4, log("neta", 1, 100).get("head").get("seq").asLong(), "refused keys left no entry");

    // --- Alice's network fetches Bob's key: by account or public handle, never told his account
    JsonNode bobKey = ok(fetch("neta", "netb:bob"));
    assertEquals(SCHEME, bobKey.get("scheme").asText());
    assertEquals(bob.publicKeyBase64(), bobKey.get("publicKey").asText());
    assertEquals(bobEntry.get("entryHash").asText(), bobKey.get("keyId").asText());
    assertEquals(1, bobKey.get("seq").asLong());
    assertNull(bobKey.get("account"));
    assertFalse(bobKey.toString().contains("bob"), bobKey.toString());
    // the same key, leaf and proof by his handle (each answer's tree head is signed when it is made)
    ObjectNode byHandle = (ObjectNode) ok(fetch("neta", "@bob"));
    assertEquals(bobKey.get("treeHead").get("treeSize"), byHandle.get("treeHead").get("treeSize"));
    assertEquals(bobKey.get("treeHead").get("rootHash"), byHandle.get("treeHead").get("rootHash"));
    byHandle.remove("treeHead");
    assertEquals(((ObjectNode) bobKey.deepCopy()).without("treeHead"), byHandle);
    // Carol prefers netc, which cannot carry the scheme: her key at netb, the account encryption goes to
    assertEquals(carol.publicKeyBase64(), ok(fetch("neta", "netc:carol")).get("publicKey").asText());
    // not opted in, unknown, no such handle or relay: one indistinguishable answer
    HttpResponse<String> notOptedIn = fetch("neta", "netb:dave");
    assertError(404, "recipient_unreachable", "", notOptedIn);
    for (String nobody : List.of("netb:nobody", "@nobody", "~abcdefghjk")) {
      HttpResponse<String> r = fetch("neta", nobody);
      assertEquals(404, r.statusCode());
      assertEquals(notOptedIn.body(), r.body());
    }
    assertError(400, "invalid_request", "for:", fetch("neta", "not an address"));
    assertError(401, "bad_signature", "", send("GET", "/v1/networks/neta/keys?for=netb%3Abob", "", null));

    // --- Alice's client encrypts; her network sends the envelope; Bob's network receives it
    String secretText = "Hi Bob, the vault code is " + UUID.randomUUID() + " \u00e9\u00e8";
    String ciphertext = alice.encryptText(bobKey.get("publicKey").asText(), secretText);
    HttpResponse<String> sent = signed("neta", "POST", "/v1/networks/neta/messages", envelope(
        "m-1", "neta:alice", "netb:bob", ciphertext));
    assertEquals(202, sent.statusCode(), sent.body());
    LoggedRequest atBob = awaitOne("/netb/messages");
    JsonNode delivered = JSON.readTree(atBob.getBodyAsString());
    assertEquals("netb:bob", delivered.get("to").asText());
    String relay = delivered.get("from").asText();
    assertTrue(relay.startsWith("~"), relay);
    assertEquals("encrypted", delivered.get("content").get("type").asText());
    assertEquals(SCHEME, delivered.get("content").get("scheme").asText());
    assertEquals(ciphertext, delivered.get("content").get("ciphertext").asText(), "passed through unread");
    assertFalse(atBob.getBodyAsString().contains("alice"), "Bob's network never sees Alice's account");
    assertEquals(secretText, bob.decryptText(delivered.get("content").get("ciphertext").asText()));
    assertThrows(AEADBadTagException.class, () -> eve.decryptText(ciphertext));
    assertThrows(AEADBadTagException.class, () -> carol.decryptText(ciphertext));

    // --- Bob answers through the relay handle, encrypted to Alice's published key
    JsonNode aliceKey = ok(fetch("netb", relay));
    assertEquals(alice.publicKeyBase64(), aliceKey.get("publicKey").asText());
    assertError(404, "recipient_unreachable", "", fetch("neta", relay)); // only its viewer's network
    String replyText = "Got it, Alice " + UUID.randomUUID();
    String reply = bob.encryptText(aliceKey.get("publicKey").asText(), replyText);
    HttpResponse<String> replied = signed("netb", "POST", "/v1/networks/netb/messages", envelope(
        "r-1", "netb:bob", relay, reply));
    assertEquals(202, replied.statusCode(), replied.body());
    JsonNode atAlice = JSON.readTree(awaitOne("/neta/messages").getBodyAsString());
    assertEquals("neta:alice", atAlice.get("to").asText());
    assertEquals(replyText, alice.decryptText(atAlice.get("content").get("ciphertext").asText()));

    // --- the log: every network can verify the chain; only the publisher sees its accounts
    JsonNode aView = log("neta", 1, 100);
    List<KeyLogVerifier.Entry> entries = entries(aView);
    assertEquals(4, entries.size());
    assertTrue(KeyLogVerifier.verify(entries, null), "chain verifies independently of the gateway's code");
    assertEquals(aView.get("head").get("entryHash").asText(), hex(entries.get(3).entryHash()));
    assertTrue(entries.stream().anyMatch(e -> hex(e.entryHash()).equals(bobKey.get("keyId").asText())),
        "the key Alice's network was given is in the log");
    assertEquals("neta:alice", entries.get(1).account());
    for (String account : List.of("netb:bob", "netb:carol", "netb:dave")) {
      assertFalse(aView.toString().contains(account), "another network's account leaked: " + account);
    }
    List<KeyLogVerifier.Entry> bView = entries(log("netb", 1, 100));
    assertEquals("netb:bob", bView.get(0).account());
    assertNull(bView.get(1).account());
    assertTrue(KeyLogVerifier.verify(bView, null));
    List<KeyLogVerifier.Entry> page = entries(log("netc", 3, 2));
    assertEquals(2, page.size());
    assertTrue(KeyLogVerifier.verify(page, entries.get(1).entryHash()));
    assertFalse(KeyLogVerifier.verify(page, entries.get(0).entryHash()));

    // --- nothing secret at rest or in the logs: while running, and after a clean stop
    awaitStatus("/neta/status");
    awaitStatus("/netb/status");
    Map<String, byte[]> needles = needles(List.of(secretText, replyText), List.of(alice, bob, carol, dave, eve));
    for (byte[] needle : needles.values()) { // the scan finds what it looks for, anywhere in a file
      byte[] planted = new byte[needle.length + 7];
      System.arraycopy(needle, 0, planted, 3, needle.length);
      assertTrue(contains(planted, needle));
    }
    List<Path> files = scanDataDir(needles);
    assertTrue(files.stream().anyMatch(p -> p.getFileName().toString().endsWith(".db")), files.toString());
    node.close(Duration.ofSeconds(2));
    node = null;
    scanDataDir(needles);
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertTrue(logs.contains("listening on"), "the node's log output was captured");
    scan("log output", captured.toByteArray(), needles);
  }

  /**
   * Issue 14, message franking: Alice's client commits to the plaintext of an encrypted message;
   * the node stamps the commitment for Alice, Bob and the time, and delivers the stamp with the
   * ciphertext; Bob reports it revealing the plaintext and the franking key, and the report
   * verifies — it reaches Alice's network marked verified, with the plaintext — while a forged
   * report (another plaintext, another time, a made-up commitment) is refused and files
   * nothing. The plaintext is in no file of the node afterwards.
   */
  @Test
  void aFrankedMessageIsReportedVerifiablyAndAForgedReportIsRefused() throws Exception {
    E2eeClient alice = E2eeClient.generate();
    E2eeClient bob = E2eeClient.generate();
    String text = "Send me your bank password " + UUID.randomUUID();
    E2eeClient.Franked franked = E2eeClient.encryptFranked(bob.publicKey(), bytes(text));
    ObjectNode env = encryptedEnvelope("fr-1", "neta:alice", "netb:bob");
    ((ObjectNode) env.get("content")).put("ciphertext", Base64.getEncoder().encodeToString(franked.wire()));
    ((ObjectNode) env.get("content")).putObject("franking")
        .put("commitment", Base64.getEncoder().encodeToString(franked.commitment()))
        .put("tag", "a tag of the sender's own").put("at", "2020-01-01T00:00:00Z"); // replaced by the node's
    assertEquals(202, signed("neta", "POST", "/v1/networks/neta/messages", env.toString()).statusCode());
    JsonNode delivered = JSON.readTree(awaitOne("/netb/messages").getBodyAsString());
    JsonNode franking = delivered.get("content").get("franking");
    assertEquals(Base64.getEncoder().encodeToString(franked.commitment()), franking.get("commitment").asText());
    assertFalse(franking.get("tag").asText().contains("sender's own"), franking.toString());
    assertTrue(Instant.parse(franking.get("at").asText()).isAfter(Instant.now().minusSeconds(60)), franking.toString());

    // Bob's client decrypts, derives the franking key and checks the commitment before offering to report
    byte[] wire = Base64.getDecoder().decode(delivered.get("content").get("ciphertext").asText());
    byte[] plaintext = bob.decrypt(wire);
    byte[] key = bob.frankingKey(wire);
    assertTrue(java.security.MessageDigest.isEqual(franked.commitment(), E2eeClient.commitment(key, plaintext)));
    String id = delivered.get("id").asText();

    // forged: another plaintext under the same commitment, another time, a made-up commitment
    String otherText = "I never said this " + UUID.randomUUID();
    assertError(422, "franking_invalid", "franking:", report(id, bytes(otherText), key, franking.get("commitment").asText(),
        franking.get("tag").asText(), franking.get("at").asText()));
    assertError(422, "franking_invalid", "franking:", report(id, plaintext, key, franking.get("commitment").asText(),
        franking.get("tag").asText(), Instant.parse(franking.get("at").asText()).plusMillis(1).toString()));
    byte[] madeUp = E2eeClient.commitment(key, bytes(otherText));
    assertError(422, "franking_invalid", "franking:", report(id, bytes(otherText), key,
        Base64.getEncoder().encodeToString(madeUp), franking.get("tag").asText(), franking.get("at").asText()));
    assertTrue(networks.findAll(postRequestedFor(urlEqualTo("/neta/reports"))).isEmpty(), "a forged report files nothing");
    // Alice is not blocked by a forged report
    assertEquals(202, signed("neta", "POST", "/v1/networks/neta/messages",
        envelope("fr-2", "neta:alice", "netb:bob", Base64.getEncoder().encodeToString(
            E2eeClient.encrypt(bob.publicKey(), bytes("still there?"))))).statusCode());

    // true: verified, forwarded to Alice's network with the plaintext, Alice blocked for Bob
    HttpResponse<String> ok = report(id, plaintext, key, franking.get("commitment").asText(),
        franking.get("tag").asText(), franking.get("at").asText());
    assertEquals(202, ok.statusCode(), ok.body());
    JsonNode forwarded = JSON.readTree(awaitOne("/neta/reports").getBodyAsString());
    assertTrue(forwarded.get("verified").asBoolean(), forwarded.toString());
    assertEquals("fr-1", forwarded.get("id").asText());
    assertEquals(text, forwarded.get("content").get("text").asText());
    assertEquals(422, signed("neta", "POST", "/v1/networks/neta/messages",
        envelope("fr-3", "neta:alice", "netb:bob", Base64.getEncoder().encodeToString(
            E2eeClient.encrypt(bob.publicKey(), bytes("hello?"))))).statusCode(), "blocked for Bob");
    // the plaintext Bob revealed went to Alice's network, not into the node's files
    scanDataDir(needles(List.of(text), List.of(alice, bob)));
  }

  private HttpResponse<String> report(String id, byte[] plaintext, byte[] key, String commitment, String tag, String at)
      throws Exception {
    ObjectNode r = JSON.createObjectNode();
    r.put("type", "report");
    r.put("from", "netb:bob");
    r.put("id", id);
    r.put("reason", "scam");
    r.putObject("franking")
        .put("plaintext", Base64.getEncoder().encodeToString(plaintext))
        .put("key", Base64.getEncoder().encodeToString(key))
        .put("commitment", commitment)
        .put("tag", tag)
        .put("at", at);
    return signed("netb", "POST", "/v1/networks/netb/events", r.toString());
  }

  /**
   * Issue 12: an encrypted group message is fanned out by the client (one ciphertext per member,
   * keys from the directory by each member's handle in the group); each member reads only their
   * own copy, a non-member nothing; a member who could not read it makes the whole message 422.
   */
  @Test
  void encryptedGroupMessageIsReadableByItsMembersOnly() throws Exception {
    E2eeClient alice = E2eeClient.generate();
    E2eeClient bob = E2eeClient.generate();
    E2eeClient carol = E2eeClient.generate();
    E2eeClient eve = E2eeClient.generate();
    ok(publish("neta", "neta:alice", alice.publicKeyBase64()));
    ok(publish("netb", "netb:bob", bob.publicKeyBase64()));
    ok(publish("netb", "netb:carol", carol.publicKeyBase64()));
    person("eve", "{\"accounts\":[\"netb:eve\"],\"optIn\":true,\"reachableBy\":\"everyone\"}");
    ok(publish("netb", "netb:eve", eve.publicKeyBase64()));
    person("frank", "{\"accounts\":[\"netc:frank\"],\"optIn\":true,\"reachableBy\":\"everyone\"}");

    String aliceSession = signIn("neta", "neta:alice");
    HttpResponse<String> created = api(aliceSession, "POST", "/v1/me/groups",
        "{\"name\":\"Vault\",\"invite\":[\"@bob\",\"netb:carol\"]}");
    assertEquals(201, created.statusCode(), created.body());
    String group = JSON.readTree(created.body()).get("id").asText();
    for (String[] who : List.of(new String[] {"netb", "netb:bob"}, new String[] {"netb", "netb:carol"})) {
      HttpResponse<String> joined = api(signIn(who[0], who[1]), "POST", "/v1/me/groups/" + group + "/join", null);
      assertEquals(200, joined.statusCode(), joined.body());
    }
    JsonNode shown = JSON.readTree(api(aliceSession, "GET", "/v1/me/groups/" + group, null).body());
    String address = shown.get("address").asText();

    // --- alice's network asks the directory for the group: every other member's key, by handle
    JsonNode keys = ok(fetch("neta", address));
    assertEquals(0, keys.get("missing").asInt());
    Map<String, String> memberKeys = new LinkedHashMap<>();
    keys.get("members").forEach(m -> memberKeys.put(m.get("member").asText(), m.get("publicKey").asText()));
    java.util.Set<String> handles = new java.util.TreeSet<>();
    shown.get("members").forEach(m -> handles.add(m.get("handle").asText()));
    handles.remove("you");
    assertEquals(handles, memberKeys.keySet(), "the directory names members as the group shows them");
    assertEquals(bob.publicKeyBase64(), memberKeys.get("@bob"));
    assertTrue(memberKeys.containsValue(carol.publicKeyBase64()));
    assertFalse(keys.toString().contains("netb:"), "no member's account: " + keys);
    // only the address's own member, through their own network
    assertError(404, "recipient_unreachable", "", fetch("netb", address));

    // --- one ciphertext per member; each member reads their own copy, nobody else reads any
    String secretText = "Group vault code " + UUID.randomUUID();
    Map<String, String> perMember = alice.encryptForMembers(memberKeys, secretText);
    HttpResponse<String> sent = signed("neta", "POST", "/v1/networks/neta/messages",
        groupEnvelope("g-1", "neta:alice", address, perMember));
    assertEquals(202, sent.statusCode(), sent.body());
    await("both legs", () -> netbGroupDeliveries().size() == 2);
    Map<String, String> delivered = new LinkedHashMap<>();
    for (JsonNode d : netbGroupDeliveries()) {
      assertEquals("encrypted", d.get("content").get("type").asText());
      assertFalse(d.get("content").has("perMember"), "a member gets their own ciphertext only: " + d);
      delivered.put(d.get("to").asText(), d.get("content").get("ciphertext").asText());
    }
    assertEquals(secretText, bob.decryptText(delivered.get("netb:bob")));
    assertEquals(secretText, carol.decryptText(delivered.get("netb:carol")));
    assertThrows(AEADBadTagException.class, () -> bob.decryptText(delivered.get("netb:carol")));
    for (String copy : delivered.values()) {
      assertThrows(AEADBadTagException.class, () -> eve.decryptText(copy));
    }
    JsonNode status = awaitStatusOf("/neta/status", "g-1");
    assertEquals("delivered", status.get("status").asText());
    assertEquals(2, status.get("members").get("delivered").asInt());

    // --- never a partial message: a missing ciphertext refuses it whole, counting, never naming
    Map<String, String> onlyBob = Map.of("@bob", perMember.get("@bob"));
    HttpResponse<String> partial = signed("neta", "POST", "/v1/networks/neta/messages",
        groupEnvelope("g-2", "neta:alice", address, onlyBob));
    assertError(422, "encryption_downgrade", "1 member", partial);
    assertEquals(1, JSON.readTree(partial.body()).get("error").get("members").asInt());
    // frank reads on a plaintext-only network: the directory counts him missing, and a
    // ciphertext for him is refused too (no route of his carries the scheme)
    assertEquals(202, api(aliceSession, "POST", "/v1/me/groups/" + group + "/invite",
        "{\"invite\":[\"netc:frank\"]}").statusCode());
    assertEquals(200, api(signIn("netc", "netc:frank"), "POST", "/v1/me/groups/" + group + "/join", null).statusCode());
    assertEquals(1, ok(fetch("neta", address)).get("missing").asInt());
    assertError(422, "encryption_downgrade", "1 member", signed("neta", "POST", "/v1/networks/neta/messages",
        groupEnvelope("g-3", "neta:alice", address, perMember)));
    Map<String, String> withFrank = new LinkedHashMap<>(perMember);
    JsonNode nowShown = JSON.readTree(api(aliceSession, "GET", "/v1/me/groups/" + group, null).body());
    nowShown.get("members").forEach(m -> {
      if (!m.get("handle").asText().equals("you") && !perMember.containsKey(m.get("handle").asText())) {
        withFrank.put(m.get("handle").asText(), perMember.get("@bob"));
      }
    });
    assertEquals(3, withFrank.size());
    assertError(422, "encryption_downgrade", "1 member", signed("neta", "POST", "/v1/networks/neta/messages",
        groupEnvelope("g-4", "neta:alice", address, withFrank)));
    assertEquals(2, netbGroupDeliveries().size(), "nothing of a refused message was delivered");

    // --- the shapes that do not fit name the field
    assertError(400, "invalid_envelope", "content.perMember", signed("neta", "POST", "/v1/networks/neta/messages",
        envelope("g-5", "neta:alice", address, perMember.get("@bob"))));
    assertError(400, "invalid_envelope", "content.perMember", signed("neta", "POST", "/v1/networks/neta/messages",
        groupEnvelope("d-1", "neta:alice", "netb:bob", onlyBob)));

    // --- the plaintext is nowhere on disk
    scanDataDir(needles(List.of(secretText), List.of(alice, bob, carol, eve)));
  }

  private List<JsonNode> netbGroupDeliveries() {
    return networks.findAll(postRequestedFor(urlEqualTo("/netb/messages"))).stream()
        .map(r -> readTree(r.getBodyAsString()))
        .filter(b -> b.has("group") && !b.path("system").asBoolean())
        .toList();
  }

  private static JsonNode readTree(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private JsonNode awaitStatusOf(String path, String id) throws Exception {
    await("status of " + id, () -> networks.findAll(postRequestedFor(urlEqualTo(path))).stream()
        .anyMatch(r -> r.getBodyAsString().contains("\"" + id + "\"") && !r.getBodyAsString().contains("\"accepted\"")));
    for (LoggedRequest r : networks.findAll(postRequestedFor(urlEqualTo(path)))) {
      JsonNode b = JSON.readTree(r.getBodyAsString());
      if (b.path("id").asText().equals(id) && !b.path("status").asText().equals("accepted")) {
        return b;
      }
    }
    throw new AssertionError("no status for " + id);
  }

  /** Signs in through the one-time code Parlor sends to {@code account} on its network; the session token. */
  private String signIn(String network, String account) throws Exception {
    String path = "/" + network + "/messages";
    java.util.function.Supplier<List<String>> codes = () -> networks.findAll(postRequestedFor(urlEqualTo(path))).stream()
        .map(r -> readTree(r.getBodyAsString()))
        .filter(b -> b.path("to").asText().equals(account))
        .map(b -> java.util.regex.Pattern.compile("\\b(\\d{6})\\b").matcher(b.path("content").path("text").asText()))
        .filter(java.util.regex.Matcher::find)
        .map(m -> m.group(1))
        .toList();
    int before = codes.get().size();
    HttpResponse<String> started = send("POST", "/v1/auth/start", "{\"address\":\"" + account + "\"}", null);
    assertEquals(202, started.statusCode(), started.body());
    await("the code for " + account, () -> codes.get().size() > before);
    String code = codes.get().get(codes.get().size() - 1);
    HttpResponse<String> verified = send("POST", "/v1/auth/verify",
        "{\"address\":\"" + account + "\",\"code\":\"" + code + "\"}", null);
    assertEquals(200, verified.statusCode(), verified.body());
    return JSON.readTree(verified.body()).get("token").asText();
  }

  private HttpResponse<String> api(String token, String method, String path, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path))
        .header("authorization", "Bearer " + token)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String groupEnvelope(String id, String from, String to, Map<String, String> perMember) {
    ObjectNode e = encryptedEnvelope(id, from, to);
    ObjectNode per = ((ObjectNode) e.get("content")).putObject("perMember");
    perMember.forEach(per::put);
    return e.toString();
  }

  // --- the leak scan

  /** Plaintexts and every encoding of every private key: raw, PKCS#8 DER, base64 and hex of both. */
  private static Map<String, byte[]> needles(List<String> plaintexts, List<E2eeClient> clients) {
    Map<String, byte[]> n = new LinkedHashMap<>();
    for (int i = 0; i < plaintexts.size(); i++) {
      n.put("plaintext " + i, bytes(plaintexts.get(i)));
    }
    for (int i = 0; i < clients.size(); i++) {
      XECPrivateKey k = (XECPrivateKey) clients.get(i).privateKeyForTests();
      Map<String, byte[]> forms = Map.of("raw", k.getScalar().orElseThrow(), "pkcs8", k.getEncoded());
      for (Map.Entry<String, byte[]> f : forms.entrySet()) {
        String what = "private key " + i + " " + f.getKey();
        byte[] v = f.getValue();
        n.put(what, v);
        n.put(what + " base64", bytes(Base64.getEncoder().encodeToString(v)));
        n.put(what + " base64url", bytes(Base64.getUrlEncoder().withoutPadding().encodeToString(v)));
        n.put(what + " hex", bytes(HexFormat.of().formatHex(v)));
        n.put(what + " HEX", bytes(HexFormat.of().formatHex(v).toUpperCase(Locale.ROOT)));
      }
    }
    return n;
  }

  private List<Path> scanDataDir(Map<String, byte[]> needles) throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.walk(dataDir)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      byte[] content;
      try {
        content = Files.readAllBytes(f);
      } catch (java.nio.file.NoSuchFileException e) {
        continue; // a -wal/-shm file removed while we walked
      }
      scan(f.getFileName().toString(), content, needles);
    }
    return files;
  }

  private static void scan(String where, byte[] haystack, Map<String, byte[]> needles) {
    for (Map.Entry<String, byte[]> n : needles.entrySet()) {
      assertFalse(contains(haystack, n.getValue()), n.getKey() + " found in " + where);
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  // --- HTTP helpers

  private void person(String id, String json) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/admin/v1/people/" + id))
        .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  private HttpResponse<String> publish(String network, String account, String publicKey) throws Exception {
    ObjectNode b = JSON.createObjectNode();
    b.put("account", account);
    b.put("scheme", SCHEME);
    b.put("publicKey", publicKey);
    return signed(network, "PUT", "/v1/networks/" + network + "/keys", b.toString());
  }

  private HttpResponse<String> fetch(String network, String address) throws Exception {
    return signed(network, "GET", "/v1/networks/" + network + "/keys?for="
        + URLEncoder.encode(address, StandardCharsets.UTF_8) + "&scheme=" + SCHEME, "");
  }

  private JsonNode log(String network, long from, int limit) throws Exception {
    return ok(signed(network, "GET", "/v1/keys/log?from=" + from + "&limit=" + limit, ""));
  }

  private HttpResponse<String> signed(String network, String method, String pathAndQuery, String body)
      throws Exception {
    return send(method, pathAndQuery, body,
        ParlorSignature.sign(SECRETS.get(network), bytes(body), Instant.now().getEpochSecond()));
  }

  private HttpResponse<String> send(String method, String pathAndQuery, String body, String signature)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery)).header("Content-Type", "application/json");
    if (signature != null) {
      b.header(ParlorSignature.HEADER, signature);
    }
    b.method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String envelope(String id, String from, String to, String ciphertext) {
    ObjectNode e = encryptedEnvelope(id, from, to);
    ((ObjectNode) e.get("content")).put("ciphertext", ciphertext);
    return e.toString();
  }

  /** An envelope whose content is {@code {"type": "encrypted", "scheme"}}, for the caller to finish. */
  private static ObjectNode encryptedEnvelope(String id, String from, String to) {
    ObjectNode e = JSON.createObjectNode();
    e.put("id", id);
    e.put("from", from);
    e.put("to", to);
    e.put("sentAt", Instant.now().toString());
    ObjectNode c = e.putObject("content");
    c.put("type", "encrypted");
    c.put("scheme", SCHEME);
    return e;
  }

  private static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static void assertError(int status, String code, String messagePrefix, HttpResponse<String> r)
      throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode e = JSON.readTree(r.body()).get("error");
    assertEquals(code, e.get("code").asText(), r.body());
    assertTrue(e.get("message").asText().startsWith(messagePrefix), r.body());
  }

  private static List<KeyLogVerifier.Entry> entries(JsonNode logBody) {
    List<KeyLogVerifier.Entry> out = new ArrayList<>();
    HexFormat hex = HexFormat.of();
    for (JsonNode e : logBody.get("entries")) {
      out.add(new KeyLogVerifier.Entry(
          e.get("seq").asLong(), e.get("network").asText(), hex.parseHex(e.get("accountCommitment").asText()),
          e.get("scheme").asText(), Base64.getDecoder().decode(e.get("publicKey").asText()), e.get("at").asLong(),
          hex.parseHex(e.get("prevHash").asText()), hex.parseHex(e.get("entryHash").asText()),
          e.hasNonNull("account") ? e.get("account").asText() : null,
          e.hasNonNull("accountSalt") ? hex.parseHex(e.get("accountSalt").asText()) : null));
    }
    return out;
  }

  private LoggedRequest awaitOne(String path) throws InterruptedException {
    await(path, () -> !networks.findAll(postRequestedFor(urlEqualTo(path))).isEmpty());
    List<LoggedRequest> all = networks.findAll(postRequestedFor(urlEqualTo(path)));
    assertEquals(1, all.size(), path);
    return all.get(0);
  }

  private void awaitStatus(String path) throws InterruptedException {
    await("status at " + path, () -> networks.findAll(postRequestedFor(urlEqualTo(path))).stream()
        .anyMatch(r -> r.getBodyAsString().contains("\"delivered\"")));
  }

  private static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + node.port() + pathAndQuery);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  // --- output capture: every log event of the node (io.parlor at DEBUG) and stdout/stderr

  private void captureOutput() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    PatternLayoutEncoder enc = new PatternLayoutEncoder();
    enc.setContext(ctx);
    enc.setPattern("%d %level [%thread] %logger - %msg %mdc%n%ex");
    enc.start();
    appender = new OutputStreamAppender<>();
    appender.setContext(ctx);
    appender.setEncoder(enc);
    appender.setOutputStream(new Synced(captured));
    appender.start();
    ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(appender);
    ctx.getLogger("io.parlor").setLevel(Level.DEBUG);
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(new PrintStream(new Tee(originalOut, captured), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new Tee(originalErr, captured), true, StandardCharsets.UTF_8));
  }

  private void restoreOutput() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
    ctx.getLogger("io.parlor").setLevel(null);
    appender.stop();
    System.setOut(originalOut);
    System.setErr(originalErr);
  }

  /** Writes to a shared buffer under its lock. */
  private static final class Synced extends OutputStream {
    private final ByteArrayOutputStream to;

    Synced(ByteArrayOutputStream to) {
      this.to = to;
    }

    @Override
    public void write(int b) {
      synchronized (to) {
        to.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (to) {
        to.write(b, off, len);
      }
    }
  }

  /** Copies a stream into the capture buffer. */
  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final Synced second;

    Tee(OutputStream first, ByteArrayOutputStream second) {
      this.first = first;
      this.second = new Synced(second);
    }

    @Override
    public void write(int b) throws java.io.IOException {
      first.write(b);
      second.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      first.write(b, off, len);
      second.write(b, off, len);
    }

    @Override
    public void flush() throws java.io.IOException {
      first.flush();
    }
  }
}
