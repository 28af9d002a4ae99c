package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 end to end: a WhatsApp user writes (to the business number, "@mia ...") to a Messenger
 * user who opted in and linked both accounts; it arrives through the Messenger Send API; her reply
 * (by reply context) comes back through the WhatsApp Cloud API. WireMock plays the Graph API; the
 * node, its adapters and its SQLite store are real.
 */
class MetaNetworksE2EIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WA_NUMBER_ID = "106540352242922";
  private static final String PAGE_ID = "1122334455";
  private static final String WA_SECRET = "wa-app-secret-0123456789";
  private static final String FB_SECRET = "fb-app-secret-0123456789";
  private static final String WALT = "15551234567";
  private static final String MIA_PSID = "6543210987654321";

  @TempDir Path dir;
  WireMockServer graph;
  Gateway node;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    graph = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    graph.start();
    graph.stubFor(post(urlEqualTo("/v21.0/me/messages")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"recipient_id\":\"" + MIA_PSID + "\",\"message_id\":\"m_OUT1\"}")));
    graph.stubFor(post(urlEqualTo("/v21.0/" + WA_NUMBER_ID + "/messages")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"" + WALT + "\",\"wa_id\":\"" + WALT
            + "\"}],\"messages\":[{\"id\":\"wamid.OUT2\"}]}")));
    Path file = dir.resolve("meta.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  port: 0",
        "store:", "  path: " + dir.resolve("meta.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
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
            + "\",\"whatsapp:+447700900555\"],\"preferred\":\"messenger:" + MIA_PSID + "\",\"optIn\":true,\"handle\":\"mia\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());
  }

  @AfterEach
  void stop() {
    node.close(Duration.ofSeconds(2));
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

  private List<LoggedRequest> sent(String path) {
    return graph.findAll(postRequestedFor(urlEqualTo(path)));
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

  @Test
  void whatsAppUserReachesMessengerUserAndTheReplyComesBack() throws Exception {
    HttpResponse<String> hs = http.send(HttpRequest.newBuilder(
        uri("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wa-verify-token&hub.challenge=1158201444")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, hs.statusCode());
    assertEquals("1158201444", hs.body());

    String waWebhook = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{"
        + "\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\","
        + "\"phone_number_id\":\"" + WA_NUMBER_ID + "\"},\"contacts\":[{\"profile\":{\"name\":\"Walt\"},\"wa_id\":\"" + WALT
        + "\"}],\"messages\":[{\"from\":\"" + WALT + "\",\"id\":\"wamid.IN1\",\"timestamp\":\"" + Instant.now().getEpochSecond()
        + "\",\"text\":{\"body\":\"@mia hello from WhatsApp \\u00e9\"},\"type\":\"text\"}]},\"field\":\"messages\"}]}]}";
    HttpResponse<String> r = webhook("whatsapp", WA_SECRET, waWebhook);
    assertEquals(200, r.statusCode(), r.body());

    await("Messenger Send API call", () -> sent("/v21.0/me/messages").size() == 1);
    LoggedRequest toMia = sent("/v21.0/me/messages").get(0);
    assertEquals("Bearer fb-page-token-xyz", toMia.getHeader("Authorization"));
    JsonNode body = JSON.readTree(toMia.getBodyAsString());
    assertEquals(MIA_PSID, body.get("recipient").get("id").asText());
    String text = body.get("message").get("text").asText();
    assertTrue(text.matches("~[a-z0-9]+: hello from WhatsApp \u00e9"), text);
    assertFalse(toMia.getBodyAsString().contains(WALT), "Mia never sees Walt's phone number");

    // the delivery's reply context is recorded right after the node counts it
    await("delivery counted", () -> node.meters().scrape().contains("parlor_deliveries_total{network=\"messenger\""));
    Thread.sleep(100);

    // a duplicate webhook (platforms deliver at least once) is not delivered twice
    assertEquals(200, webhook("whatsapp", WA_SECRET, waWebhook).statusCode());

    String fbWebhook = "{\"object\":\"page\",\"entry\":[{\"id\":\"" + PAGE_ID + "\",\"time\":" + System.currentTimeMillis()
        + ",\"messaging\":[{\"sender\":{\"id\":\"" + MIA_PSID + "\"},\"recipient\":{\"id\":\"" + PAGE_ID + "\"},"
        + "\"timestamp\":" + System.currentTimeMillis() + ",\"message\":{\"mid\":\"m_IN2\",\"text\":\"hi Walt!\","
        + "\"reply_to\":{\"mid\":\"m_OUT1\"}}}]}]}";
    r = webhook("messenger", FB_SECRET, fbWebhook);
    assertEquals(200, r.statusCode(), r.body());

    await("WhatsApp Cloud API call", () -> sent("/v21.0/" + WA_NUMBER_ID + "/messages").size() == 1);
    LoggedRequest toWalt = sent("/v21.0/" + WA_NUMBER_ID + "/messages").get(0);
    assertEquals("Bearer wa-access-token-xyz", toWalt.getHeader("Authorization"));
    JsonNode wa = JSON.readTree(toWalt.getBodyAsString());
    assertEquals("whatsapp", wa.get("messaging_product").asText());
    assertEquals(WALT, wa.get("to").asText().replace("+", ""));
    assertTrue(wa.get("text").get("body").asText().matches("~[a-z0-9]+: hi Walt!"), wa.toString());
    assertFalse(toWalt.getBodyAsString().contains(MIA_PSID) || toWalt.getBodyAsString().contains("447700900555"),
        "Walt never sees Mia's accounts");
    Thread.sleep(300);
    assertEquals(1, sent("/v21.0/me/messages").size(), "the duplicate webhook was delivered once");
  }

  @Test
  void badSignatureStoresNothing() throws Exception {
    String body = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
    HttpResponse<String> r = webhook("whatsapp", "not-the-app-secret-000", body);
    assertEquals(401, r.statusCode());
    HttpResponse<String> hs = http.send(HttpRequest.newBuilder(
        uri("/webhooks/messenger?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, hs.statusCode());
  }
}
