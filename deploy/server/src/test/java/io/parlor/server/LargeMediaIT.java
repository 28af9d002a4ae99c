package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, media without holding a whole file: a 100 MiB WhatsApp video streams through the
 * capability URL of a node running as its own process with a 64 MiB heap (the fat jar, as
 * operators run it). The bytes arrive complete with the right SHA-256, the node stays healthy,
 * and none of them is in its files. The "Graph API" here is a small server that generates the
 * video on the fly, so neither side holds it either.
 */
class LargeMediaIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long SIZE = 100L * 1024 * 1024;
  private static final String WA_NUMBER_ID = "106540352242922";
  private static final String WA_SECRET = "wa-app-secret-0123456789";
  private static final String WALT = "15551234567";

  @TempDir Path dir;
  HttpServer source;
  WireMockServer dest;
  NodeProcess node;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (source != null) {
      source.stop(0);
    }
    if (dest != null) {
      dest.stop();
    }
  }

  /** The video's byte at {@code i}: cheap, deterministic, not constant. */
  private static byte at(long i) {
    return (byte) ((i * 31) ^ (i >>> 11));
  }

  private static void fill(byte[] buf, long offset, int n) {
    for (int k = 0; k < n; k++) {
      buf[k] = at(offset + k);
    }
  }

  @Test
  // a node that stops streaming (holds the file) leaves the read blocked: fail, never hang
  @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aHundredMebibyteVideoStreamsThroughA64MebibyteHeap() throws Exception {
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    for (long off = 0; off < SIZE; off += buf.length) {
      int n = (int) Math.min(buf.length, SIZE - off);
      fill(buf, off, n);
      expected.update(buf, 0, n);
    }
    byte[] hash = expected.digest();

    source = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String base = "http://127.0.0.1:" + source.getAddress().getPort();
    source.createContext("/v21.0/777000111", ex -> {
      byte[] json = ("{\"url\":\"" + base + "/download/777000111\",\"mime_type\":\"video/mp4\",\"sha256\":\""
          + HexFormat.of().formatHex(hash) + "\",\"file_size\":" + SIZE + ",\"id\":\"777000111\"}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("content-type", "application/json");
      ex.sendResponseHeaders(200, json.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(json);
      }
    });
    source.createContext("/download/777000111", ex -> {
      ex.getResponseHeaders().add("content-type", "video/mp4");
      ex.sendResponseHeaders(200, SIZE);
      byte[] chunk = new byte[1 << 16];
      try (OutputStream out = ex.getResponseBody()) {
        for (long off = 0; off < SIZE; off += chunk.length) {
          int n = (int) Math.min(chunk.length, SIZE - off);
          fill(chunk, off, n);
          out.write(chunk, 0, n);
        }
      }
    });
    source.start();
    dest = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    dest.start();
    dest.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));

    int port = NodeProcess.freePort();
    Path config = dir.resolve("node.yaml");
    Files.writeString(config, String.join("\n",
        "http:", "  port: " + port,
        "store:", "  path: " + dir.resolve("data").resolve("node.db"),
        "media:", "  allowedPrivateRanges: [127.0.0.0/8]", "  maxBytes: " + (SIZE + 1),
        "networks:",
        "  - id: whatsapp", "    type: whatsapp", "    phoneNumberId: \"" + WA_NUMBER_ID + "\"",
        "    accessToken: wa-access-token-xyz", "    appSecret: " + WA_SECRET, "    verifyToken: wa-verify-token",
        "    graphBaseUrl: " + base, "    graphVersion: v21.0",
        "  - id: chat", "    type: webhook", "    secret: chat-secret-0123456789",
        "    deliveryUrl: " + dest.baseUrl() + "/messages",
        "    capabilities:", "      content: [media]",
        ""));
    node = new NodeProcess(config, dir.resolve("node.log"), port, "64m").start();
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/v1/people/mia"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"chat:mia\"],\"optIn\":true,\"handle\":\"mia\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());

    assertEquals(200, webhook(port, message("wamid.T1", "\"type\":\"text\",\"text\":{\"body\":\"@mia a big one\"}")).statusCode());
    assertEquals(200, webhook(port, message("wamid.V1",
        "\"type\":\"video\",\"video\":{\"mime_type\":\"video/mp4\",\"id\":\"777000111\"}")).statusCode());
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (dest.findAll(postRequestedFor(urlEqualTo("/messages"))).size() < 2 && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    JsonNode video = JSON.readTree(dest.findAll(postRequestedFor(urlEqualTo("/messages"))).get(1).getBodyAsString());
    String url = video.path("content").path("url").asText();
    assertEquals("media", video.path("content").path("type").asText());

    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    assertEquals(SIZE, r.headers().firstValueAsLong("content-length").orElse(-1));
    MessageDigest got = MessageDigest.getInstance("SHA-256");
    long total = 0;
    try (InputStream in = r.body()) {
      for (int n; (n = in.read(buf)) > 0; ) {
        got.update(buf, 0, n);
        total += n;
      }
    }
    assertEquals(SIZE, total);
    assertArrayEquals(hash, got.digest(), "every byte, in order");
    assertTrue(node.process.isAlive(), "the node is still up");
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode());
    String log = Files.readString(dir.resolve("node.log"));
    assertTrue(!log.contains("OutOfMemoryError"), "no OutOfMemoryError in the node's log");
    assertEquals(0, node.terminate(Duration.ofSeconds(20)));

    byte[] probe = new byte[32];
    fill(probe, 12_345_678, probe.length);
    try (var files = Files.walk(dir.resolve("data"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertEquals(-1, indexOf(Files.readAllBytes(f), probe), "video bytes in " + f.getFileName());
      }
    }
  }

  private HttpResponse<String> webhook(int port, String body) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(WA_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/whatsapp"))
        .header("X-Hub-Signature-256", "sha256=" + HexFormat.of().formatHex(mac.doFinal(bytes)))
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String message(String id, String typeAndBody) {
    return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"value\":{"
        + "\"messaging_product\":\"whatsapp\",\"metadata\":{\"phone_number_id\":\"" + WA_NUMBER_ID + "\"},"
        + "\"messages\":[{\"from\":\"" + WALT + "\",\"id\":\"" + id + "\",\"timestamp\":\"" + Instant.now().getEpochSecond()
        + "\"," + typeAndBody + "}]},\"field\":\"messages\"}]}]}";
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
