package io.parlor.spi.envelope;

import java.util.Locale;
import java.util.Optional;

/** The kinds of {@link Event} a network may declare ({@code capabilities.events}). */
public enum EventKind {
  /** Read receipts: in as events, out as {@code read} statuses. */
  READ,
  /** Typing indicators: forwarded best effort, never stored. */
  TYPING,
  /**
   * A conversation's disappearing-messages timer set by one side: in only; both sides learn the
   * thread's timer as a system message, so no network needs to declare it.
   */
  TIMER,
  /**
   * A report of a message its recipient received (abuse, spam): in only; it blocks the sender for
   * the reporter, counts towards holding the sender, and is forwarded to the sender's network
   * when that network takes reports. No network needs to declare it.
   */
  REPORT;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<EventKind> fromWire(String wire) {
    for (EventKind k : values()) {
      if (k.wire().equals(wire)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
