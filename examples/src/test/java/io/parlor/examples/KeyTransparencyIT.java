package io.parlor.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import io.parlor.core.store.SqliteStore;
import io.parlor.server.AuditKeys;
import io.parlor.spi.AdapterProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key directory as a transparency log (issue 15), through real nodes (SQLite on disk) and
 * checked with the example client's JDK-only verifier: two networks fetch the same person's key
 * and compare the signed heads they were shown; proofs of inclusion and consistency verify; and a
 * node that shows one network a different key (a forked log: a copy of its store, signed with the
 * same operator key) passes every check each network can make alone, and is caught as soon as the
 * heads are compared — by the example client and by {@code parlor audit-keys}.
 */
class KeyTransparencyIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCHEME = E2eeClient.SCHEME;
  private static final Map<String, String> SECRETS =
      Map.of("neta", "secret-of-network-a-0001", "netb", "secret-of-network-b-0002", "netc", "secret-of-network-c-0003");

  @TempDir Path dir;
  final List<Gateway> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  /** The operator's master key: both nodes derive the same log signing key from it. */
  final String masterKey = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));

  @AfterEach
  void stop() {
    for (Gateway g : nodes) {
      g.close(Duration.ofSeconds(2));
    }
  }

  private Gateway start(Path db) throws Exception {
    Path file = db.resolveSibling("parlor.yaml");
    Files.createDirectories(db.getParent());
    StringBuilder nets = new StringBuilder();
    for (String id : List.of("neta", "netb", "netc")) {
      nets.append(String.join("\n",
          "  - id: " + id, "    type: webhook", "    secret: " + SECRETS.get(id),
          "    deliveryUrl: http://127.0.0.1:9/" + id, "    capabilities:", "      e2ee: [" + SCHEME + "]", ""));
    }
    Files.writeString(file, String.join("\n",
        "http:", "  bind: 127.0.0.1", "  port: 0",
        "store:", "  path: " + db, "  encryptionKey: " + masterKey,
        "networks:", nets.toString()));
    List<AdapterProvider<?>> providers = new ArrayList<>();
    ServiceLoader.load(AdapterProvider.class).forEach(providers::add);
    ConfigLoader.Result r = new ConfigLoader(Map.of(), providers).load(file);
    assertTrue(r.ok(), r.problems().toString());
    Gateway g = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    nodes.add(g);
    return g;
  }

  @Test
  void twoNetworksCompareTheHeadsTheyWereShownAndAForkedLogIsCaught() throws Exception {
    Path db1 = dir.resolve("one/parlor.db");
    Gateway one = start(db1);
    admin(one, "alice", "{\"accounts\":[\"neta:alice\"],\"optIn\":true}");
    admin(one, "ann", "{\"accounts\":[\"netb:ann\"],\"optIn\":true}");
    admin(one, "bob", "{\"accounts\":[\"netc:bob\"],\"optIn\":true,\"handle\":\"bob\"}");
    E2eeClient bob = E2eeClient.generate();
    ok(publish(one, "neta:alice", E2eeClient.generate().publicKeyBase64()));
    ok(publish(one, "netc:bob", bob.publicKeyBase64()));

    // the operator's signing key, published unsigned for anyone to pin
    JsonNode published = ok(get(one, "/v1/keys/signing-key"));
    assertEquals("Ed25519", published.get("algorithm").asText());
    byte[] signingKey = Base64.getDecoder().decode(published.get("publicKey").asText());

    // --- networks A and B fetch Bob's key; each checks it with the example client
    JsonNode a1 = ok(fetch(one, "neta", "@bob"));
    JsonNode b1 = ok(fetch(one, "netb", "@bob"));
    KeyTransparency.TreeHead headA1 = verified(signingKey, a1);
    KeyTransparency.TreeHead headB1 = verified(signingKey, b1);
    assertEquals(bob.publicKeyBase64(), a1.get("publicKey").asText());
    assertEquals(2, headA1.treeSize());
    // ... and compare the heads they were shown: the same log
    assertEquals(KeyTransparency.Comparison.SAME, KeyTransparency.compare(headA1, headB1, List.of()));

    // a proof that is not the key's, or a head not signed by the operator, is refused
    ObjectNode forged = a1.deepCopy();
    forged.put("publicKey", E2eeClient.generate().publicKeyBase64());
    assertThrows(KeyTransparency.LogMisbehaved.class, () -> verified(signingKey, forged));
    ObjectNode resigned = a1.deepCopy();
    ((ObjectNode) resigned.get("treeHead")).put("treeSize", 3);
    assertThrows(KeyTransparency.LogMisbehaved.class, () -> verified(signingKey, resigned));
    ObjectNode badSignature = a1.deepCopy();
    byte[] sig = Base64.getDecoder().decode(a1.get("treeHead").get("signature").asText());
    sig[5] ^= 1;
    ((ObjectNode) badSignature.get("treeHead")).put("signature", Base64.getEncoder().encodeToString(sig));
    KeyTransparency.LogMisbehaved unsigned =
        assertThrows(KeyTransparency.LogMisbehaved.class, () -> verified(signingKey, badSignature));
    assertTrue(unsigned.getMessage().contains("not signed"), unsigned.getMessage());
    assertTrue(KeyTransparency.verifySignature(signingKey, headA1));
    assertFalse(KeyTransparency.verifySignature(new byte[32], headA1), "another key");

    // --- Bob's key changes; A's monitor accepts the new head only with a consistency proof
    KeyTransparency.Monitor monitorA = new KeyTransparency.Monitor(signingKey);
    monitorA.accept(headA1, List.of());
    E2eeClient bob2 = E2eeClient.generate();
    ok(publish(one, "netc:bob", bob2.publicKeyBase64()));
    ok(publish(one, "netb:ann", E2eeClient.generate().publicKeyBase64()));
    JsonNode a2 = ok(fetch(one, "neta", "@bob"));
    assertEquals(bob2.publicKeyBase64(), a2.get("publicKey").asText());
    KeyTransparency.TreeHead headA2 = verified(signingKey, a2);
    assertEquals(4, headA2.treeSize());
    monitorA.accept(headA2, consistency(one, 2, 4));
    assertEquals(headA2, monitorA.last());
    // a proof for other sizes does not join the heads
    KeyTransparency.Monitor strict = new KeyTransparency.Monitor(signingKey);
    strict.accept(headA1, List.of());
    assertThrows(KeyTransparency.LogMisbehaved.class, () -> strict.accept(headA2, consistency(one, 3, 4)));

    // the operator's own audit, over time: first run pins the key, the next checks consistency
    Path state1 = dir.resolve("audit-one.json");
    assertEquals(0, audit(url(one), "--state", state1.toString()).code);
    ok(publish(one, "neta:alice", E2eeClient.generate().publicKeyBase64()));
    Audit again = audit(url(one), "--state", state1.toString());
    assertEquals(0, again.code, again.err);
    assertTrue(again.out.contains("consistent with the head of 4 entries verified last time"), again.out);

    // --- a fork: the same operator key signs a copy of the store, which shows network B another
    // key for Bob (one the operator holds); the honest log gets Bob's next key
    Path db2 = dir.resolve("two/parlor.db");
    Files.createDirectories(db2.getParent());
    SqliteStore.backup(db1, db2);
    Gateway two = start(db2);
    E2eeClient mallory = E2eeClient.generate();
    ok(publish(two, "netc:bob", mallory.publicKeyBase64()));
    ok(publish(one, "netc:bob", E2eeClient.generate().publicKeyBase64()));
    JsonNode a3 = ok(fetch(one, "neta", "@bob"));
    JsonNode b3 = ok(fetch(two, "netb", "@bob"));
    assertEquals(mallory.publicKeyBase64(), b3.get("publicKey").asText(), "network B is shown the operator's key");
    // each network alone finds nothing wrong: its key is in its head's tree, its head is signed,
    // and B's own history is consistent (the fork came after what it saw)
    KeyTransparency.TreeHead headA3 = verified(signingKey, a3);
    KeyTransparency.TreeHead headB3 = verified(signingKey, b3);
    KeyTransparency.Monitor monitorB = new KeyTransparency.Monitor(signingKey);
    monitorB.accept(headB1, List.of());
    monitorB.accept(headB3, consistency(two, headB1.treeSize(), headB3.treeSize()));
    // comparing the heads catches it: two signed heads of one size with different roots
    assertEquals(headA3.treeSize(), headB3.treeSize());
    assertNotEquals(HexFormat.of().formatHex(headA3.rootHash()), HexFormat.of().formatHex(headB3.rootHash()));
    assertEquals(KeyTransparency.Comparison.FORK, KeyTransparency.compare(headA3, headB3, List.of()));
    // so does A's monitor, given B's head (gossip)
    monitorA.accept(headA3, consistency(one, 4, headA3.treeSize()));
    assertThrows(KeyTransparency.LogMisbehaved.class, () -> monitorA.accept(headB3, List.of()));

    // parlor audit-keys, run against the forked node with the head network A was shown: exit 1
    Path headFile = dir.resolve("head-seen-by-a.json");
    Files.writeString(headFile, a3.get("treeHead").toString());
    Audit fork = audit(url(two), "--state", dir.resolve("audit-two.json").toString(),
        "--signing-key", Base64.getEncoder().encodeToString(signingKey), "--head", headFile.toString());
    assertEquals(1, fork.code, fork.out + fork.err);
    assertTrue(fork.err.contains("LOG MISBEHAVED: fork"), fork.err);
    // a larger head of the honest log: the forked node cannot prove it extends to it
    ok(publish(one, "netb:ann", E2eeClient.generate().publicKeyBase64()));
    Files.writeString(headFile, ok(get(one, "/v1/keys/tree-head")).toString());
    Audit behind = audit(url(two), "--state", dir.resolve("audit-two.json").toString(),
        "--signing-key", Base64.getEncoder().encodeToString(signingKey), "--head", headFile.toString());
    assertEquals(1, behind.code, behind.out + behind.err);
    // the honest node passes with the same head, and after it the state moves on
    Audit honest = audit(url(one), "--state", state1.toString(), "--head", headFile.toString());
    assertEquals(0, honest.code, honest.err);
    // the audit's state pins the key: a node signing with another key is refused
    Audit wrongKey = audit(url(one), "--state", state1.toString(), "--signing-key",
        Base64.getEncoder().encodeToString(new byte[32]));
    assertEquals(1, wrongKey.code, wrongKey.err);
    assertTrue(wrongKey.err.contains("signing key changed"), wrongKey.err);
  }

  /** Checks a key answer with the example client; answers its head. */
  private static KeyTransparency.TreeHead verified(byte[] signingKey, JsonNode answer)
      throws KeyTransparency.LogMisbehaved {
    KeyTransparency.TreeHead head = head(answer.get("treeHead"));
    JsonNode leaf = answer.get("leaf");
    assertEquals(answer.get("seq").asLong() - 1, leaf.get("index").asLong());
    KeyTransparency.verifyKeyAnswer(signingKey, head, answer.get("seq").asLong(), leaf.get("network").asText(),
        HexFormat.of().parseHex(leaf.get("accountCommitment").asText()), answer.get("scheme").asText(),
        Base64.getDecoder().decode(answer.get("publicKey").asText()), leaf.get("at").asLong(),
        hashes(answer.get("inclusion")));
    return head;
  }

  private static KeyTransparency.TreeHead head(JsonNode h) {
    return new KeyTransparency.TreeHead(h.get("treeSize").asLong(), HexFormat.of().parseHex(h.get("rootHash").asText()),
        h.get("timestamp").asLong(), Base64.getDecoder().decode(h.get("signature").asText()));
  }

  private static List<byte[]> hashes(JsonNode arr) {
    List<byte[]> out = new ArrayList<>();
    arr.forEach(h -> out.add(HexFormat.of().parseHex(h.asText())));
    return out;
  }

  private List<byte[]> consistency(Gateway g, long first, long second) throws Exception {
    JsonNode r = ok(get(g, "/v1/keys/consistency?first=" + first + "&second=" + second));
    return hashes(r.get("proof"));
  }

  private record Audit(int code, String out, String err) {}

  private static Audit audit(String... rest) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = new String[rest.length + 1];
    args[0] = "audit-keys";
    System.arraycopy(rest, 0, args, 1, rest.length);
    int code = AuditKeys.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Audit(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private void admin(Gateway g, String id, String json) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url(g) + "/admin/v1/people/" + id))
        .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  private HttpResponse<String> publish(Gateway g, String account, String publicKey) throws Exception {
    ObjectNode b = JSON.createObjectNode();
    b.put("account", account);
    b.put("scheme", SCHEME);
    b.put("publicKey", publicKey);
    String network = account.substring(0, account.indexOf(':'));
    return signed(g, network, "PUT", "/v1/networks/" + network + "/keys", b.toString());
  }

  private HttpResponse<String> fetch(Gateway g, String network, String address) throws Exception {
    return signed(g, network, "GET", "/v1/networks/" + network + "/keys?for="
        + URLEncoder.encode(address, StandardCharsets.UTF_8) + "&scheme=" + SCHEME, "");
  }

  private HttpResponse<String> get(Gateway g, String pathAndQuery) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url(g) + pathAndQuery)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> signed(Gateway g, String network, String method, String pathAndQuery, String body)
      throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return http.send(HttpRequest.newBuilder(URI.create(url(g) + pathAndQuery))
        .header("Content-Type", "application/json")
        .header(ParlorSignature.HEADER, ParlorSignature.sign(SECRETS.get(network), bytes, Instant.now().getEpochSecond()))
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static String url(Gateway g) {
    return "http://127.0.0.1:" + g.port();
  }
}
