package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.adapter.webhook.Signatures;
import io.parlor.spi.json.JsonMutator;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, hostile input over HTTP: signed mutants of valid version 2 envelopes of every content
 * kind and of events (seeded, reproducible) posted to a real node get an answer below 500 — a
 * named refusal or an acceptance — and the node keeps serving.
 */
class HostileInputIT {
  private static final int MUTANTS = 250;

  @TempDir Path dir;
  WireMockServer net;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    net = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    String yaml = TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(), "")
        .replace("      expiry: true\n", "      expiry: true\n      content: [media, reaction, edit, delete, location]\n"
            + "      events: [read]\n");
    node = new TestNode(dir, yaml);
    assertEquals(200, node.admin("PUT", "/people/bob", "{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"handle\":\"bob\"}").statusCode());
    // a conversation to refer to
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("m-0", "neta:alice", "@bob", "hi")).statusCode());
  }

  @AfterEach
  void stop() {
    node.close();
    net.stop();
  }

  private HttpResponse<String> signedPost(String path, byte[] body) throws Exception {
    return node.http.send(HttpRequest.newBuilder(node.uri(path))
        .header("Parlor-Signature", new Signatures(TestNode.SECRET_A).sign(body, Instant.now()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void mutantsOfEveryKindAndEventGetFourHundredsNeverFiveHundreds() throws Exception {
    Map<Integer, Integer> byStatus = new TreeMap<>();
    List<String> seeds = new java.util.ArrayList<>();
    for (String s : io.parlor.spi.json.ParsersPropertyTestSeeds.ENVELOPES) {
      seeds.add(s.replace("\"~abcd1234\"", "\"@bob\""));
    }
    int n = 0;
    for (int s = 0; s < seeds.size(); s++) {
      JsonNode seed = JsonMutator.json(seeds.get(s).replace("\"sentAt\":\"2026-11-29T10:00:00Z\"",
          "\"sentAt\":\"" + Instant.now() + "\""));
      JsonMutator m = new JsonMutator(7000 + s);
      for (int i = 0; i < MUTANTS; i++) {
        // a fresh id each time, so that mutants reach routing and storage instead of dedupe
        byte[] mutant = m.mutate(((com.fasterxml.jackson.databind.node.ObjectNode) seed.deepCopy()).put("id", "h-" + s + "-" + i));
        HttpResponse<String> r = signedPost("/v1/networks/neta/messages", mutant);
        byStatus.merge(r.statusCode(), 1, Integer::sum);
        assertTrue(r.statusCode() < 500, "envelope mutant " + s + "/" + i + " got " + r.statusCode() + " " + r.body());
        n++;
      }
    }
    for (int s = 0; s < io.parlor.spi.json.ParsersPropertyTestSeeds.EVENTS.size(); s++) {
      JsonNode seed = JsonMutator.json(io.parlor.spi.json.ParsersPropertyTestSeeds.EVENTS.get(s).replace("netb:bob", "neta:alice"));
      JsonMutator m = new JsonMutator(8000 + s);
      for (int i = 0; i < MUTANTS; i++) {
        HttpResponse<String> r = signedPost("/v1/networks/neta/events", m.mutate(seed));
        byStatus.merge(r.statusCode(), 1, Integer::sum);
        assertTrue(r.statusCode() < 500, "event mutant " + s + "/" + i + " got " + r.statusCode() + " " + r.body());
        n++;
      }
    }
    System.out.println("hostile input: " + n + " requests, by status " + byStatus);
    assertTrue(byStatus.containsKey(400), "some were malformed");
    assertTrue(byStatus.keySet().stream().anyMatch(k -> k == 202 || k == 200), "some were accepted");
    assertEquals(200, node.get("/healthz").statusCode());
    assertEquals(200, node.get("/readyz").statusCode());
  }
}
