package io.parlor.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void serveExitsWithOneLineWhenItsPortIsTakenBeforeTouchingTheStore() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Path store = dir.resolve("data").resolve("parlor.db");
      Path f = dir.resolve("clash.yaml");
      Files.writeString(f, String.join("\n",
          "http:", "  bind: 127.0.0.1", "  port: " + port,
          "store:", "  path: " + store,
          "networks:",
          "  - id: chat", "    type: webhook", "    secret: chat-secret-0123456789",
          "    deliveryUrl: http://127.0.0.1:9/messages",
          ""));
      Run r = run("serve", "--config", f.toString());
      assertEquals(1, r.code, r.err);
      assertEquals("parlor: port " + port + " on 127.0.0.1 is in use" + System.lineSeparator(), r.err);
      assertTrue(!Files.exists(store) && !Files.exists(store.getParent()), "the store was not touched");
    }
  }

  /** Issue 15: {@code rotate-graph-key} replaces a SQLite store's key file, or asks for the new store.encryptionKey. */
  @Test
  void rotateGraphKeyMakesANewKeyFileOrAsksForTheNewEncryptionKey() throws Exception {
    Path store = dir.resolve("data").resolve("parlor.db");
    Path f = dir.resolve("rotate.yaml");
    String yaml = String.join("\n",
        "http:", "  bind: 127.0.0.1", "  port: 0",
        "store:", "  path: " + store,
        "networks:",
        "  - id: chat", "    type: webhook", "    secret: chat-secret-0123456789",
        "    deliveryUrl: http://127.0.0.1:9/messages",
        "");
    Files.writeString(f, yaml);
    io.parlor.core.store.SqliteStore.open(store, 8, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).close();
    Path key = io.parlor.core.store.SqliteStore.graphKeyFile(store);
    byte[] before = Files.readAllBytes(key);
    Run r = run("rotate-graph-key", "--config", f.toString());
    assertEquals(0, r.code, r.err);
    assertTrue(r.out.contains("sealed under a new key (version 2)"), r.out);
    assertTrue(r.out.contains("the new key is in " + key), r.out);
    assertTrue(!java.util.Arrays.equals(before, Files.readAllBytes(key)), "a new key file");

    Path keyed = dir.resolve("keyed.yaml");
    Files.writeString(keyed, yaml.replace("  path: " + store, "  path: " + store
        + "\n  encryptionKey: " + java.util.Base64.getEncoder().encodeToString(new byte[32])));
    Run asks = run("rotate-graph-key", "--config", keyed.toString());
    assertEquals(2, asks.code);
    assertTrue(asks.err.contains("give the new one with --new-key-env VAR"), asks.err);
    Run badEnv = run("rotate-graph-key", "--config", keyed.toString(), "--new-key-env", "PARLOR_TEST_UNSET_VARIABLE");
    assertEquals(2, badEnv.code);
    assertTrue(badEnv.err.contains("PARLOR_TEST_UNSET_VARIABLE: must hold the new key, 32 bytes in base64"), badEnv.err);
  }

  @Test
  void shippedConfigsAreValid() {
    Run r = run("check-config", "../../config/parlor.yaml");
    assertEquals(0, r.code, r.err);
    assertEquals(0, run("check-config", "../../config/demo.yaml").code);
    Run smpp = run("check-config", "../../config/smpp-example.yaml");
    assertEquals(0, smpp.code, smpp.err);
    Run xmpp = run("check-config", "../../config/xmpp-example.yaml");
    assertEquals(0, xmpp.code, xmpp.err);
  }

  @Test
  void checkConfigReportsEveryProblemWithPathAndExits2() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, String.join("\n",
        "http:",
        "  port: 99999",
        "  bind: 0.0.0.0",
        "  trustedProxies: [10.0.0.0/8, not-a-range]",
        "colour: blue",
        "policy:",
        "  metadataRetention: P90D",
        "  maxGroupSize: 1000",
        "delivery:",
        "  dedupeWindow: PT1M",
        "networks:",
        "  - id: chat",
        "    type: webhook",
        "    secret: short",
        "    deliveryUrl: ftp://x",
        "    surprise: 1",
        "  - id: Bad!",
        "    type: carrier-pigeon",
        "  - id: parlor",
        "    type: webhook",
        "    secret: a-long-enough-secret-0001",
        "    deliveryUrl: http://127.0.0.1:9/x",
        ""));
    Run r = run("check-config", f.toString());
    assertEquals(2, r.code);
    for (String expected : new String[] {
        "http.port: got 99999", "colour: got <unknown key>", "policy.metadataRetention: got P90D",
        "networks[0].secret: got <redacted>", "networks[0].deliveryUrl", "networks[0].surprise: got <unknown key>",
        "networks[1].id", "networks[1].type", "admin.token: got <missing>",
        "networks[2].id: got \"parlor\"", "policy.maxGroupSize: got 1000", "http.trustedProxies[1]: got \"not-a-range\"",
        // shorter than a signature stays replayable; the example given is a value it accepts
        "delivery.dedupeWindow: got PT1M; expected an ISO-8601 duration between PT10M and P30D (e.g. P1D)"}) {
      assertTrue(r.err.contains(expected), "missing '" + expected + "' in:\n" + r.err);
    }
    assertTrue(!r.err.contains("short"), "secrets are never printed");
    assertTrue(r.err.contains(f.toString()), "problems name the file");
  }

  @Test
  void placeholderSecretsAreRefusedOffLoopback() throws Exception {
    String network = String.join("\n", "networks:",
        "  - id: chat", "    type: webhook", "    secret: change-me-chatapp-secret",
        "    deliveryUrl: http://127.0.0.1:9/messages", "");
    Path open = dir.resolve("open.yaml");
    Files.writeString(open, "http:\n  bind: 0.0.0.0\nadmin:\n  token: a-real-admin-token-0123456789\n" + network);
    Run r = run("check-config", open.toString());
    assertEquals(2, r.code, r.err);
    assertTrue(r.err.contains("networks[0].secret: got <a change-me placeholder>; expected a real secret"), r.err);
    assertTrue(!r.err.contains("admin.token"), "a real token passes: " + r.err);
    Path local = dir.resolve("local.yaml");
    Files.writeString(local, "http:\n  bind: 127.0.0.1\n" + network);
    assertEquals(0, run("check-config", local.toString()).code, "on loopback the sample secrets are fine");
  }

  @Test
  void nodeInADeniedRegionRefusesToStart() throws Exception {
    Path f = dir.resolve("denied.yaml");
    Files.writeString(f, String.join("\n",
        "node:", "  region: xx-denied-1",
        "policy:", "  deniedRegions: [xx-denied-1]", ""));
    Run check = run("check-config", f.toString());
    assertEquals(2, check.code);
    assertTrue(check.err.contains("node.region: got \"xx-denied-1\""), check.err);
    Run serve = run("serve", "--config", f.toString());
    assertEquals(2, serve.code, "serve refuses on the same problems");
    assertTrue(serve.err.contains("xx-denied-1"), serve.err);
  }

  @Test
  void anAdminTokenOfSpacesOrPaddedWithThemIsRefused() throws Exception {
    for (String token : new String[] {"'                    '", "'  short-but-padded-token  '"}) {
      Path f = dir.resolve("token.yaml");
      Files.writeString(f, "admin:\n  token: " + token + "\n");
      Run r = run("check-config", f.toString());
      assertEquals(2, r.code, token);
      assertTrue(r.err.contains("admin.token: got <redacted>; expected at least 16 characters, without spaces at either end"), r.err);
    }
    Path ok = dir.resolve("ok.yaml");
    Files.writeString(ok, "admin:\n  token: a-real-token-of-20-chars\n");
    assertEquals(0, run("check-config", ok.toString()).code);
  }

  @Test
  void missingEnvironmentVariableIsReported() throws Exception {
    Path f = dir.resolve("env.yaml");
    Files.writeString(f, "admin:\n  token: ${PARLOR_TEST_SURELY_UNSET_VAR}\n");
    Run r = run("check-config", f.toString());
    assertEquals(2, r.code);
    assertTrue(r.err.contains("PARLOR_TEST_SURELY_UNSET_VAR"), r.err);
  }

  @Test
  void usageErrorsExit2() {
    assertEquals(2, run().code);
    assertEquals(2, run("frobnicate").code);
    assertEquals(2, run("serve", "--bogus").code);
    assertEquals(2, run("check-config", dir.resolve("missing.yaml").toString()).code);
  }
}
