package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.adapter.webhook.Signatures;
import io.parlor.core.Gateway;
import io.parlor.core.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-user web page in a real browser: a node with two webhook networks (chatapp, textnet)
 * delivering to WireMock, and Debian's Chromium driven headless by the npm {@code playwright-core}
 * package (src/test/node/web-test.mjs). The script signs in as chatapp:alice with the one-time code
 * read from WireMock's journal, links textnet:alice the same way, opts in, makes textnet:alice
 * preferred, sends a signed chatapp message to chatapp:alice and sees it delivered to
 * textnet:alice, checks the phone layout, CSP, handle, timer, blocks, groups (Bob invites her, she
 * joins on the page; creates a group, invites Bob, renames it, sets its timer, removes him and
 * leaves it; leaves Bob's group with a block and lifts it), and forget-me. Screenshots
 * of each step land in target/web-screenshots/. Fails, never skips, when Chromium or Node is
 * missing.
 */
class WebPageIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHATAPP_SECRET = "chatapp-web-test-secret-0123";
  private static final String TEXTNET_SECRET = "textnet-web-test-secret-4567";
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path dir;
  WireMockServer networks;
  Gateway node;

  @BeforeEach
  void start() throws Exception {
    networks = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    networks.start();
    networks.stubFor(post(urlPathMatching("/(chatapp|textnet)/.*")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{}")));
    Path file = dir.resolve("web.yaml");
    Files.writeString(file, String.join("\n",
        "http:", "  bind: 127.0.0.1", "  port: 0",
        "store:", "  path: " + dir.resolve("web.db"),
        "delivery:", "  initialBackoff: PT0.05S", "  maxBackoff: PT0.2S",
        "networks:",
        "  - id: chatapp", "    type: webhook", "    secret: " + CHATAPP_SECRET,
        "    deliveryUrl: " + networks.baseUrl() + "/chatapp/deliver",
        "  - id: textnet", "    type: webhook", "    secret: " + TEXTNET_SECRET,
        "    deliveryUrl: " + networks.baseUrl() + "/textnet/deliver",
        ""));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), Main.providers()).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close(Duration.ofSeconds(2));
    }
    if (networks != null) {
      networks.stop();
    }
  }

  @Test
  void aPersonSignsInLinksAnAccountAndTheirPreferenceIsApplied() throws Exception {
    if (!Files.isExecutable(Path.of(CHROMIUM))) {
      fail("Debian's Chromium is missing at " + CHROMIUM + ": the web page test needs it "
          + "(apt-get install -y chromium; ./parlor test installs it)");
    }
    Path nodeDir = Path.of(System.getProperty("web.node.dir", "src/test/node")).toAbsolutePath();
    assertTrue(Files.isRegularFile(nodeDir.resolve("web-test.mjs")), "missing " + nodeDir + "/web-test.mjs");
    if (!Files.isDirectory(nodeDir.resolve("node_modules/playwright-core"))) {
      Run npm = run(nodeDir, Duration.ofMinutes(3), Map.of(), "npm", "ci", "--no-audit", "--no-fund");
      assertEquals(0, npm.exit, "npm ci failed in " + nodeDir + ":\n" + npm.output);
    }
    Path shots = Path.of("target/web-screenshots").toAbsolutePath();
    Files.createDirectories(shots);
    try (Stream<Path> old = Files.list(shots)) {
      for (Path p : old.filter(p -> p.toString().endsWith(".png")).toList()) {
        Files.delete(p);
      }
    }

    String base = "http://127.0.0.1:" + node.port();
    Run script = run(nodeDir, SCRIPT_TIMEOUT, Map.of("PARLOR_TEST_CHATAPP_SECRET", CHATAPP_SECRET, "PARLOR_TEST_TEXTNET_SECRET", TEXTNET_SECRET),
        "node", "web-test.mjs", base, networks.baseUrl(), shots.toString());
    System.out.println(script.output);
    assertEquals(0, script.exit, "web-test.mjs failed (exit " + script.exit + "); screenshots in " + shots
        + "; its output:\n" + script.output);

    // The script saw Bob's message reach textnet:alice; check here that it went out properly
    // signed with textnet's secret and without Bob's account.
    List<LoggedRequest> toTextnet = networks.findAll(postRequestedFor(urlEqualTo("/textnet/deliver")));
    LoggedRequest fromBob = toTextnet.stream()
        .filter(q -> q.getBodyAsString().contains("from the web page test"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no delivery of Bob's message to textnet in " + toTextnet.size()
            + " textnet requests"));
    JsonNode env = JSON.readTree(fromBob.getBodyAsString());
    assertEquals("textnet:alice", env.path("to").asText(), env.toString());
    assertNotEquals("chatapp:bob", env.path("from").asText(), "the sender's account is never shown");
    assertTrue(!fromBob.getBodyAsString().contains("chatapp:bob"), "the sender's account is never shown");
    assertTrue(new Signatures(TEXTNET_SECRET).verify(fromBob.getHeader(Signatures.HEADER), fromBob.getBody(),
        java.time.Instant.now()), "the delivery carries a valid Parlor-Signature for textnet");
    for (String png : List.of("01-signin.png", "02-signed-in.png", "03-linked.png", "04-preferences.png",
        "05-mobile.png", "06b-conversations.png", "06c-groups.png")) {
      assertTrue(Files.size(shots.resolve(png)) > 1000, "screenshot " + png + " was written");
    }
  }

  record Run(int exit, String output) {}

  /** Runs a command, collecting stdout and stderr; fails on timeout. */
  static Run run(Path dir, Duration timeout, Map<String, String> env, String... cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + String.join(" ", cmd) + " (are node and npm installed?)", e);
    }
    p.getOutputStream().close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try (InputStream in = p.getInputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // the process went away; keep what we have
      }
    }, "web-test-output");
    reader.setDaemon(true);
    reader.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      reader.join(2000);
      fail(String.join(" ", cmd) + " did not finish within " + timeout + "; its output:\n"
          + out.toString(StandardCharsets.UTF_8));
    }
    reader.join(5000);
    return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
  }
}
