package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: a copy of the store does not reveal the social graph. 100 people, each with an
 * account on both networks and a public handle, and ten strangers (accounts no one linked)
 * exchange 1,000 messages — to accounts, to handles, and back through the relay handles they
 * were shown. Then every person id, account and handle is searched for, as bytes, in every file
 * of the store (SQLite: its directory, WAL included, with the node running and again after it
 * stopped; PostgreSQL: the database's directory and the server's WAL after a CHECKPOINT): none is
 * there, while the tables that hold the graph — people, accounts, threads, relay handles,
 * references — have their rows. Runs on both stores.
 */
class SocialGraphAtRestIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PEOPLE = 100;
  private static final int STRANGERS = 10;
  private static final int MESSAGES = 1_000;

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    }
    node = new TestNode(dir, TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), ""));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
  }

  private long rows(String table) throws Exception {
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** For each needle found, the first store file that holds it. */
  private TreeMap<String, String> inStore(List<String> needles) throws Exception {
    TreeMap<String, String> hits = new TreeMap<>();
    for (Path f : TestNode.storeFiles(dir.resolve("parlor.db"))) {
      if (!f.getFileName().toString().endsWith(".yaml")) { // the node's config, not its store
        search(f, needles).forEach(hits::putIfAbsent);
      }
    }
    return hits;
  }

  private static TreeMap<String, String> search(Path f, List<String> needles) throws Exception {
    String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
    TreeMap<String, String> hits = new TreeMap<>();
    for (String n : needles) {
      if (bytes.contains(n)) {
        hits.put(n, f.getFileName().toString());
      }
    }
    return hits;
  }

  /** The accounts whose key log commitment the database's own salts open. */
  private List<String> commitmentsOpenedFromTheDatabaseAlone(List<String> accounts) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"));
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT a.salt, l.account_commitment FROM key_log_accounts a JOIN key_log l ON l.seq = a.seq")) {
      while (rs.next()) {
        byte[] salt = rs.getBytes(1);
        byte[] commitment = rs.getBytes(2);
        for (String a : accounts) {
          java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
          sha.update(salt);
          sha.update(("neta:" + a).getBytes(StandardCharsets.UTF_8));
          if (java.util.Arrays.equals(sha.digest(), commitment)) {
            out.add(a);
          }
        }
      }
    }
    return out;
  }

  /**
   * The parties whose pseudonym, computed with the keys the database holds over the party or over
   * its sealed form (which is in the database too), is in the safety log.
   */
  private List<String> pseudonymsFromTheDatabaseAlone(List<String> parties) throws Exception {
    List<byte[]> keys = new ArrayList<>();
    java.util.Set<String> logged = new java.util.HashSet<>();
    try (Connection c = TestNode.connect(dir.resolve("parlor.db"))) {
      try (ResultSet rs = c.createStatement().executeQuery("SELECT key FROM pseudonym_keys")) {
        while (rs.next()) {
          keys.add(rs.getBytes(1));
        }
      }
      try (ResultSet rs = c.createStatement().executeQuery("SELECT sender, recipient FROM safety_events")) {
        while (rs.next()) {
          logged.add(rs.getString(1));
          logged.add(rs.getString(2));
        }
      }
    }
    assertTrue(!keys.isEmpty(), "the window's pseudonym key");
    List<String> out = new ArrayList<>();
    for (byte[] key : keys) {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      List<String> candidates = new ArrayList<>(parties);
      // nor joined to the sealed rows
      parties.forEach(p -> candidates.add(TestNode.sealed(dir.resolve("parlor.db"), p)));
      for (String p : candidates) {
        String pseudonym = java.util.Base64.getUrlEncoder().withoutPadding()
            .encodeToString(java.util.Arrays.copyOf(mac.doFinal(p.getBytes(StandardCharsets.UTF_8)), 16));
        if (logged.contains(pseudonym)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  @Test
  void aCopyOfTheStoreNamesNoOneAfterAThousandMessagesBetweenAHundredPeople() throws Exception {
    Random random = new Random(15);
    String run = HexFormat.of().toHexDigits(random.nextInt());
    List<String> ids = new ArrayList<>();
    List<String> accountsA = new ArrayList<>();
    List<String> accountsB = new ArrayList<>();
    List<String> handles = new ArrayList<>();
    for (int i = 0; i < PEOPLE; i++) {
      ids.add("person" + run + "x" + i);
      accountsA.add("alpha" + run + "x" + i);
      accountsB.add("bravo" + run + "x" + i);
      handles.add("h" + run + "x" + i);
      // half prefer their neta account, half their netb one
      String a = "\"neta:" + accountsA.get(i) + "\"";
      String b = "\"netb:" + accountsB.get(i) + "\"";
      assertEquals(200, node.admin("PUT", "/people/" + ids.get(i),
          "{\"accounts\":[" + (i % 2 == 0 ? a + "," + b : b + "," + a) + "],\"optIn\":true,"
              + "\"reachableBy\":\"everyone\",\"handle\":\"" + handles.get(i) + "\"}").statusCode());
    }
    List<String> strangers = new ArrayList<>();
    for (int i = 0; i < STRANGERS; i++) {
      strangers.add("stranger" + run + "x" + i);
    }

    List<String[]> messages = new ArrayList<>(); // id, sender, recipient, text
    for (int m = 0; m < MESSAGES; m++) {
      int from = random.nextInt(PEOPLE + STRANGERS);
      int to = random.nextInt(PEOPLE);
      if (from == to) {
        to = (to + 1) % PEOPLE;
      }
      String sender = from < PEOPLE ? "neta:" + accountsA.get(from) : "neta:" + strangers.get(from - PEOPLE);
      String recipient = m % 3 == 0 ? "@" + handles.get(to) : "netb:" + accountsB.get(to);
      messages.add(new String[] {"m-" + m, sender, recipient, "hello " + m});
    }
    // eight senders at once: what is looked for is what the store keeps, not the order it came in
    ExecutorService senders = Executors.newFixedThreadPool(8);
    try {
      List<Future<HttpResponse<String>>> answers = new ArrayList<>();
      for (String[] m : messages) {
        answers.add(senders.submit(() -> node.send("neta", TestNode.SECRET_A, TestNode.text(m[0], m[1], m[2], m[3]))));
      }
      for (Future<HttpResponse<String>> a : answers) {
        HttpResponse<String> r = a.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(202, r.statusCode(), r.body());
      }
    } finally {
      senders.shutdownNow();
    }
    int total = messages.size();
    TestNode.await("every message delivered", WAIT, () ->
        netA.findAll(postRequestedFor(urlEqualTo("/messages"))).size()
            + netB.findAll(postRequestedFor(urlEqualTo("/messages"))).size() >= total);
    // and a hundred answers back through the relay handles the recipients were shown
    List<String> shownFrom = new ArrayList<>();
    for (var req : netA.findAll(postRequestedFor(urlEqualTo("/messages")))) {
      var env = TestNode.json(req.getBodyAsString());
      if (env.path("from").asText().startsWith("~") && shownFrom.size() < 100) {
        assertEquals(202, node.send("neta", TestNode.SECRET_A,
            TestNode.text("r-" + shownFrom.size(), env.path("to").asText(), env.path("from").asText(), "hi back"))
            .statusCode());
        shownFrom.add(env.path("from").asText());
      }
    }
    assertTrue(shownFrom.size() > 10, "answers through relay handles: " + shownFrom.size());
    TestNode.await("the queue empty", WAIT, () -> node.gateway.queueDepth() == 0);

    // the graph is there...
    assertEquals(PEOPLE, rows("people"));
    assertEquals(2 * PEOPLE, rows("accounts"));
    assertTrue(rows("threads") > PEOPLE, "threads: " + rows("threads"));
    assertTrue(rows("relay_handles") > PEOPLE, "relay handles: " + rows("relay_handles"));
    assertTrue(rows("message_refs") >= MESSAGES, "references: " + rows("message_refs"));

    // ten of them publish an identity key: the key log's salted commitments cannot be opened by
    // trying accounts against the salts the database holds (the salts are sealed)
    java.security.KeyPairGenerator x25519 = java.security.KeyPairGenerator.getInstance("X25519");
    for (int i = 0; i < 10; i++) {
      byte[] spki = x25519.generateKeyPair().getPublic().getEncoded();
      String body = TestNode.JSON.createObjectNode().put("account", "neta:" + accountsA.get(i))
          .put("scheme", "x25519-aesgcm-v1")
          .put("publicKey", java.util.Base64.getEncoder().encodeToString(
              java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length))).toString();
      var r = node.signed("neta", TestNode.SECRET_A, "PUT", "/v1/networks/neta/keys", body);
      assertEquals(200, r.statusCode(), r.body());
    }
    assertEquals(10, rows("key_log_accounts"));
    assertEquals(List.of(), commitmentsOpenedFromTheDatabaseAlone(accountsA));

    // the safety log's pseudonyms are keyed by the seal too: the window's key, which is in the
    // database, does not let a copy test a guess of who someone is
    List<String> parties = new ArrayList<>();
    ids.forEach(id -> parties.add("person:" + id));
    strangers.forEach(a -> parties.add("addr:neta:" + a));
    assertTrue(rows("safety_events") > 0, "the safety log has events");
    assertEquals(List.of(), pseudonymsFromTheDatabaseAlone(parties));

    // ...and no file of the store names anyone in it
    List<String> needles = new ArrayList<>();
    needles.addAll(ids);
    needles.addAll(accountsA);
    needles.addAll(accountsB);
    needles.addAll(handles);
    needles.addAll(strangers);
    assertEquals(new TreeMap<>(), inStore(needles), "ids, accounts and handles found in the running node's store");
    node.close();
    node = null;
    assertEquals(new TreeMap<>(), inStore(needles), "ids, accounts and handles found in the stopped node's store");
  }
}
