package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.core.delivery.DeliveryHealth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 11: failing deliveries are visible. With a destination network answering 503, the admin
 * status shows it failing (since when, the last error without any identifier, how many messages
 * wait to retry there), one WARN says so however many attempts fail, and one INFO says when it
 * recovered.
 */
class DeliveryHealthIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  final Logger logger = (Logger) LoggerFactory.getLogger(DeliveryHealth.class);

  @BeforeEach
  void start() throws Exception {
    logs.start();
    logger.addAppender(logs);
    logger.setAdditive(false); // the expected WARN is read here, not printed
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
      w.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    }
    node = new TestNode(dir, TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), ""));
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"reachableBy\":\"everyone\"}").statusCode());
  }

  @AfterEach
  void stop() {
    logger.detachAppender(logs);
    logger.setAdditive(true);
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
  }

  private JsonNode netb() throws Exception {
    JsonNode status = TestNode.json(node.admin("GET", "/status", null).body());
    for (JsonNode n : status.get("networks")) {
      if (n.get("id").asText().equals("netb")) {
        return n;
      }
    }
    throw new AssertionError("no netb in " + status);
  }

  private long lines(Level level, String start) {
    return TestNode.snapshot(logs).stream().filter(e -> e.getLevel() == level && e.getFormattedMessage().startsWith(start)).count();
  }

  @Test
  void aFailingNetworkShowsInTheStatusAndTheLogOnceAndItsRecoveryToo() throws Exception {
    JsonNode healthy = netb().get("deliveries");
    assertEquals(0, healthy.get("retrying").asInt());
    assertTrue(healthy.get("failingSince").isNull() && healthy.get("lastError").isNull(), healthy.toString());

    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(503)));
    assertEquals(202, node.send("neta", TestNode.SECRET_A, TestNode.text("m-1", "neta:alice", "netb:bob", "hello")).statusCode());
    TestNode.await("several failed attempts", WAIT, () -> netB.findAll(postRequestedFor(urlEqualTo("/messages"))).size() >= 3);
    TestNode.await("netb failing in the status", WAIT, () -> {
      try {
        return netb().get("deliveries").get("retrying").asInt() == 1;
      } catch (Exception e) {
        return false;
      }
    });
    JsonNode failing = netb().get("deliveries");
    assertFalse(failing.get("failingSince").isNull(), failing.toString());
    assertEquals("network answered HTTP 503", failing.get("lastError").asText());
    String all = netb().toString();
    assertFalse(all.contains("bob") || all.contains("alice") || all.contains("g-") || all.contains("m-1"),
        "no identifier: " + all);
    assertEquals(1, lines(Level.WARN, "network netb is failing deliveries (network answered HTTP 503)"),
        "one WARN however many attempts fail");

    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    TestNode.await("the recovery", WAIT, () -> lines(Level.INFO, "network netb recovered") == 1);
    JsonNode recovered = netb().get("deliveries");
    assertEquals(0, recovered.get("retrying").asInt());
    assertTrue(recovered.get("failingSince").isNull(), recovered.toString());
    assertEquals(1, lines(Level.WARN, "network netb is failing"));
    assertTrue(node.gateway.meters().scrape().contains("parlor_network_failing{network=\"netb\""), "a gauge for alerts");
  }
}
