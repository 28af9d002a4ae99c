package io.parlor.adapter.whatsapp;

import static io.parlor.adapter.meta.MetaTestSupport.ACCESS_TOKEN;
import static io.parlor.adapter.meta.MetaTestSupport.APP_SECRET;
import static io.parlor.adapter.meta.MetaTestSupport.VERIFY_TOKEN;

import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.spi.envelope.NetworkId;
import java.net.URI;
import java.time.Duration;

/** This module's test constants; the shared fakes and fixtures are in {@link MetaTestSupport}. */
final class TestSupport {
  static final NetworkId NETWORK = NetworkId.of("whatsapp");

  private TestSupport() {}

  static WhatsAppConfig config(String phoneNumberId, URI graph, int ratePerSecond) {
    return new WhatsAppConfig(phoneNumberId, graph(graph, ratePerSecond, Duration.ofSeconds(5)));
  }

  /** The Graph settings of the tests, against the stub at {@code graph}. */
  static io.parlor.adapter.meta.GraphSettings graph(URI graph, int ratePerSecond, Duration timeout) {
    return new io.parlor.adapter.meta.GraphSettings(ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, graph, "v21.0",
        ratePerSecond, 45, Duration.ofSeconds(6), timeout);
  }
}
