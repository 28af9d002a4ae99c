package io.parlor.adapter.smpp;

import java.time.Instant;
import java.util.Objects;

/**
 * The final outcome of one message this adapter submitted, correlated across all its parts.
 * Immutable.
 *
 * @param networkMessageId the id returned in {@code DeliveryResult} (the first part's SMSC id)
 * @param idempotencyKey the gateway message id the core delivered under
 * @param outcome delivered, failed or expired
 * @param error the SMSC error code of the part that failed, empty when delivered
 * @param at when the adapter learnt it
 */
public record SmsReceipt(
    String networkMessageId, String idempotencyKey, Outcome outcome, String error, Instant at) {

  /** Final outcomes. A multi-part message is delivered once all its parts are. */
  public enum Outcome {
    DELIVERED,
    FAILED,
    EXPIRED
  }

  public SmsReceipt {
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(at, "at");
    error = error == null ? "" : error;
  }
}
