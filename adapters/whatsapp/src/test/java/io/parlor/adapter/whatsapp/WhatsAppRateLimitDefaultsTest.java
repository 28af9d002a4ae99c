package io.parlor.adapter.whatsapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.adapter.meta.RateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The provider's default limits, through the shared {@link RateLimiter} (tested in meta-common). */
class WhatsAppRateLimitDefaultsTest {
  private final MetaTestSupport.FakeClock clock = new MetaTestSupport.FakeClock(Instant.parse("2026-11-29T10:00:00Z"));

  @Test
  void whatsAppDefaultPairBurstIs45ThenOneEverySixSeconds() {
    RateLimiter l = new RateLimiter(RateLimiter.Limit.perSecond(1000),
        new RateLimiter.Limit(WhatsAppAdapterProvider.DEFAULT_PAIR_BURST, WhatsAppAdapterProvider.DEFAULT_PAIR_INTERVAL),
        clock);
    for (int i = 0; i < 45; i++) {
      clock.advance(Duration.ofMillis(10));
      assertEquals(Optional.empty(), l.tryAcquire("r"), "message " + i);
    }
    assertTrue(l.tryAcquire("r").isPresent());
  }
}
