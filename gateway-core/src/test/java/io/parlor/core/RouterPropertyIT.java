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
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18.8, property test of the router's decisions on a real node: for random people (opted
 * in or not, reachable by everyone, by those they contacted, or by nobody) and random first
 * messages from strangers to handles and accounts (known or not), a message is accepted exactly
 * when its recipient opted in and accepts strangers; a refusal is the same answer, byte for byte,
 * whether the recipient does not exist, did not opt in or does not accept the sender (nobody
 * learns who exists); and what is delivered reaches only the recipient's own account.
 */
class RouterPropertyIT {
  private static final String[] REACHABLE = {"everyone", "contacted", "nobody"};

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
  }

  @AfterEach
  void stop() {
    node.close();
    net.stop();
  }

  @Test
  void aFirstMessageIsAcceptedExactlyWhenItsRecipientAcceptsStrangersAndRefusalsNeverTellWhoExists() throws Exception {
    Random random = new Random(18);
    Map<String, Boolean> accepts = new HashMap<>();
    for (int i = 0; i < 24; i++) {
      boolean optIn = random.nextBoolean();
      String reachable = REACHABLE[random.nextInt(REACHABLE.length)];
      assertEquals(200, node.admin("PUT", "/people/p" + i, "{\"accounts\":[\"netb:p" + i + "\"],\"optIn\":" + optIn
          + ",\"reachableBy\":\"" + reachable + "\",\"handle\":\"p" + i + "\"}").statusCode());
      accepts.put("p" + i, optIn && reachable.equals("everyone"));
    }
    Set<String> refusals = new HashSet<>();
    Map<String, String> expectedAt = new HashMap<>();
    int accepted = 0;
    for (int n = 0; n < 300; n++) {
      int who = random.nextInt(32); // 24 people, 8 who do not exist
      String to = random.nextBoolean() ? "@p" + who : "netb:p" + who;
      // a fresh stranger each time: a stranger's first message
      String id = "r-" + n;
      HttpResponse<String> r = node.send("neta", TestNode.SECRET_A, TestNode.text(id, "neta:s" + n, to, "hello " + id));
      boolean expected = accepts.getOrDefault("p" + who, false);
      if (expected) {
        assertEquals(202, r.statusCode(), to + ": " + r.body());
        expectedAt.put("hello " + id, "netb:p" + who);
        accepted++;
      } else {
        assertEquals(422, r.statusCode(), to + " must be refused: " + r.body());
        refusals.add(r.body());
      }
    }
    assertTrue(accepted >= 10, "enough accepted to mean anything: " + accepted);
    assertTrue(refusals.size() == 1,
        "one and the same refusal for unknown, not opted in and not accepting: " + refusals);
    TestNode.await("every accepted message delivered", Duration.ofSeconds(20),
        () -> net.findAll(postRequestedFor(urlEqualTo("/messages"))).size() >= expectedAt.size());
    for (var req : net.findAll(postRequestedFor(urlEqualTo("/messages")))) {
      var m = TestNode.json(req.getBodyAsString());
      String text = m.path("content").path("text").asText();
      assertEquals(expectedAt.get(text), m.path("to").asText(), "delivered to its recipient's own account only");
    }
  }
}
