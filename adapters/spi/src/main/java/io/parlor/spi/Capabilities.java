package io.parlor.spi;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a network can carry. Immutable. The core reads it before delivering and decides to deliver,
 * degrade or refuse; it never silently weakens a guarantee.
 *
 * @param e2eeSchemes end-to-end encryption schemes the network's clients speak; empty means
 *     plaintext only
 * @param maxTextLength longest text in characters the network accepts in one message
 * @param expiry whether the network's clients honour disappearing timers
 * @param deliveryReceipts whether the network reports delivery
 * @param replies whether reply references ({@code replyTo}) are carried
 * @param allowedTimers the only disappearing-timer durations the network's clients offer (e.g.
 *     24 h, 7 d, 90 d); empty means any duration. The core rounds a timer down to the next
 *     allowed one, never up.
 */
public record Capabilities(
    Set<String> e2eeSchemes,
    int maxTextLength,
    Level expiry,
    Level deliveryReceipts,
    Level replies,
    List<Duration> allowedTimers) {

  /** Capabilities that accept any timer duration. */
  public Capabilities(
      Set<String> e2eeSchemes, int maxTextLength, Level expiry, Level deliveryReceipts, Level replies) {
    this(e2eeSchemes, maxTextLength, expiry, deliveryReceipts, replies, List.of());
  }

  public Capabilities {
    allowedTimers = List.copyOf(Objects.requireNonNull(allowedTimers, "allowedTimers")).stream().sorted().toList();
    e2eeSchemes = Set.copyOf(Objects.requireNonNull(e2eeSchemes, "e2eeSchemes"));
    if (maxTextLength < 1) {
      throw new IllegalArgumentException("maxTextLength must be positive");
    }
    Objects.requireNonNull(expiry, "expiry");
    Objects.requireNonNull(deliveryReceipts, "deliveryReceipts");
    Objects.requireNonNull(replies, "replies");
  }

  public boolean supportsScheme(String scheme) {
    return e2eeSchemes.contains(scheme);
  }

  /** Whether the network's clients carry no end-to-end encryption at all (e.g. SMS). */
  public boolean plaintextOnly() {
    return e2eeSchemes.isEmpty();
  }

  /**
   * The timer this network can honour for a message that must live at most {@code seconds}: the
   * longest allowed duration not longer than it; empty when the network cannot honour timers or
   * every allowed duration is longer.
   */
  public Optional<Long> timerAtMost(long seconds) {
    if (!expiry.carries()) {
      return Optional.empty();
    }
    if (allowedTimers.isEmpty()) {
      return Optional.of(seconds);
    }
    Long best = null;
    for (Duration d : allowedTimers) {
      if (d.getSeconds() <= seconds) {
        best = d.getSeconds();
      }
    }
    return Optional.ofNullable(best);
  }
}
