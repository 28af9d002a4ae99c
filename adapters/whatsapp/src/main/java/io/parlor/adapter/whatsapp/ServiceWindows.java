package io.parlor.adapter.whatsapp;

import io.parlor.spi.envelope.Envelope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * WhatsApp's customer-service windows: a business may send free-form messages to a person only
 * within 24 hours of that person's last message; after that only approved templates. Remembers,
 * in memory only, when each person last wrote (as far as this node saw: nothing survives a
 * restart, and an unknown window counts as closed), at most {@value #CAPACITY} people, the least
 * recently heard from forgotten first. Thread-safe.
 */
final class ServiceWindows {
  static final Duration WINDOW = Duration.ofHours(24);
  static final int CAPACITY = 100_000;

  private final Clock clock;
  private final Map<String, Instant> lastHeard = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
      return size() > CAPACITY;
    }
  };

  ServiceWindows(Clock clock) {
    this.clock = clock;
  }

  /** A person wrote: their window is open for 24 hours from when they sent it (or now). */
  synchronized void heard(Envelope inbound) {
    if (inbound.from().kind() != io.parlor.spi.envelope.Address.Kind.ACCOUNT) {
      return;
    }
    WhatsAppNormalizer.digits(inbound.from().account()).ifPresent(d -> {
      Instant at = inbound.sentAt().isAfter(clock.instant()) ? clock.instant() : inbound.sentAt();
      lastHeard.merge(d, at, (a, b) -> a.isAfter(b) ? a : b);
    });
  }

  /** Whether the person with these digits wrote within the last 24 hours. */
  synchronized boolean open(String digits) {
    Instant at = lastHeard.get(digits);
    return at != null && clock.instant().isBefore(at.plus(WINDOW));
  }

  /** The platform said the window is closed. */
  synchronized void closed(String digits) {
    lastHeard.remove(digits);
  }
}
