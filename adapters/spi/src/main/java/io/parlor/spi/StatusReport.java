package io.parlor.spi;

import io.parlor.spi.envelope.MessageId;
import java.time.Instant;
import java.util.Objects;

/**
 * What became of a message a network sent (contract 3.3).
 *
 * @param id the id the source network gave the message
 * @param status the outcome
 * @param reason short reason code ({@code recipient_unknown}, {@code expired}, ...), may be empty
 * @param at when it happened
 */
public record StatusReport(MessageId id, Status status, String reason, Instant at) {
  /** Outcomes reported to the sender's network. */
  public enum Status {
    DELIVERED,
    FAILED,
    EXPIRED,
    REJECTED;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public StatusReport {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(at, "at");
    reason = reason == null ? "" : reason;
  }
}
