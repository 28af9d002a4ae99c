package io.parlor.adapter.messenger;

import io.parlor.spi.envelope.MessageId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A delivery or read event about messages this network sent ({@code messaging[].delivery} /
 * {@code .read}). The core does not consume these yet; the normalizer exposes them so that
 * receipts can be correlated later. Holds no recipient identifier.
 *
 * <p>Messenger reports watermarks: every message sent before {@link #at()} has reached the state;
 * {@code delivery} may also list message ids. Instagram's {@code read} names one message id.
 *
 * @param state delivered or read
 * @param messageIds ids named by the event, in delivery-result form; may be empty
 * @param at the watermark (or, when the event has none, the event's timestamp), UTC
 */
record MessengerStatus(State state, List<MessageId> messageIds, Instant at) {

  /** The events Messenger and Instagram report. */
  enum State {
    DELIVERED,
    READ
  }

  MessengerStatus {
    Objects.requireNonNull(state, "state");
    messageIds = List.copyOf(messageIds);
    Objects.requireNonNull(at, "at");
  }
}
