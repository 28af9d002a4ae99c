package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.sun.net.httpserver.HttpServer;
import io.parlor.adapter.webhook.WebhookAdapterProvider;
import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.IngressResult;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, media without touching disk: media held by a network (the fake {@code src}, whose
 * references only it can open) reaches a recipient as a capability URL on the node; {@code GET
 * /media/{token}} streams the bytes from the source, checking size and SHA-256; unknown and
 * expired tokens get the same 404; the SSRF guard refuses sources the config does not allow;
 * nothing of the bytes is left in the node's files.
 */
class MediaIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  final FakeNetworkProvider fakes = new FakeNetworkProvider();
  final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
  final List<String> authorizations = new CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  HttpServer source;
  WireMockServer dest;
  Gateway node;
  byte[] photo;

  /** A clock the test moves. */
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  };

  private void start(String mediaSection) throws Exception {
    photo = new byte[300_000];
    new Random(7).nextBytes(photo);
    source = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    source.createContext("/photo", ex -> {
      authorizations.add(ex.getRequestHeaders().getFirst("authorization"));
      ex.getResponseHeaders().add("content-type", "image/jpeg");
      ex.sendResponseHeaders(200, photo.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(photo);
      }
    });
    source.createContext("/chunked", ex -> {
      ex.sendResponseHeaders(200, 0); // chunked: no length announced
      try (OutputStream out = ex.getResponseBody()) {
        out.write(photo);
      }
    });
    source.createContext("/elsewhere", ex -> {
      ex.getResponseHeaders().add("location", "ftp://127.0.0.1/photo");
      ex.sendResponseHeaders(302, -1);
      ex.close();
    });
    source.createContext("/hop", ex -> {
      ex.getResponseHeaders().add("location", "/photo");
      ex.sendResponseHeaders(302, -1);
      ex.close();
    });
    source.start();
    dest = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    dest.start();
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    dest.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    Path file = dir.resolve("p.yaml");
    Files.writeString(file, TestNode.onTestStore(String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("data").resolve("p.db"),
        "media:", mediaSection,
        "networks:",
        "  - id: src", "    type: fake", "    media: true",
        "  - id: show", "    type: webhook", "    secret: " + TestNode.SECRET_A,
        "    deliveryUrl: " + dest.baseUrl() + "/messages", "    statusUrl: " + dest.baseUrl() + "/status",
        "    capabilities:", "      content: [media]",
        "  - id: plain", "    type: webhook", "    secret: " + TestNode.SECRET_B,
        "    deliveryUrl: " + dest.baseUrl() + "/messages",
        "")));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), List.of(fakes, new WebhookAdapterProvider())).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), clock);
    admin("/people/vic", "{\"accounts\":[\"show:vic\"],\"optIn\":true}");
    admin("/people/pia", "{\"accounts\":[\"plain:pia\"],\"optIn\":true}");
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close(Duration.ofSeconds(1));
    }
    if (source != null) {
      source.stop(0);
    }
    if (dest != null) {
      dest.stop();
    }
  }

  private void admin(String path, String json) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/admin/v1" + path))
        .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  private String sourceUrl(String path) {
    return "http://127.0.0.1:" + source.getAddress().getPort() + path;
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private int ids;

  /** The fake network's user sends held media; returns what the destination received. */
  private JsonNode sendHeld(String to, String path, Long size, String hash) throws Exception {
    int before = dest.findAll(postRequestedFor(urlEqualTo("/messages"))).size();
    Content.Media media = Content.Media.held(Content.MediaKind.IMAGE, sourceUrl(path), "image/jpeg", size, hash)
        .withCaption("our garden");
    Envelope e = Envelope.of(MessageId.of("wamid.p" + (++ids)), Address.of("src:+15550001"), Address.of(to),
        now.get(), media);
    assertInstanceOf(IngressResult.Accepted.class, fakes.adapters.get("src").inject(e));
    TestNode.await("delivery", WAIT, () -> dest.findAll(postRequestedFor(urlEqualTo("/messages"))).size() > before);
    return TestNode.json(dest.findAll(postRequestedFor(urlEqualTo("/messages"))).get(before).getBodyAsString());
  }

  private HttpResponse<byte[]> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private String scrape() {
    return node.meters().scrape();
  }

  @Test
  void forgetMeEndsTheLinksToTheMediaThePersonSent() throws Exception {
    start("  allowedPrivateRanges: [127.0.0.0/8]");
    admin("/people/sam", "{\"accounts\":[\"src:+15550001\"],\"optIn\":true}");
    String url = sendHeld("show:vic", "/photo", (long) photo.length, sha256(photo)).get("content").get("url").asText();
    assertEquals(200, get(url).statusCode());
    HttpResponse<String> gone = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/sam")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(204, gone.statusCode(), gone.body());
    assertEquals(404, get(url).statusCode(), "the link to a forgotten person's photo is gone");
    try (java.sql.Connection c = TestNode.connect(dir.resolve("data").resolve("p.db"));
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM media_links")) {
      rs.next();
      assertEquals(0, rs.getLong(1));
    }
  }

  @Test
  void heldMediaReachesTheRecipientThroughACapabilityUrlAndNeverTouchesDisk() throws Exception {
    start("  allowedPrivateRanges: [127.0.0.0/8]");
    JsonNode atVic = sendHeld("show:vic", "/photo", (long) photo.length, sha256(photo));
    JsonNode content = atVic.get("content");
    assertEquals("media", content.get("type").asText());
    String url = content.get("url").asText();
    assertTrue(url.matches("http://127\\.0\\.0\\.1:" + node.port() + "/media/[A-Za-z0-9_-]{22}"), url);
    assertEquals(sha256(photo), content.get("sha256").asText());
    assertEquals(photo.length, content.get("size").asLong());
    assertEquals("our garden", content.get("caption").asText());
    assertTrue(!atVic.toString().contains(sourceUrl("/photo")), "the source reference never leaves the node");

    HttpResponse<byte[]> r = get(url);
    assertEquals(200, r.statusCode());
    assertArrayEquals(photo, r.body());
    assertEquals("image/jpeg", r.headers().firstValue("content-type").orElse(""));
    assertEquals("private, no-store", r.headers().firstValue("cache-control").orElse(""));
    assertEquals("Bearer fake-network-token", authorizations.get(0), "fetched with the source network's credentials");
    // the link works again within its lifetime, and redirects on the same scheme are followed
    assertArrayEquals(photo, get(url).body());

    // a network without media gets the caption and the link as text
    JsonNode atPia = sendHeld("plain:pia", "/hop", null, null);
    String text = atPia.get("content").get("text").asText();
    assertTrue(text.startsWith("our garden\n\uD83D\uDCF7 photo: http://127.0.0.1:" + node.port() + "/media/"), text);
    String link = text.substring(text.indexOf("http://"));
    assertArrayEquals(photo, get(link).body(), "size and hash unknown: streamed as the source sends it");

    // no file of the node holds the bytes (a 32-byte run of them is enough to tell), nor a
    // capability token (only its hash is kept), nor the source's reference
    node.close(Duration.ofSeconds(1));
    node = null;
    byte[] probe = java.util.Arrays.copyOfRange(photo, 1000, 1032);
    byte[] token = url.substring(url.lastIndexOf('/') + 1).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (Path f : TestNode.storeFiles(dir.resolve("data").resolve("p.db"))) {
      byte[] bytes = Files.readAllBytes(f);
      assertEquals(-1, indexOf(bytes, probe), "media bytes found in " + f.getFileName());
      assertEquals(-1, indexOf(bytes, token), "a capability token found in " + f.getFileName());
    }
  }

  @Test
  void unknownAndExpiredTokensGetTheSameAnswer() throws Exception {
    start("  allowedPrivateRanges: [127.0.0.0/8]\n  linkTtl: PT5M");
    String url = sendHeld("show:vic", "/photo", (long) photo.length, sha256(photo)).get("content").get("url").asText();
    String base = url.substring(0, url.lastIndexOf('/') + 1);
    HttpResponse<byte[]> unknown = get(base + "AAAAAAAAAAAAAAAAAAAAAA");
    assertEquals(404, unknown.statusCode());
    HttpResponse<byte[]> malformed = get(base + "..%2f..%2fetc");
    assertEquals(404, malformed.statusCode());
    now.set(now.get().plus(Duration.ofMinutes(6)));
    HttpResponse<byte[]> expired = get(url);
    assertEquals(404, expired.statusCode());
    assertEquals(new String(unknown.body()), new String(expired.body()), "unknown and expired say the same");
    assertEquals(new String(unknown.body()), new String(malformed.body()));
    assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode());
  }

  @Test
  void aWrongHashOrSizeCutsTheTransferShort() throws Exception {
    start("  allowedPrivateRanges: [127.0.0.0/8]");
    String wrongHash = sendHeld("show:vic", "/photo", (long) photo.length, "0".repeat(64)).get("content").get("url").asText();
    IOException cut = assertThrows(IOException.class, () -> get(wrongHash), "never a complete wrong file");
    assertTrue(cut.getMessage() != null);
    String wrongSize = sendHeld("show:vic", "/photo", photo.length + 10L, null).get("content").get("url").asText();
    assertEquals(502, get(wrongSize).statusCode(), "the announced length disagrees: refused before any byte");
    String chunkedTooLong = sendHeld("show:vic", "/chunked", photo.length - 10L, null).get("content").get("url").asText();
    assertThrows(IOException.class, () -> get(chunkedTooLong));
    TestNode.await("counted", WAIT, () -> scrape().contains("outcome=\"mismatch\"} 3.0"));
  }

  @Test
  void mediaLogsNameNoSourceTokenOrAccount() throws Exception {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Level before = root.getLevel();
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    root.addAppender(logs);
    root.setLevel(ch.qos.logback.classic.Level.DEBUG); // at every level
    try {
      start("  allowedPrivateRanges: [127.0.0.0/8]");
      String url = sendHeld("show:vic", "/photo", photo.length + 10L, null).get("content").get("url").asText();
      assertEquals(502, get(url).statusCode());
      TestNode.await("counted", WAIT, () -> scrape().contains("outcome=\"mismatch\"} 1.0"));
      StringBuilder text = new StringBuilder();
      List<ch.qos.logback.classic.spi.ILoggingEvent> events;
      synchronized (logs) { // the appender adds under its own lock while the node logs
        events = new java.util.ArrayList<>(logs.list);
      }
      for (ch.qos.logback.classic.spi.ILoggingEvent e : events) {
        text.append(e.getFormattedMessage()).append('\n');
      }
      String all = text.toString();
      assertTrue(all.contains("not relayed"), "the relay's line was captured");
      String token = url.substring(url.lastIndexOf('/') + 1);
      for (String secret : List.of(sourceUrl("/photo"), "/photo", token, "show:vic", "+15550001")) {
        assertFalse(all.contains(secret), secret + " in the logs:\n" + all);
      }
    } finally {
      root.detachAppender(logs);
      root.setLevel(before);
    }
  }

  @Test
  void sourcesTheConfigDoesNotAllowAreRefused() throws Exception {
    start("  maxBytes: 100000");
    // loopback is private: refused without allowedPrivateRanges
    String url = sendHeld("show:vic", "/photo", null, null).get("content").get("url").asText();
    HttpResponse<byte[]> r = get(url);
    assertEquals(502, r.statusCode());
    assertTrue(authorizations.isEmpty(), "no request reached the source");
    TestNode.await("counted", WAIT, () -> scrape().contains("outcome=\"refused_address\"} 1.0"));
  }

  @Test
  void redirectsToOtherSchemesAndOversizedMediaAreRefused() throws Exception {
    start("  allowedPrivateRanges: [127.0.0.0/8]\n  maxBytes: 100000");
    assertEquals(502, get(sendHeld("show:vic", "/elsewhere", null, null).get("content").get("url").asText()).statusCode());
    // announced too large: refused before any byte; unannounced: cut at the limit
    assertEquals(502, get(sendHeld("show:vic", "/photo", null, null).get("content").get("url").asText()).statusCode());
    String chunked = sendHeld("show:vic", "/chunked", null, null).get("content").get("url").asText();
    assertThrows(IOException.class, () -> get(chunked));
    TestNode.await("counted", WAIT, () -> scrape().contains("outcome=\"too_large\"} 2.0"));
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
