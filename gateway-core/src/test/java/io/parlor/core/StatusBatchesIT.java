package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.adapter.webhook.Signatures;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose network asks for {@code statusBatch} (contract 3.3): the statuses of its messages
 * reach it several to a signed POST, each once, and leave the outbox once reported. The network's
 * status endpoint is slow (WireMock holds each POST), so statuses wait and go together.
 */
class StatusBatchesIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int MESSAGES = 30;

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
    netA.start();
    netB.start();
    netA.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200).withFixedDelay(300)));
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    netB.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    String yaml = TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), "")
        .replace("    statusUrl: " + netA.baseUrl() + "/status",
            "    statusUrl: " + netA.baseUrl() + "/status\n    statusBatch: 50");
    node = new TestNode(dir, yaml);
    assertEquals(200, node.admin("PUT", "/people/bob", "{\"accounts\":[\"netb:bob\"],\"optIn\":true}").statusCode());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
  }

  @Test
  void theStatusesOfManyMessagesReachTheirNetworkInFewerSignedPostsEachOnce() throws Exception {
    for (int i = 0; i < MESSAGES; i++) {
      assertEquals(202, node.send("neta", TestNode.SECRET_A,
          TestNode.text("b-" + i, "neta:alice", "netb:bob", "hello " + i)).statusCode());
    }
    TestNode.await("every message's status reported", WAIT, () -> ids(posts()).size() == MESSAGES);

    List<LoggedRequest> posts = posts();
    List<String> reported = new ArrayList<>();
    for (LoggedRequest r : posts) {
      assertTrue(new Signatures(TestNode.SECRET_A).verify(r.getHeader(Signatures.HEADER), r.getBody(), Instant.now()),
          "a batch is signed with the network's secret");
      JsonNode body = TestNode.json(r.getBodyAsString());
      assertTrue(body.path("statuses").isArray() && body.size() == 1, "a batch: " + body);
      for (JsonNode s : body.get("statuses")) {
        assertEquals("delivered", s.path("status").asText(), s.toString());
        assertTrue(s.path("at").isTextual(), s.toString());
        reported.add(s.path("id").asText());
      }
    }
    assertEquals(MESSAGES, reported.size(), "each status once: " + reported);
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < MESSAGES; i++) {
      expected.add("b-" + i);
    }
    assertEquals(expected, new HashSet<>(reported));
    assertTrue(posts.size() < MESSAGES, MESSAGES + " statuses in " + posts.size() + " POSTs");
    TestNode.await("the outbox empty", WAIT, () -> outboxRows() == 0);
    String metrics = node.get("/metrics").body();
    assertEquals(List.of((double) MESSAGES, (double) posts.size()),
        List.of(counted(metrics, "statuses_posted"), counted(metrics, "status_posts")),
        "the adapter's counts of statuses and of their POSTs");
  }

  private static double counted(String metrics, String event) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "(?m)^parlor_adapter_events_total\\{event=\"" + event + "\",network=\"neta\"[^}]*\\} ([0-9.]+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private List<LoggedRequest> posts() {
    return netA.findAll(postRequestedFor(urlEqualTo("/status")));
  }

  private static Set<String> ids(List<LoggedRequest> posts) {
    Set<String> out = new HashSet<>();
    for (LoggedRequest r : posts) {
      TestNode.json(r.getBodyAsString()).path("statuses").forEach(s -> out.add(s.path("id").asText()));
    }
    return out;
  }

  private long outboxRows() {
    return TestNode.rows(dir.resolve("parlor.db"), "status_outbox");
  }
}
