package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.github.tomakehurst.wiremock.WireMockServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fuzz target (Jazzer) of the user API's request bodies, against a real node with a signed-in
 * person: every body-taking route answers below 500 whatever the bytes (a named refusal or an
 * acceptance), and the node keeps answering. The input's last byte picks the route, the rest is
 * the body. Corpus in {@code src/test/resources/io/parlor/core/UserApiFuzzTestInputs/body}; fuzz
 * for a minute with {@code JAZZER_FUZZ=1 mvn -o test -Djazzer.hooks=true -pl gateway-core -Dtest=UserApiFuzzTest}.
 */
class UserApiFuzzTest {
  private static final String[][] ROUTES = {
    {"POST", "/v1/auth/start"}, {"POST", "/v1/auth/verify"}, {"POST", "/v1/me/accounts"},
    {"POST", "/v1/me/accounts/verify"}, {"PUT", "/v1/me/preferences"}, {"POST", "/v1/me/blocks"},
    {"POST", "/v1/me/groups"}, {"POST", "/v1/me/groups/GROUP/invite"}, {"PATCH", "/v1/me/groups/GROUP"},
  };
  private static WireMockServer net;
  private static TestNode node;
  private static String token;
  private static String group;

  private static synchronized void start() throws Exception {
    if (node != null) {
      return;
    }
    net = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    net.start();
    net.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    net.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    Path dir = Files.createTempDirectory("parlor-fuzz-");
    node = new TestNode(dir, TestNode.twoNetworks(dir, net.baseUrl(), net.baseUrl(),
        String.join("\n", "users:", "  codesPerClient: 10000")));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      net.stop();
    }));
    call("POST", "/v1/auth/start", null, "{\"address\":\"neta:alice\"}");
    TestNode.await("a code", Duration.ofSeconds(10),
        () -> !net.findAll(postRequestedFor(urlEqualTo("/messages"))).isEmpty());
    Matcher m = Pattern.compile("\\b(\\d{6})\\b").matcher(net.findAll(postRequestedFor(urlEqualTo("/messages"))).get(0).getBodyAsString());
    if (!m.find()) {
      throw new AssertionError("no code");
    }
    token = TestNode.json(call("POST", "/v1/auth/verify", null,
        "{\"address\":\"neta:alice\",\"code\":\"" + m.group(1) + "\"}").body()).get("token").asText();
    group = TestNode.json(call("POST", "/v1/me/groups", token, "{\"name\":\"Fuzz\",\"invite\":[]}").body())
        .path("id").asText("none");
  }

  private static HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
    return send(method, path, token, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> send(String method, String path, String token, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.uri(path)).header("content-type", "application/json")
        .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      b.header("authorization", "Bearer " + token);
    }
    return node.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @FuzzTest(maxDuration = "60s")
  void body(FuzzedDataProvider data) throws Exception {
    start();
    String[] route = ROUTES[data.consumeInt(0, ROUTES.length - 1)];
    byte[] body = data.consumeRemainingAsBytes();
    HttpResponse<String> r = send(route[0], route[1].replace("GROUP", group), token, body);
    if (r.statusCode() >= 500) {
      throw new AssertionError(route[0] + " " + route[1] + " answered " + r.statusCode() + ": " + r.body());
    }
  }
}
