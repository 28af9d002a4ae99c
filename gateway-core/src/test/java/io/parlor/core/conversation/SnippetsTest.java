package io.parlor.core.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parlor.core.linking.PartyKey;
import io.parlor.spi.envelope.MessageId;
import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The quotes reaction fallbacks use (privacy rule 7): in memory only, bounded, each for at most
 * its own lifetime, and forgotten with their author.
 */
class SnippetsTest {
  private static final NetworkId NET = NetworkId.of("neta");
  private static final PartyKey ALICE = PartyKey.person("alice");
  private static final PartyKey BOB = PartyKey.person("bob");
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T10:00:00Z"));
  private final Clock clock = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  };

  private static MessageId id(String s) {
    return MessageId.of(s);
  }

  @Test
  void atMostTheCapacityIsKeptTheOldestGoingFirst() {
    Snippets s = new Snippets(2, clock);
    Instant until = now.get().plus(Duration.ofDays(1));
    s.put(NET, id("m1"), ALICE, "one", until);
    s.put(NET, id("m2"), ALICE, "two", until);
    s.put(NET, id("m3"), ALICE, "three", until);
    assertEquals(2, s.size());
    assertNull(s.get(NET, id("m1")));
    assertNotNull(s.get(NET, id("m3")));
  }

  @Test
  void aQuoteLivesUntilItsEndAndNoLonger() {
    Snippets s = new Snippets(10, clock);
    s.put(NET, id("m1"), ALICE, "short-lived", now.get().plusSeconds(10));
    s.put(NET, id("m2"), ALICE, "also short-lived", now.get().plusSeconds(10));
    assertNotNull(s.get(NET, id("m1")));
    now.set(now.get().plusSeconds(10));
    assertNull(s.get(NET, id("m1")), "not at its end");
    s.purge();
    assertEquals(0, s.size(), "purged without being asked for");
  }

  @Test
  void forgettingAnAuthorDropsOnlyTheirQuotes() {
    Snippets s = new Snippets(10, clock);
    Instant until = now.get().plus(Duration.ofDays(1));
    s.put(NET, id("m1"), ALICE, "alice's", until);
    s.put(NET, id("m2"), BOB, "bob's", until);
    s.forget(ALICE);
    assertNull(s.get(NET, id("m1")));
    assertEquals("bob's", s.get(NET, id("m2")));
  }

  @Test
  void aQuoteIsTheFirst40Characters() {
    Snippets s = new Snippets(10, clock);
    s.put(NET, id("m1"), ALICE, "x".repeat(60), now.get().plusSeconds(60));
    String q = s.get(NET, id("m1"));
    assertTrue(q.startsWith("x".repeat(40)) && !q.startsWith("x".repeat(41)), q);
  }
}
