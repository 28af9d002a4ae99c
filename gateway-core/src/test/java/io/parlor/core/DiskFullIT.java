package io.parlor.core;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 18: a store that heals. The node's store lives on a 5 MB tmpfs; the disk fills up while
 * messages are being accepted and delivered, then space comes back. The node refuses with 503
 * while it cannot write, recovers by itself within seconds, loses nothing it accepted, delivers
 * nothing twice (not even after a restart on the same store), and logs the fault once, not once
 * per attempt.
 */
class DiskFullIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  Path mount;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  final Logger parlor = (Logger) LoggerFactory.getLogger("io.parlor");

  @BeforeEach
  void mountSmallDisk() throws Exception {
    mount = Files.createTempDirectory("parlor-full-");
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=5m,mode=700", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    boolean mounted = p.waitFor() == 0;
    // CI and the README's test command run as root; elsewhere this scenario needs `sudo`
    Assumptions.assumeTrue(mounted, "mounting a 5 MB tmpfs needs root: " + out.strip());
    logs.start();
    parlor.addAppender(logs);
    parlor.setAdditive(false); // the expected ERROR and INFO are read here, not printed
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    }
    // each delivery takes a while, so that outcomes are being recorded while the disk is full
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200).withFixedDelay(150)));
  }

  private void startNode() throws Exception {
    node = new TestNode(mount, TestNode.twoNetworks(mount, netA.baseUrl(), netB.baseUrl(), ""));
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"reachableBy\":\"everyone\"}").statusCode());
  }

  @AfterEach
  void unmount() throws Exception {
    if (node != null) {
      node.close();
    }
    if (netA != null) {
      netA.stop();
      netB.stop();
    }
    parlor.detachAppender(logs);
    parlor.setAdditive(true);
    if (mount != null) {
      new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
      Files.deleteIfExists(mount);
    }
  }

  /** Writes until the filesystem is full; returns the filler. */
  private Path fill() throws IOException {
    Path filler = mount.resolve("filler");
    byte[] chunk = new byte[16 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left")) {
        throw full;
      }
    }
    return filler;
  }

  private int send(String id) throws Exception {
    return node.send("neta", TestNode.SECRET_A, TestNode.text(id, "neta:alice", "netb:bob", "hello " + id)).statusCode();
  }

  private Map<String, Long> deliveredIds() {
    Map<String, Long> counts = new HashMap<>();
    for (LoggedRequest r : netB.findAll(postRequestedFor(urlEqualTo("/messages")))) {
      String text = TestNode.json(r.getBodyAsString()).path("content").path("text").asText();
      counts.merge(text, 1L, Long::sum);
    }
    return counts;
  }

  private List<ILoggingEvent> problems() {
    return TestNode.snapshot(logs).stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).collect(Collectors.toList());
  }

  @Test
  void aFullDiskIsRefusedWith503AndTheNodeRecoversByItselfWhenSpaceReturns() throws Exception {
    startNode();
    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      assertEquals(202, send("before-" + i));
      accepted.add("hello before-" + i);
    }
    Path filler = fill();
    // keep sending: every answer is 202 (stored) or 503 (refused, with Retry-After), never 500
    int refused = 0;
    for (int i = 0; i < 200 && refused < 20; i++) {
      HttpResponse<String> r = node.send("neta", TestNode.SECRET_A,
          TestNode.text("full-" + i, "neta:alice", "netb:bob", "hello full-" + i));
      if (r.statusCode() == 202) {
        accepted.add("hello full-" + i);
      } else {
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("retry-after").isPresent(), "503 says when to retry");
        refused++;
        Thread.sleep(20);
      }
    }
    assertEquals(20, refused, "a full disk is refused");
    assertEquals(503, node.get("/readyz").statusCode(), "not ready while the store cannot write");
    HttpResponse<String> admin = node.admin("PUT", "/people/carol",
        "{\"accounts\":[\"netb:carol\"],\"optIn\":true,\"reachableBy\":\"everyone\"}");
    assertEquals(503, admin.statusCode(), "admin writes answer 503, not 500: " + admin.body());
    assertTrue(admin.headers().firstValue("retry-after").isPresent());
    Thread.sleep(2_000); // deliveries that ended meanwhile could not be recorded: they retry

    Files.delete(filler);
    long freed = System.nanoTime();
    TestNode.await("ready again", Duration.ofSeconds(10), () -> {
      try {
        return node.get("/readyz").statusCode() == 200;
      } catch (Exception e) {
        return false;
      }
    });
    double recoverySeconds = (System.nanoTime() - freed) / 1e9;
    assertTrue(recoverySeconds < 10, "recovered within 10 s: " + recoverySeconds);
    for (int i = 0; i < 5; i++) {
      assertEquals(202, send("after-" + i));
      accepted.add("hello after-" + i);
    }
    TestNode.await("every accepted message delivered", WAIT,
        () -> deliveredIds().keySet().containsAll(accepted));
    TestNode.await("the queue drained", WAIT, () -> {
      try {
        return TestNode.json(node.admin("GET", "/status", null).body()).path("queueDepth").asInt(-1) == 0;
      } catch (Exception e) {
        return false;
      }
    });

    // every outcome recorded: a delivery's bookkeeping commits after the message left the queue
    // (retried while the disk was full), and a node stopped before that commit delivers the
    // message once more after its restart (at least once, under the same idempotency key)
    TestNode.await("every outcome recorded", WAIT, () -> {
      try (java.sql.Connection c = TestNode.connect(mount.resolve("parlor.db"));
          java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM messages")) {
        return rs.next() && rs.getLong(1) == 0;
      } catch (java.sql.SQLException e) {
        return false;
      }
    });
    // a restart on the same store delivers nothing again: every outcome was recorded
    node.close();
    node = null;
    int before = netB.findAll(postRequestedFor(urlEqualTo("/messages"))).size();
    startNode();
    Thread.sleep(1_500);
    assertEquals(before, netB.findAll(postRequestedFor(urlEqualTo("/messages"))).size(),
        "nothing delivered again after the restart");
    Map<String, Long> twice = deliveredIds().entrySet().stream().filter(e -> e.getValue() > 1)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertTrue(twice.isEmpty(), "delivered twice: " + twice);
    List<ILoggingEvent> problems = problems();
    assertTrue(problems.size() <= 2, "one line for the fault (and one for a checkpoint at close), not one per attempt: " + problems.size() + " "
        + problems.stream().limit(10).map(ILoggingEvent::getFormattedMessage).toList());
    assertTrue(TestNode.snapshot(logs).stream().anyMatch(e -> e.getLevel() == Level.INFO
        && e.getFormattedMessage().startsWith("store writes recovered")), "one line says it recovered");
    Figures.record("disk-full", String.format(java.util.Locale.ROOT,
        "5 MB tmpfs filled with %d messages in flight: %d refused with 503, ready again %.1f s after space"
            + " returned, %d accepted = %d delivered, 0 twice, 0 again after a restart, %d WARN/ERROR lines",
        20, refused, recoverySeconds, accepted.size(), deliveredIds().size(), problems.size()));
  }
}
