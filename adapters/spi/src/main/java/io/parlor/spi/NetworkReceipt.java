package io.parlor.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * What a network reported about a message after it was handed over (an SMS delivery receipt, a
 * WhatsApp status). The core turns it into the status the sender's network receives.
 *
 * @param idempotencyKey the gateway message id the core delivered under, when the adapter knows
 *     it; may be null
 * @param networkMessageId the network's id from {@link DeliveryResult}; may be null when the
 *     idempotency key is given
 * @param outcome the final outcome
 * @param reason the network's raw error code for failures, else empty; never content
 * @param at when it happened
 */
@Incubating
public record NetworkReceipt(
    String idempotencyKey, String networkMessageId, Outcome outcome, String reason, Instant at) {

  /** Final outcomes. */
  public enum Outcome {
    DELIVERED,
    FAILED,
    EXPIRED
  }

  public NetworkReceipt {
    if (idempotencyKey == null && networkMessageId == null) {
      throw new IllegalArgumentException("a receipt needs the idempotency key or the network message id");
    }
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(at, "at");
    reason = reason == null ? "" : reason;
  }
}
