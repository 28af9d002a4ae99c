package io.parlor.adapter.messenger;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parlor.adapter.meta.MetaTestSupport;
import io.parlor.adapter.meta.RateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The provider's default limits, through the shared {@link RateLimiter} (tested in meta-common). */
class MessengerRateLimitDefaultsTest {
  private final MetaTestSupport.FakeClock clock = new MetaTestSupport.FakeClock(Instant.parse("2026-11-29T10:00:00Z"));

  @Test
  void messengerDefaultPairBurstIs10ThenOnePerSecond() {
    RateLimiter l = new RateLimiter(RateLimiter.Limit.perSecond(MessengerAdapterProvider.DEFAULT_RATE_PER_SECOND),
        new RateLimiter.Limit(MessengerAdapterProvider.DEFAULT_PAIR_BURST, MessengerAdapterProvider.DEFAULT_PAIR_INTERVAL),
        clock);
    for (int i = 0; i < 10; i++) {
      assertEquals(Optional.empty(), l.tryAcquire("r"), "message " + i);
    }
    assertEquals(Duration.ofSeconds(1), l.tryAcquire("r").orElseThrow().retryAfter());
    for (int i = 0; i < 290; i++) {
      assertEquals(Optional.empty(), l.tryAcquire("other" + i), "message " + i);
    }
    assertEquals(RateLimiter.Scope.SENDER, l.tryAcquire("last").orElseThrow().scope());
  }}
