package io.parlor.core.safety;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.spi.envelope.Address;
import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each volume limit triggers and recovers on a clock under the test's control, scaled by trust. */
class LimitsTest {
  private Instant now = Instant.parse("2026-12-04T10:00:00Z");
  private final Clock clock = new Clock() {
    @Override public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override public Instant instant() {
      return now;
    }
  };
  private final NetworkId chat = NetworkId.of("chat");
  private final NetworkId trusted = NetworkId.of("big");
  private final NetworkId fresh = NetworkId.of("fresh");
  // a standard sender: 60 a minute, 4 at once; a pair 30 a minute, 2 at once; the network 100/s, 8 at once
  private final Limits limits = new Limits(new Limits.Settings(60, 4, 30, 2, 100, 8, 10, 100),
      Map.of(trusted, Limits.Trust.TRUSTED, fresh, Limits.Trust.NEW), clock);

  private Optional<Duration> send(NetworkId net, String from, String to) {
    return limits.take(net, Address.of(net.value() + ":" + from), Address.of(net.value() + ":" + to));
  }

  @Test
  void aPairASenderAndANetworkEachRunOutAndRecover() {
    // the pair: two at once, then one every two seconds
    assertEquals(Optional.empty(), send(chat, "amy", "bob"));
    assertEquals(Optional.empty(), send(chat, "amy", "bob"));
    assertEquals(Optional.of(Duration.ofSeconds(2)), send(chat, "amy", "bob"));
    now = now.plusMillis(1999);
    assertTrue(send(chat, "amy", "bob").isPresent());
    now = now.plusMillis(1);
    assertEquals(Optional.empty(), send(chat, "amy", "bob"), "recovered");
    // the sender: 4 at once, then one a second — whoever eve writes to; nobody else is slowed
    for (int i = 1; i <= 4; i++) {
      assertEquals(Optional.empty(), send(chat, "eve", "r" + i));
    }
    assertEquals(Optional.of(Duration.ofSeconds(1)), send(chat, "eve", "r5"));
    assertEquals(Optional.empty(), send(chat, "bea", "dan"), "another sender is not slowed");
    now = now.plusSeconds(1);
    assertEquals(Optional.empty(), send(chat, "eve", "r5"));
    // the network: 8 at once (full again after a second, one taken since), then 100 a second
    for (int i = 1; i <= 7; i++) {
      assertEquals(Optional.empty(), send(chat, "c" + i, "x"), "c" + i);
    }
    assertEquals(Optional.of(Duration.ofMillis(10)), send(chat, "c8", "x"), "the network's 100 a second");
    now = now.plusMillis(10);
    assertEquals(Optional.empty(), send(chat, "c8", "x"));
  }

  @Test
  void aNewNetworkGetsTighterLimitsThanATrustedOne() {
    int fromNew = 0;
    while (fromNew < 1000 && send(fresh, "s", "r" + fromNew).isEmpty()) {
      fromNew++;
    }
    int fromTrusted = 0;
    while (fromTrusted < 1000 && send(trusted, "s", "r" + fromTrusted).isEmpty()) {
      fromTrusted++;
    }
    assertEquals(1, fromNew, "a quarter of 4 at once");
    assertEquals(16, fromTrusted, "four times 4 at once");
    // and they recover at their own rates: a quarter of one a second, four a second
    now = now.plusMillis(250);
    assertEquals(Optional.empty(), send(trusted, "s", "again"));
    assertTrue(send(fresh, "s", "again").isPresent());
    now = now.plusMillis(3750);
    assertEquals(Optional.empty(), send(fresh, "s", "again"));
  }

  @Test
  void aThrottledNetworkIsTightenedAsAWholeUntilReleased() {
    limits.throttle(Set.of(chat));
    assertTrue(limits.throttled(chat));
    assertEquals(0.25, limits.factor(chat));
    assertEquals(Optional.empty(), send(chat, "amy", "bob"));
    assertTrue(send(chat, "amy", "cat").isPresent(), "a quarter of 4 at once");
    limits.throttle(Set.of());
    now = now.plusSeconds(4);
    assertEquals(Optional.empty(), send(chat, "amy", "cat"));
    assertEquals(Optional.empty(), send(chat, "amy", "dan"), "back to 4 at once");
  }

  @Test
  void refilledBucketsAreForgotten() {
    send(chat, "amy", "bob");
    assertEquals(3, limits.size());
    limits.sweep();
    assertEquals(3, limits.size(), "not refilled yet");
    now = now.plusSeconds(10);
    limits.sweep();
    assertEquals(0, limits.size());
  }
}
