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
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.parlor.core.store.PostgresServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 13: a node on PostgreSQL rides out a database outage. The server is killed (as a crash
 * would) while messages are accepted and delivered, then started again. While it is down the node
 * answers 503 with Retry-After (nothing accepted that is not stored), is not ready, does not
 * crash; it recovers by itself, loses nothing it accepted, delivers nothing twice, and logs the
 * outage once, not once per attempt.
 */
class PostgresOutageIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  PostgresServer server;
  WireMockServer netA;
  WireMockServer netB;
  TestNode node;
  final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  final List<Logger> captured = List.of(
      (Logger) LoggerFactory.getLogger("io.parlor"),
      (Logger) LoggerFactory.getLogger("com.zaxxer.hikari"),
      (Logger) LoggerFactory.getLogger("org.postgresql"));

  @BeforeEach
  void start() throws Exception {
    server = PostgresServer.startNew();
    logs.start();
    for (Logger l : captured) {
      l.addAppender(logs);
      l.setAdditive(false); // the outage's expected lines are read here, not printed
    }
    netA = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    netB = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    for (WireMockServer w : List.of(netA, netB)) {
      w.start();
      w.stubFor(post(urlEqualTo("/status")).willReturn(aResponse().withStatus(200)));
    }
    // each delivery takes a while, so that outcomes are being recorded when the database goes
    netB.stubFor(post(urlEqualTo("/messages")).willReturn(aResponse().withStatus(200).withFixedDelay(100)));
    String yaml = TestNode.twoNetworks(dir, netA.baseUrl(), netB.baseUrl(), "")
        .replace("store:\n  path: " + dir.resolve("parlor.db"), PostgresServer.storeYaml(server.newDatabase()));
    assertTrue(yaml.contains("type: postgres"));
    node = new TestNode(dir, yaml);
    assertEquals(200, node.admin("PUT", "/people/bob",
        "{\"accounts\":[\"netb:bob\"],\"optIn\":true,\"reachableBy\":\"everyone\"}").statusCode());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    netA.stop();
    netB.stop();
    for (Logger l : captured) {
      l.detachAppender(logs);
      l.setAdditive(true);
    }
    server.destroy();
  }

  private HttpResponse<String> send(String id) throws Exception {
    return node.send("neta", TestNode.SECRET_A, TestNode.text(id, "neta:alice", "netb:bob", "hello " + id));
  }

  /** A log line as a failure message shows it: logger, message, and its exception's chain with where each was thrown. */
  private static String describe(ILoggingEvent e) {
    StringBuilder out = new StringBuilder(e.getLoggerName() + ": " + e.getFormattedMessage());
    for (ch.qos.logback.classic.spi.IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      out.append(" <- ").append(t.getClassName()).append(": ").append(t.getMessage());
      ch.qos.logback.classic.spi.StackTraceElementProxy[] at = t.getStackTraceElementProxyArray();
      for (int i = 0; i < Math.min(4, at.length); i++) {
        out.append(" @ ").append(at[i].getStackTraceElement());
      }
    }
    return out.toString();
  }

  private Map<String, Long> deliveredTexts() {
    Map<String, Long> counts = new HashMap<>();
    for (LoggedRequest r : netB.findAll(postRequestedFor(urlEqualTo("/messages")))) {
      counts.merge(TestNode.json(r.getBodyAsString()).path("content").path("text").asText(), 1L, Long::sum);
    }
    return counts;
  }

  private boolean ready() {
    try {
      return node.get("/readyz").statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void anIdleNodeIsNotReadyWhileTheDatabaseIsDownAndReadyWhenItReturns() throws Exception {
    TestNode.await("ready", Duration.ofSeconds(10), this::ready);
    // nothing in flight: the admin write above is committed, and the first housekeeping round
    // (1 s after start, then every minute) is over — no write is due for a minute
    Thread.sleep(2_500);
    server.kill();
    long down = System.nanoTime();
    TestNode.await("not ready, with nothing sent", Duration.ofSeconds(5), () -> !ready());
    double noticed = (System.nanoTime() - down) / 1e9;
    // the idle writer checks its connection each second; without that check only some later
    // write would notice
    assertTrue(noticed < 2.5, "noticed within a check or two: " + noticed + " s");
    server.restart();
    TestNode.await("ready again", Duration.ofSeconds(20), this::ready);
    assertEquals(202, send("after").statusCode());
    TestNode.await("delivered", WAIT, () -> deliveredTexts().containsKey("hello after"));
    Figures.record("postgres-idle-outage", String.format(java.util.Locale.ROOT,
        "an idle node noticed the database gone in %.1f s (readiness 503 with nothing sent)", noticed));
  }

  @Test
  void aDatabaseOutageIsRefusedWith503AndTheNodeRecoversByItselfWhenTheDatabaseReturns() throws Exception {
    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      assertEquals(202, send("before-" + i).statusCode());
      accepted.add("hello before-" + i);
    }
    server.kill();
    TestNode.await("not ready while the database is down", Duration.ofSeconds(10), () -> !ready());
    int refused = 0;
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = send("down-" + i);
      if (r.statusCode() == 202) {
        accepted.add("hello down-" + i); // cannot be: nothing is stored; the assertion below says so
      } else {
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"unavailable\""), r.body());
        assertTrue(r.headers().firstValue("retry-after").isPresent(), "503 says when to retry");
        refused++;
      }
    }
    assertEquals(10, refused, "nothing is accepted while the database is down");
    HttpResponse<String> admin = node.admin("PUT", "/people/carol",
        "{\"accounts\":[\"netb:carol\"],\"optIn\":true,\"reachableBy\":\"everyone\"}");
    assertEquals(503, admin.statusCode(), "admin writes answer 503, not 500: " + admin.body());
    Thread.sleep(1_000); // deliveries that ended meanwhile could not be recorded: they retry

    long back = System.nanoTime();
    server.restart();
    TestNode.await("ready again", Duration.ofSeconds(20), this::ready);
    double recoverySeconds = (System.nanoTime() - back) / 1e9;
    for (int i = 0; i < 5; i++) {
      assertEquals(202, send("after-" + i).statusCode());
      accepted.add("hello after-" + i);
    }
    TestNode.await("every accepted message delivered", WAIT, () -> deliveredTexts().keySet().containsAll(accepted));
    TestNode.await("the queue drained", WAIT, () -> {
      try {
        return TestNode.json(node.admin("GET", "/status", null).body()).path("queueDepth").asInt(-1) == 0;
      } catch (Exception e) {
        return false;
      }
    });
    Map<String, Long> twice = deliveredTexts().entrySet().stream().filter(e -> e.getValue() > 1)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertTrue(twice.isEmpty(), "delivered twice: " + twice);
    assertTrue(deliveredTexts().keySet().stream().noneMatch(t -> t.startsWith("hello down-")), "a refused message is not delivered");
    List<String> problems = TestNode.snapshot(logs).stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        // the pool's level is ERROR in production (Logging) as in these tests (logback-test.xml)
        .filter(e -> !e.getLoggerName().startsWith("com.zaxxer") || e.getLevel().isGreaterOrEqual(Level.ERROR))
        .map(PostgresOutageIT::describe).toList();
    assertTrue(problems.size() <= 2, "the outage in one line or two, not one per attempt: " + problems.size() + " "
        + problems.stream().limit(10).toList());
    assertTrue(TestNode.snapshot(logs).stream().anyMatch(e -> e.getLevel() == Level.INFO
        && e.getFormattedMessage().startsWith("store writes recovered")), "one line says it recovered");
    Figures.record("postgres-outage", String.format(java.util.Locale.ROOT,
        "PostgreSQL killed with 20 messages in flight: 10 of 10 sent meanwhile refused with 503, ready again %.1f s"
            + " after the server started again, %d accepted = %d delivered, 0 twice, %d WARN/ERROR lines",
        recoverySeconds, accepted.size(), deliveredTexts().size(), problems.size()));
  }
}
