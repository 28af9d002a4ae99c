package io.parlor.adapter.smpp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

  @Test
  void doublesFromInitialWithEqualJitter() {
    assertEquals(Duration.ofMillis(500), b.delay(0, 0.0));
    assertEquals(Duration.ofMillis(1000), b.delay(0, 1.0));
    assertEquals(Duration.ofMillis(3000), b.delay(2, 0.5));
    assertEquals(Duration.ofMillis(32_000), b.delay(5, 1.0));
  }

  @Test
  void capsAtMaxEvenForHugeAttempts() {
    assertEquals(Duration.ofSeconds(60), b.delay(6, 1.0));
    assertEquals(Duration.ofSeconds(60), b.delay(1000, 1.0));
    assertEquals(Duration.ofSeconds(30), b.delay(Integer.MAX_VALUE, 0.0));
  }
}
