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
  TIMER;

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
