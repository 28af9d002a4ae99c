package io.parlor.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.parlor.core.keys.LogSigner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parlor audit-keys} against a misbehaving key directory (WireMock with heads signed by a
 * test key): the cases a real node never produces. The honest node and a forked copy of it are in
 * {@code examples} {@code KeyTransparencyIT}.
 */
class AuditKeysIT {
  private static final LogSigner SIGNER = LogSigner.fromSeed(new byte[32]);

  @TempDir Path dir;
  WireMockServer node;

  @BeforeEach
  void start() {
    node = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    node.start();
    node.stubFor(get(urlPathEqualTo("/v1/keys/signing-key")).willReturn(aResponse().withStatus(200).withBody(
        "{\"algorithm\":\"Ed25519\",\"publicKey\":\"" + Base64.getEncoder().encodeToString(SIGNER.publicKey()) + "\"}")));
  }

  @AfterEach
  void stop() {
    node.stop();
  }

  private static String head(long size, byte fill) {
    byte[] root = new byte[32];
    java.util.Arrays.fill(root, fill);
    LogSigner.TreeHead h = SIGNER.sign(size, root, 1_796_000_000_000L + size);
    return "{\"treeSize\":" + size + ",\"rootHash\":\"" + HexFormat.of().formatHex(h.rootHash()) + "\",\"timestamp\":"
        + h.timestamp() + ",\"signature\":\"" + Base64.getEncoder().encodeToString(h.signature()) + "\"}";
  }

  private record Run(int code, String out, String err) {}

  private Run audit(String... rest) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = new String[rest.length + 2];
    args[0] = "audit-keys";
    args[1] = node.baseUrl();
    System.arraycopy(rest, 0, args, 2, rest.length);
    int code = AuditKeys.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aNodeThatWillNotProveWhatItSignedMisbehaves() throws Exception {
    Path state = dir.resolve("state.json");
    node.stubFor(get(urlPathEqualTo("/v1/keys/tree-head")).willReturn(aResponse().withStatus(200).withBody(head(2, (byte) 1))));
    Run first = audit("--state", state.toString());
    assertEquals(0, first.code, first.err);
    assertTrue(first.out.contains("pinned the log's signing key"), first.out);
    // the log grows to 3 but the node refuses the proof from 2 to 3
    node.stubFor(get(urlPathEqualTo("/v1/keys/tree-head")).willReturn(aResponse().withStatus(200).withBody(head(3, (byte) 2))));
    node.stubFor(get(urlPathEqualTo("/v1/keys/consistency")).willReturn(aResponse().withStatus(400)
        .withBody("{\"error\":{\"code\":\"invalid_request\",\"message\":\"second: no\"}}")));
    Run refused = audit("--state", state.toString());
    assertEquals(1, refused.code, refused.out + refused.err);
    assertTrue(refused.err.contains("refuses to prove"), refused.err);
    // a node that is down cannot be checked: exit 2, and the state is kept as it was
    node.stubFor(get(urlPathEqualTo("/v1/keys/consistency")).willReturn(aResponse().withStatus(503)));
    assertEquals(2, audit("--state", state.toString()).code);
    assertTrue(Files.readString(state).contains("\"treeSize\" : 2"), Files.readString(state));
    // a head that is not the pinned key's is refused; so is a state file that is not one
    node.stubFor(get(urlPathEqualTo("/v1/keys/tree-head")).willReturn(aResponse().withStatus(200)
        .withBody(head(3, (byte) 2).replace("\"treeSize\":3", "\"treeSize\":4"))));
    Run forged = audit("--state", state.toString());
    assertEquals(1, forged.code, forged.err);
    assertTrue(forged.err.contains("not signed by the pinned key"), forged.err);
    Path notState = dir.resolve("other.json");
    Files.writeString(notState, "{\"url\":\"" + node.baseUrl() + "\"}");
    Run wrong = audit("--state", notState.toString());
    assertEquals(2, wrong.code, wrong.err);
    assertTrue(wrong.err.contains("signingKey: missing"), wrong.err);
  }
}
