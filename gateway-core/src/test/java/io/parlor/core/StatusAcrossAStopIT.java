package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A status whose report the node's stop cuts short (its POST under way, the network slow to fail
 * it) is not a status the network refused: it stays in the outbox and the next start reports it.
 */
class StatusAcrossAStopIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;

  @BeforeEach
  void start() {
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netA.start();
    netB.start();
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    netB.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
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
  void aStatusUnderWayWhenTheNodeStopsIsReportedAfterItsRestart() throws Exception {
    // the network fails the status, slowly: a retry would follow, but the node stops first
    netA.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(503).withFixedDelay(1_500)));
    String yaml = TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), "");
    node = new TestNode(dir, yaml);
    assertEquals(200, node.admin("PUT", "/people/bob", "{\"accounts\":[\"netb:bob\"],\"optIn\":true}").statusCode());
    assertEquals(202, node.send("neta", TestNode.SECRET_A,
        TestNode.text("s-1", "neta:alice", "netb:bob", "hello")).statusCode());
    TestNode.await("delivered", WAIT, () -> !netB.findAll(postRequestedFor(urlEqualTo("/messages"))).isEmpty());
    TestNode.await("its status under way", WAIT, () -> !statusPosts().isEmpty());
    node.close();
    node = null;
    assertEquals(1, outboxRows(), "the status stayed in the outbox");

    netA.resetAll();
    netA.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    node = new TestNode(dir, yaml);
    TestNode.await("reported after the restart", WAIT, () -> statusPosts().size() == 1);
    assertEquals("delivered", TestNode.json(statusPosts().get(0).getBodyAsString()).path("status").asText());
    assertEquals("s-1", TestNode.json(statusPosts().get(0).getBodyAsString()).path("id").asText());
    TestNode.await("the outbox empty", WAIT, () -> outboxRows() == 0);
  }

  private List<LoggedRequest> statusPosts() {
    return netA.findAll(postRequestedFor(urlEqualTo("/status")));
  }

  private long outboxRows() {
    return TestNode.rows(dir.resolve("parlor.db"), "status_outbox");
  }
}
