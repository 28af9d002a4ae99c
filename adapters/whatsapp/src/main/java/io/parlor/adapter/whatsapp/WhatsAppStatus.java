package io.parlor.adapter.whatsapp;

import io.parlor.spi.envelope.MessageId;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A status the platform reported about a message this network sent ({@code statuses[]} of a
 * webhook). The core does not consume these yet; the normalizer exposes them so that receipts can
 * be correlated with {@link io.parlor.spi.DeliveryResult#networkMessageId()} later. Holds no
 * recipient identifier (metadata minimisation): the message id is enough to correlate.
 *
 * @param messageId the wamid of the message, in the same form as the delivery result's id
 * @param state what happened
 * @param at when it happened (UTC)
 * @param errorCode for {@link State#FAILED}, the first Graph error code, else null
 */
record WhatsAppStatus(MessageId messageId, State state, Instant at, Integer errorCode) {

  /** The statuses WhatsApp reports. A {@code read} may arrive without a {@code delivered}. */
  enum State {
    SENT,
    DELIVERED,
    READ,
    /** A voice message was played. */
    PLAYED,
    FAILED;

    /** The state for the wire value, empty for values this adapter does not know. */
    static Optional<State> fromWire(String wire) {
      if (wire == null) {
        return Optional.empty();
      }
      for (State s : values()) {
        if (s.name().toLowerCase(Locale.ROOT).equals(wire)) {
          return Optional.of(s);
        }
      }
      return Optional.empty();
    }
  }

  WhatsAppStatus {
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(at, "at");
  }

  Optional<Integer> errorCodeOpt() {
    return Optional.ofNullable(errorCode);
  }
}
