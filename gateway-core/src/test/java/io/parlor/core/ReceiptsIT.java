package io.parlor.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.core.config.ConfigLoader;
import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.StatusReport;
import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.Content;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.MessageId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3: on networks that report receipts (SMS), the sender hears "delivered" only when the
 * receipt says so, and "failed" or "expired" when it says that.
 */
class ReceiptsIT {
  @TempDir Path dir;
  final FakeNetworkProvider fakes = new FakeNetworkProvider();
  Gateway node;

  @BeforeEach
  void start() throws Exception {
    Path file = dir.resolve("r.yaml");
    Files.writeString(file, TestNode.onTestStore(String.join("\n",
        "http:", "  port: 0", "store:", "  path: " + dir.resolve("r.db"),
        "networks:",
        "  - id: chat", "    type: fake",
        "  - id: sms", "    type: fake", "    receipts: true",
        "  - id: fastsms", "    type: fake", "    receipts: true", "    receiptFirst: true",
        "")));
    ConfigLoader.Result r = new ConfigLoader(Map.of(), List.of(fakes)).load(file);
    assertTrue(r.ok(), r.problems().toString());
    node = Gateway.start(r.config().orElseThrow(), Clock.systemUTC());
    var resp = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/pat"))
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"sms:+447700900001\"],\"optIn\":true}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, resp.statusCode(), resp.body());
  }

  @AfterEach
  void stop() {
    node.close(Duration.ofSeconds(1));
  }

  private void send(String id, String text) {
    fakes.adapters.get("chat").inject(Envelope.of(MessageId.of(id), Address.of("chat:alice"),
        Address.of("sms:+447700900001"), Instant.now(), new Content.Text(text)));
  }

  @Test
  void aReceiptThatOvertakesTheHandOverIsNotLost() throws Exception {
    var resp = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.port() + "/admin/v1/people/quick"))
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"accounts\":[\"fastsms:+447700900002\"],\"optIn\":true}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, resp.statusCode(), resp.body());
    for (int i = 0; i < 20; i++) {
      fakes.adapters.get("chat").inject(Envelope.of(MessageId.of("q-" + i), Address.of("chat:alice"),
          Address.of("fastsms:+447700900002"), Instant.now(), new Content.Text("quick " + i)));
    }
    TestNode.await("a delivered status for every message", Duration.ofSeconds(10), () -> statuses().size() == 20);
    assertTrue(statuses().stream().allMatch(s -> s.status() == StatusReport.Status.DELIVERED && s.reason().isEmpty()),
        "delivered by receipt, not by the no-receipt fallback: " + statuses());
    // reported statuses and settled receipts leave nothing behind (removals are coalesced)
    TestNode.await("outbox and receipt waits empty", Duration.ofSeconds(5),
        () -> rows("status_outbox") == 0 && rows("receipt_waits") == 0 && rows("messages") == 0);
  }

  private long rows(String table) {
    try (java.sql.Connection c = TestNode.connect(dir.resolve("r.db"));
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<StatusReport> statuses() {
    return fakes.adapters.get("chat").statuses;
  }

  @Test
  void statusesFollowTheNetworksReceipts() throws Exception {
    var sms = fakes.adapters.get("sms");
    send("m-1", "one");
    TestNode.await("hand-over", Duration.ofSeconds(5), () -> sms.delivered.size() == 1);
    Thread.sleep(300);
    assertTrue(statuses().isEmpty(), "handed over is not delivered yet: no status before the receipt");

    sms.emit(new NetworkReceipt(null, sms.networkIds.get(0), NetworkReceipt.Outcome.DELIVERED, "", Instant.now()));
    TestNode.await("delivered status", Duration.ofSeconds(5), () -> statuses().size() == 1);
    assertEquals("m-1", statuses().get(0).id().value());
    assertEquals(StatusReport.Status.DELIVERED, statuses().get(0).status());

    send("m-2", "two");
    TestNode.await("hand-over", Duration.ofSeconds(5), () -> sms.delivered.size() == 2);
    // correlated by the idempotency key too (SMPP receipts carry it)
    sms.emit(new NetworkReceipt(sms.idempotencyKeys.get(1), null, NetworkReceipt.Outcome.FAILED, "err:001", Instant.now()));
    TestNode.await("failed status", Duration.ofSeconds(5), () -> statuses().size() == 2);
    assertEquals(StatusReport.Status.FAILED, statuses().get(1).status());
    assertEquals("network_error", statuses().get(1).reason());

    // a duplicate or unknown receipt changes nothing
    sms.emit(new NetworkReceipt(null, sms.networkIds.get(0), NetworkReceipt.Outcome.FAILED, "", Instant.now()));
    sms.emit(new NetworkReceipt(null, "no-such-id", NetworkReceipt.Outcome.DELIVERED, "", Instant.now()));
    TestNode.await("unknown receipts given up after their retries", Duration.ofSeconds(10),
        () -> node.meters().scrape().contains("parlor_receipts_total{network=\"sms\",node=\"parlor-1\",outcome=\"unmatched\"} 2.0"));
    assertEquals(2, statuses().size());
    String metrics = node.meters().scrape();
    // adapters' own stats (e.g. the SMPP window in use) are exported as gauges
    assertTrue(metrics.contains("parlor_adapter_stat{network=\"sms\",node=\"parlor-1\",stat=\"handed_over\"} 2.0"), metrics);
  }
}
