package io.parlor.adapter.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private final MetaTestSupport.FakeClock clock = new MetaTestSupport.FakeClock(Instant.parse("2026-11-29T10:00:00Z"));

  @Test
  void senderLimitAllowsBurstThenOnePerInterval() {
    RateLimiter l = new RateLimiter(RateLimiter.Limit.perSecond(80), new RateLimiter.Limit(1000, Duration.ofMillis(1)), clock);
    for (int i = 0; i < 80; i++) {
      assertEquals(Optional.empty(), l.tryAcquire("r" + i), "message " + i);
    }
    RateLimiter.Refusal r = l.tryAcquire("r80").orElseThrow();
    assertEquals(RateLimiter.Scope.SENDER, r.scope());
    assertEquals(Duration.ofNanos(12_500_000), r.retryAfter());

    clock.advance(Duration.ofNanos(12_499_999));
    assertTrue(l.tryAcquire("r80").isPresent());
    clock.advance(Duration.ofNanos(1));
    assertEquals(Optional.empty(), l.tryAcquire("r80"));
    assertTrue(l.tryAcquire("r81").isPresent());
  }

  @Test
  void senderRefillsFullyAfterOneSecond() {
    RateLimiter l = new RateLimiter(RateLimiter.Limit.perSecond(10), new RateLimiter.Limit(100, Duration.ofMillis(1)), clock);
    for (int i = 0; i < 10; i++) {
      assertEquals(Optional.empty(), l.tryAcquire("r" + i));
    }
    assertTrue(l.tryAcquire("x").isPresent());
    clock.advance(Duration.ofSeconds(5));
    for (int i = 0; i < 10; i++) {
      assertEquals(Optional.empty(), l.tryAcquire("s" + i), "burst is capped, not accumulated beyond it");
    }
    assertTrue(l.tryAcquire("y").isPresent());
  }

  @Test
  void pairLimitIsPerRecipientAndDoesNotHoldUpOthers() {
    RateLimiter l = new RateLimiter(RateLimiter.Limit.perSecond(80), new RateLimiter.Limit(2, Duration.ofSeconds(6)), clock);
    assertEquals(Optional.empty(), l.tryAcquire("busy"));
    assertEquals(Optional.empty(), l.tryAcquire("busy"));
    RateLimiter.Refusal r = l.tryAcquire("busy").orElseThrow();
    assertEquals(RateLimiter.Scope.RECIPIENT, r.scope());
    assertEquals(Duration.ofSeconds(6), r.retryAfter());

    assertEquals(Optional.empty(), l.tryAcquire("quiet"), "another recipient is not held up");

    clock.advance(Duration.ofSeconds(6));
    assertEquals(Optional.empty(), l.tryAcquire("busy"));
    assertTrue(l.tryAcquire("busy").isPresent());
  }

  @Test
  void refusedMessageConsumesNoToken() {
    RateLimiter l = new RateLimiter(RateLimiter.Limit.perSecond(2), new RateLimiter.Limit(1, Duration.ofSeconds(6)), clock);
    assertEquals(Optional.empty(), l.tryAcquire("a"));
    for (int i = 0; i < 5; i++) {
      assertEquals(RateLimiter.Scope.RECIPIENT, l.tryAcquire("a").orElseThrow().scope());
    }
    // The refusals above did not use the sender's second token.
    assertEquals(Optional.empty(), l.tryAcquire("b"));
    RateLimiter.Refusal s = l.tryAcquire("c").orElseThrow();
    assertEquals(RateLimiter.Scope.SENDER, s.scope());
    // ...and the sender refusal did not use c's pair token.
    clock.advance(Duration.ofSeconds(1));
    assertEquals(Optional.empty(), l.tryAcquire("c"));
  }

  @Test
  void idleRecipientsAreForgotten() {
    RateLimiter l = new RateLimiter(RateLimiter.Limit.perSecond(10_000), new RateLimiter.Limit(1, Duration.ofSeconds(1)), clock);
    for (int i = 0; i < 1024; i++) {
      l.tryAcquire("r" + i);
    }
    assertEquals(1024, l.trackedRecipients());
    clock.advance(Duration.ofSeconds(2));
    l.tryAcquire("new");
    assertEquals(1, l.trackedRecipients());
  }

  @Test
  void limitsAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Limit(0, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Limit(1, Duration.ZERO));
  }
}
