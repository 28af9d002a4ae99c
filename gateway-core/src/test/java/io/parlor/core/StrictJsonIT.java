package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.adapter.webhook.Signatures;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18.4: what a node reads is UTF-8 JSON, one value, and no identifier it stores can hold an
 * unpaired surrogate (stored as {@code ?}, two different ids became one and the second message
 * was never delivered). Each refusal is a 400 naming the field.
 */
class StrictJsonIT {
  @TempDir Path dir;
  WireMockServer net;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    net = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    node = new TestNode(dir, TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(), ""));
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"reachableBy\":\"everyone\"}").statusCode());
  }

  @AfterEach
  void stop() {
    node.close();
    net.stop();
  }

  private HttpResponse<String> signed(byte[] body) throws Exception {
    return node.http.send(HttpRequest.newBuilder(node.uri("/v1/networks/neta/messages"))
        .header("content-type", "application/json")
        .header("Parlor-Signature", new Signatures(TestNode.SECRET_A).sign(body, Instant.now()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String envelope(String idJson, String text) {
    return "{\"id\":" + idJson + ",\"from\":\"neta:alice\",\"to\":\"netb:bob\",\"sentAt\":\"" + Instant.now()
        + "\",\"content\":{\"type\":\"text\",\"text\":\"" + text + "\"}}";
  }

  private static void assertRefused(HttpResponse<String> r, String field, String reason) {
    assertEquals(400, r.statusCode(), r.body());
    String message = TestNode.json(r.body()).path("error").path("message").asText();
    assertTrue(message.startsWith(field + ": ") && message.contains(reason), "names " + field + ": " + message);
  }

  @Test
  void idsWithUnpairedSurrogatesAreRefusedSoTheyCannotCollide() throws Exception {
    // "x\uD800" and "x\uDBFF" would both be stored as "x?"
    assertRefused(signed(envelope("\"x\\uD800\"", "one").getBytes(StandardCharsets.UTF_8)), "id", "unpaired surrogate");
    assertRefused(signed(envelope("\"x\\uDBFF\"", "two").getBytes(StandardCharsets.UTF_8)), "id", "unpaired surrogate");
    assertRefused(signed(envelope("\"y\"", "a lone \\uDC00 in the text").getBytes(StandardCharsets.UTF_8)),
        "content.text", "unpaired surrogate");
    // a pair is a character like any other: accepted, and distinct from its neighbour
    assertEquals(202, signed(envelope("\"x\\uD83D\\uDE00\"", "one").getBytes(StandardCharsets.UTF_8)).statusCode());
    assertEquals(202, signed(envelope("\"x\\uD83D\\uDE01\"", "two").getBytes(StandardCharsets.UTF_8)).statusCode());
    TestNode.await("both delivered", java.time.Duration.ofSeconds(10),
        () -> net.findAll(postRequestedFor(urlEqualTo("/messages"))).size() == 2);
  }

  @Test
  void bodiesMustBeUtf8AndOneJsonValue() throws Exception {
    String json = envelope("\"u-1\"", "hello");
    assertRefused(signed(json.getBytes(StandardCharsets.UTF_16LE)), "body", "must be UTF-8");
    assertRefused(signed(json.getBytes(StandardCharsets.UTF_16)), "body", "must be UTF-8");
    assertRefused(signed(json.getBytes(java.nio.charset.Charset.forName("UTF-32BE"))), "body", "must be UTF-8");
    byte[] latin1 = envelope("\"u-2\"", "caf\u00e9").getBytes(StandardCharsets.ISO_8859_1);
    assertRefused(signed(latin1), "body", "must be UTF-8");
    assertRefused(signed((json + "{\"id\":\"u-3\"}").getBytes(StandardCharsets.UTF_8)), "body", "malformed JSON");
    assertRefused(signed((json + "garbage").getBytes(StandardCharsets.UTF_8)), "body", "malformed JSON");
    // whitespace after the value is fine
    assertEquals(202, signed((json + "\r\n").getBytes(StandardCharsets.UTF_8)).statusCode());
  }

  @Test
  void theAdminAndUserApisRefuseTheSameWayNamingTheField() throws Exception {
    HttpResponse<String> admin = node.admin("PUT", "/people/carol",
        "{\"accounts\":[\"netb:car\\uD800ol\"],\"optIn\":true}");
    assertRefused(admin, "accounts[0]", "unpaired surrogate");
    HttpResponse<String> user = node.http.send(HttpRequest.newBuilder(node.uri("/v1/auth/start"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"account\":\"netb:b\\uDFFFob\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertRefused(user, "account", "unpaired surrogate");
    HttpResponse<String> trailing = node.admin("PUT", "/people/carol",
        "{\"accounts\":[\"netb:carol\"],\"optIn\":true} []");
    assertRefused(trailing, "body", "malformed JSON");
  }
}
