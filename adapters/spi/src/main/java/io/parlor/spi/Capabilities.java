package io.parlor.spi;

import java.util.Objects;
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
 */
public record Capabilities(
    Set<String> e2eeSchemes, int maxTextLength, Level expiry, Level deliveryReceipts, Level replies) {

  public Capabilities {
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
}
