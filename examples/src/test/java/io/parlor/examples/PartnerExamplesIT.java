package io.parlor.examples;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.AdapterProvider;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The partner guide's webhook examples (`examples/partners/`, each with its language's standard
 * library only) against a real node: each signs and sends a message that reaches the other
 * network, is refused with a wrong secret, and verifies the signature of what Parlor delivered
 * (and refuses it altered). A language that is not on the machine is skipped (the build installs
 * Node.js; Python and Go where present).
 */
class PartnerExamplesIT {
  private static final String SECRET_A = "secret-of-network-a-0001";
  private static final String SECRET_B = "secret-of-network-b-0002";

  @TempDir Path dir;
  WireMockServer netB;
  Gateway node;

  @BeforeEach
  void start() throws Exception {
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB.start();
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200)));
    Path file = dir.resolve("parlor.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  bind: 127.0.0.1", "  port: 0",
        "store:", "  path: " + dir.resolve("data/parlor.db"),
        "networks:",
        "  - id: neta", "    type: webhook", "    secret: " + SECRET_A, "    deliveryUrl: http://127.0.0.1:9/neta",
        "  - id: netb", "    type: webhook", "    secret: " + SECRET_B, "    deliveryUrl: " + netB.baseUrl() + "/messages",
        ""));
    List<AdapterProvider<?>> providers = new ArrayList<>();
    ServiceLoader.load(AdapterProvider.class).forEach(providers::add);
    ConfigLoader.Result r = new ConfigLoader(Map.of(), providers).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    HttpResponse<String> bob = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/bob"))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"handle\":\"bob\"}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, bob.statusCode(), bob.body());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close(Duration.ofSeconds(2));
    }
    netB.stop();
  }

  private record Ran(int code, String out) {}

  /** The example's command line in {@code language}, or null when it is not on this machine. */
  private static List<String> command(String language) {
    Path dir = Path.of("partners").toAbsolutePath();
    List<String> cmd = switch (language) {
      case "python" -> List.of("python3", dir.resolve("parlor_webhook.py").toString());
      case "node" -> List.of("node", dir.resolve("parlor_webhook.mjs").toString());
      default -> List.of("go", "run", dir.resolve("parlor_webhook.go").toString());
    };
    try {
      Process p = new ProcessBuilder(cmd.get(0), cmd.get(0).equals("go") ? "version" : "--version")
          .redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? cmd : null;
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }

  private Ran run(List<String> cmd, Map<String, String> env, byte[] stdin, String... args) throws Exception {
    List<String> all = new ArrayList<>(cmd);
    all.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(all).redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.environment().putIfAbsent("GOCACHE", dir.resolve("gocache").toString());
    Process p = pb.start();
    p.getOutputStream().write(stdin);
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the example finished: " + out);
    return new Ran(p.exitValue(), out);
  }

  @ParameterizedTest
  @ValueSource(strings = {"python", "node", "go"})
  void theExampleSendsSignedMessagesAndVerifiesParlorsSignature(String language) throws Exception {
    List<String> cmd = command(language);
    Assumptions.assumeTrue(cmd != null, language + " is not on this machine");
    String url = "http://127.0.0.1:" + node.port();
    String text = "hello from " + language + " " + UUID.randomUUID();
    Ran sent = run(cmd, Map.of("PARLOR_URL", url, "PARLOR_NETWORK", "neta", "PARLOR_SECRET", SECRET_A),
        new byte[0], "send", "neta:alice", "@bob", text);
    assertEquals(0, sent.code, sent.out);
    assertTrue(sent.out.startsWith("202"), sent.out);
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    LoggedRequest delivered = null;
    while (delivered == null && System.nanoTime() < until) {
      delivered = netB.findAll(postRequestedFor(urlEqualTo("/messages"))).stream()
          .filter(q -> q.getBodyAsString().contains(text)).findFirst().orElse(null);
      Thread.sleep(20);
    }
    assertTrue(delivered != null, "delivered to bob's network");

    Ran refused = run(cmd, Map.of("PARLOR_URL", url, "PARLOR_NETWORK", "neta", "PARLOR_SECRET", "not-the-secret-000"),
        new byte[0], "send", "neta:alice", "@bob", "x");
    assertEquals(1, refused.code, refused.out);
    assertTrue(refused.out.startsWith("401"), refused.out);

    // bob's network checks what Parlor delivered
    String signature = delivered.getHeader("Parlor-Signature");
    Ran valid = run(cmd, Map.of("PARLOR_SECRET", SECRET_B, "PARLOR_SIGNATURE", signature), delivered.getBody(), "verify");
    assertEquals(0, valid.code, valid.out);
    byte[] altered = delivered.getBodyAsString().replace(text, text + "!").getBytes(StandardCharsets.UTF_8);
    Ran invalid = run(cmd, Map.of("PARLOR_SECRET", SECRET_B, "PARLOR_SIGNATURE", signature), altered, "verify");
    assertEquals(1, invalid.code, invalid.out);
    Ran wrongKey = run(cmd, Map.of("PARLOR_SECRET", SECRET_A, "PARLOR_SIGNATURE", signature), delivered.getBody(), "verify");
    assertEquals(1, wrongKey.code, wrongKey.out);
  }
}
