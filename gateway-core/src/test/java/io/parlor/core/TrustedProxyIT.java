package io.parlor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, through a real node: behind a trusted reverse proxy each person gets their own
 * sign-in code budget (per client address from {@code X-Forwarded-For}); without the proxy
 * trusted, the header is ignored and every request counts against the TCP peer.
 */
class TrustedProxyIT {
  @TempDir Path dir;
  TestNode node;
  com.github.tomakehurst.wiremock.WireMockServer net;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (net != null) {
      net.stop();
    }
  }

  private int start(String forwardedFor, int i) throws Exception {
    return node.http.send(HttpRequest.newBuilder(node.uri("/v1/auth/start"))
        .header("X-Forwarded-For", forwardedFor)
        .POST(HttpRequest.BodyPublishers.ofString("{\"address\":\"neta:person" + i + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private void node(String http) throws Exception {
    // the codes go somewhere (a network that takes them), so that nothing but the limit is tested
    net = new com.github.tomakehurst.wiremock.WireMockServer(
        com.github.tomakehurst.wiremock.core.WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(
        com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo("/messages"))
        .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(200)));
    node = new TestNode(dir, TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(),
        "users:\n  codesPerClient: 2").replace("http:\n  port: 0\n", "http:\n  port: 0\n" + http));
  }

  @Test
  void behindATrustedProxyEachClientHasItsOwnCodeLimit() throws Exception {
    node("  trustedProxies: [127.0.0.0/8]\n");
    assertEquals(202, start("203.0.113.1", 1));
    assertEquals(202, start("203.0.113.1", 2));
    assertEquals(429, start("203.0.113.1", 3), "the third code for one client");
    assertEquals(202, start("203.0.113.2", 4), "another person behind the same proxy");
    assertEquals(429, start("203.0.113.3, 203.0.113.1", 5), "the proxy's entry wins over what the client wrote");
  }

  @Test
  void withoutATrustedProxyTheHeaderIsIgnored() throws Exception {
    node("");
    assertEquals(202, start("203.0.113.1", 1));
    assertEquals(202, start("203.0.113.2", 2));
    assertEquals(429, start("203.0.113.3", 3), "every request is the TCP peer's");
  }
}
