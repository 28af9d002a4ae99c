package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 end to end, through a real node: a WhatsApp user sends a photo to a Messenger user;
 * it arrives through the Send API as an attachment whose URL is the node's capability URL, whose
 * bytes come — when fetched — from the WhatsApp media endpoint with the right SHA-256; she reacts
 * to it, and the WhatsApp user gets a native reaction on his own message; she reads it, and his
 * message is marked read. No file under the node's data directory contains the photo's bytes.
 * WireMock plays the Graph API (sends, media lookup, media download).
 */
class ConversationsE2EIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WA_NUMBER_ID = "106540352242922";
  private static final String PAGE_ID = "1122334455";
  private static final String WA_SECRET = "wa-app-secret-0123456789";
  private static final String FB_SECRET = "fb-app-secret-0123456789";
  private static final String WALT = "15551234567";
  private static final String MIA_PSID = "6543210987654321";
  private static final String MEDIA_ID = "1227829768162607";

  @TempDir Path dir;
  WireMockServer graph;
  Gateway node;
  byte[] photo;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    photo = new byte[250_000];
    new Random(42).nextBytes(photo);
    graph = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    graph.start();
    graph.stubFor(post(urlEqualTo("/v21.0/me/messages")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"recipient_id\":\"" + MIA_PSID + "\",\"message_id\":\"m_OUT1\"}")));
    graph.stubFor(post(urlEqualTo("/v21.0/" + WA_NUMBER_ID + "/messages")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.OUT2\"}]}")));
    // the Graph media endpoint names a short-lived download URL, which needs the token too
    graph.stubFor(get(urlEqualTo("/v21.0/" + MEDIA_ID)).withHeader("Authorization", equalTo("Bearer wa-access-token-xyz"))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
            .withBody("{\"url\":\"" + graph.baseUrl() + "/lookaside/attachments/?mid=" + MEDIA_ID + "\",\"mime_type\":\"image/jpeg\","
                + "\"sha256\":\"" + HexFormat.of().formatHex(sha256(photo)) + "\",\"file_size\":" + photo.length
                + ",\"id\":\"" + MEDIA_ID + "\",\"messaging_product\":\"whatsapp\"}")));
    graph.stubFor(get(urlEqualTo("/lookaside/attachments/?mid=" + MEDIA_ID))
        .withHeader("Authorization", equalTo("Bearer wa-access-token-xyz"))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "image/jpeg").withBody(photo)));
    Path file = dir.resolve("e2e.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("data").resolve("e2e.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "media:", "  allowedPrivateRanges: [127.0.0.0/8]   # WireMock plays the Graph API on loopback",
        "networks:",
        "  - id: whatsapp", "    type: whatsapp", "    phoneNumberId: \"" + WA_NUMBER_ID + "\"",
        "    accessToken: wa-access-token-xyz", "    appSecret: " + WA_SECRET, "    verifyToken: wa-verify-token",
        "    graphBaseUrl: " + graph.baseUrl(), "    graphVersion: v21.0",
        "  - id: messenger", "    type: messenger", "    platform: messenger", "    pageId: \"" + PAGE_ID + "\"",
        "    accessToken: fb-page-token-xyz", "    appSecret: " + FB_SECRET, "    verifyToken: fb-verify-token",
        "    graphBaseUrl: " + graph.baseUrl(), "    graphVersion: v21.0",
        ""));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), Main.providers()).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri("/admin/v1/people/mia"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"messenger:" + MIA_PSID
            + "\"],\"optIn\":true,\"handle\":\"mia\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close(Duration.ofSeconds(2));
    }
    graph.stop();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.port() + path);
  }

  private HttpResponse<String> webhook(String network, String secret, String body) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String sig = "sha256=" + HexFormat.of().formatHex(mac.doFinal(bytes));
    return http.send(HttpRequest.newBuilder(uri("/webhooks/" + network))
        .header("Content-Type", "application/json").header("X-Hub-Signature-256", sig)
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> sent(String path) {
    return graph.findAll(postRequestedFor(urlEqualTo(path))).stream().map(r -> {
      try {
        return JSON.readTree(r.getBodyAsString());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }).collect(Collectors.toList());
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

  private static String waMessage(String id, String typeAndBody) {
    return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{"
        + "\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\","
        + "\"phone_number_id\":\"" + WA_NUMBER_ID + "\"},\"contacts\":[{\"profile\":{\"name\":\"Walt\"},\"wa_id\":\"" + WALT
        + "\"}],\"messages\":[{\"from\":\"" + WALT + "\",\"id\":\"" + id + "\",\"timestamp\":\"" + Instant.now().getEpochSecond()
        + "\"," + typeAndBody + "}]},\"field\":\"messages\"}]}]}";
  }

  private static String fbEvent(String event) {
    long now = System.currentTimeMillis();
    return "{\"object\":\"page\",\"entry\":[{\"id\":\"" + PAGE_ID + "\",\"time\":" + now + ",\"messaging\":[{"
        + "\"sender\":{\"id\":\"" + MIA_PSID + "\"},\"recipient\":{\"id\":\"" + PAGE_ID + "\"},\"timestamp\":" + now + ","
        + event + "}]}]}";
  }

  @Test
  void aPhotoFromWhatsAppReachesMessengerThroughACapabilityUrlAndAReactionComesBack() throws Exception {
    // Walt starts the conversation by handle, then sends a photo (no caption: it follows the conversation)
    assertEquals(200, webhook("whatsapp", WA_SECRET, waMessage("wamid.IN1",
        "\"type\":\"text\",\"text\":{\"body\":\"@mia look at this\"}")).statusCode());
    await("the text", () -> sent("/v21.0/me/messages").size() == 1);
    await("its bookkeeping", () -> node.meters().scrape().contains("parlor_deliveries_total{network=\"messenger\""));
    assertEquals(200, webhook("whatsapp", WA_SECRET, waMessage("wamid.IMG1",
        "\"type\":\"image\",\"image\":{\"mime_type\":\"image/jpeg\",\"sha256\":\""
            + Base64.getEncoder().encodeToString(sha256(photo)) + "\",\"id\":\"" + MEDIA_ID + "\"}")).statusCode());

    await("the photo on Messenger", () -> sent("/v21.0/me/messages").size() == 3);
    List<JsonNode> toMia = sent("/v21.0/me/messages");
    assertTrue(toMia.get(1).path("message").path("text").asText().matches("~[a-z0-9]+: \uD83D\uDCF7 photo"),
        toMia.get(1).toString());
    JsonNode attachment = toMia.get(2).path("message").path("attachment");
    assertEquals("image", attachment.path("type").asText());
    String url = attachment.path("payload").path("url").asText();
    assertTrue(url.startsWith("http://127.0.0.1:" + node.port() + "/media/"), url);
    for (JsonNode b : toMia) {
      assertFalse(b.toString().contains(WALT), "Mia never sees Walt's number");
      assertFalse(b.toString().contains(MEDIA_ID), "nor the WhatsApp media id");
    }

    // Messenger (here: the test) fetches the capability URL: the bytes come from WhatsApp, checked
    HttpResponse<byte[]> fetched = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, fetched.statusCode());
    assertEquals("image/jpeg", fetched.headers().firstValue("content-type").orElse(""));
    assertArrayEquals(sha256(photo), sha256(fetched.body()), "the right hash");
    graph.verify(getRequestedFor(urlEqualTo("/lookaside/attachments/?mid=" + MEDIA_ID))
        .withHeader("Authorization", equalTo("Bearer wa-access-token-xyz")));

    // Mia reacts to the photo (the Send API's id of the attachment); Walt gets a native reaction
    await("the photo's bookkeeping", () -> node.meters().scrape().contains("parlor_deliveries_total{network=\"messenger\",node=\"parlor-1\",outcome=\"delivered\"} 2.0"));
    Thread.sleep(100);
    assertEquals(200, webhook("messenger", FB_SECRET, fbEvent(
        "\"reaction\":{\"reaction\":\"love\",\"emoji\":\"\\u2764\\ufe0f\",\"action\":\"react\",\"mid\":\"m_OUT1\"}")).statusCode());
    await("the reaction on WhatsApp", () -> sent("/v21.0/" + WA_NUMBER_ID + "/messages").stream()
        .anyMatch(b -> b.path("type").asText().equals("reaction")));
    JsonNode reaction = sent("/v21.0/" + WA_NUMBER_ID + "/messages").stream()
        .filter(b -> b.path("type").asText().equals("reaction")).findFirst().orElseThrow();
    assertEquals(WALT, reaction.path("to").asText());
    assertEquals("wamid.IMG1", reaction.path("reaction").path("message_id").asText(), "on Walt's own message");
    assertEquals("\u2764\uFE0F", reaction.path("reaction").path("emoji").asText());

    // Mia reads the thread (a watermark): Walt's messages are marked read
    assertEquals(200, webhook("messenger", FB_SECRET, fbEvent(
        "\"read\":{\"watermark\":" + (System.currentTimeMillis() + 1000) + "}")).statusCode());
    await("mark-as-read on WhatsApp", () -> sent("/v21.0/" + WA_NUMBER_ID + "/messages").stream()
        .anyMatch(b -> b.path("status").asText().equals("read") && b.path("message_id").asText().equals("wamid.IMG1")));

    // nothing of the photo is in the node's files
    node.close(Duration.ofSeconds(2));
    node = null;
    byte[] probe = java.util.Arrays.copyOfRange(photo, 5000, 5032);
    try (var files = Files.walk(dir.resolve("data"))) {
      for (Path f : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
        assertEquals(-1, indexOf(Files.readAllBytes(f), probe), "photo bytes found in " + f.getFileName());
      }
    }
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
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
