package io.parlor.core.metrics;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The SPI's metrics hook as the core exports it: tagged with the network, names checked. */
class NetworkMetricsTest {
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final NetworkMetrics xmpp = new NetworkMetrics(registry, "xmpp");

  @Test
  void countsTimesAndGaugesAreExportedPerNetwork() {
    xmpp.count("bounced");
    xmpp.count("bounced", 2);
    xmpp.time("handshake", Duration.ofMillis(12));
    AtomicInteger queued = new AtomicInteger(7);
    xmpp.gauge("queued", queued::get);
    new NetworkMetrics(registry, "sms").count("bounced");
    String scrape = registry.scrape();
    assertTrue(scrape.contains("parlor_adapter_events_total{event=\"bounced\",network=\"xmpp\"} 3.0"), scrape);
    assertTrue(scrape.contains("parlor_adapter_events_total{event=\"bounced\",network=\"sms\"} 1.0"), scrape);
    assertTrue(scrape.contains("parlor_adapter_operation_seconds_count{network=\"xmpp\",operation=\"handshake\"} 1"), scrape);
    assertTrue(scrape.contains("parlor_adapter_stat{network=\"xmpp\",stat=\"queued\"} 7.0"), scrape);
    queued.set(9);
    xmpp.gauge("queued", () -> 11); // registered again: reads the new supplier
    assertTrue(registry.scrape().contains("parlor_adapter_stat{network=\"xmpp\",stat=\"queued\"} 11.0"));
  }

  @Test
  void aNameThatCouldBeDataIsRefused() {
    for (String bad : new String[] {"Bounced", "user@example.org", "+447700900123", "", "a-b", "x".repeat(49)}) {
      assertThrows(IllegalArgumentException.class, () -> xmpp.count(bad), bad);
    }
  }
}
