package io.parlor.adapter.meta;

import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
import java.util.List;
import java.util.Map;

/**
 * What one webhook of a Graph platform carried, normalized. Immutable.
 *
 * @param messages messages, in payload order
 * @param statuses statuses of messages the network sent (the platform's own type), in payload order
 * @param reads read receipts, in payload order
 * @param skipped how many items were skipped, by kind (a type or a reason)
 * @param <S> the platform's status type
 */
public record WebhookBatch<S>(List<Envelope> messages, List<S> statuses, List<Event.Read> reads,
    Map<String, Integer> skipped) {
  /** A message the platform sent that could not be mapped (a skip reason every platform counts). */
  public static final String SKIP_INVALID_MESSAGE = "invalid_message";
  /** A status that could not be read. */
  public static final String SKIP_INVALID_STATUS = "invalid_status";
  /** A webhook of another object than the platform's. */
  public static final String SKIP_OTHER_OBJECT = "other_object";

  public WebhookBatch {
    messages = List.copyOf(messages);
    statuses = List.copyOf(statuses);
    reads = List.copyOf(reads);
    skipped = Map.copyOf(skipped);
  }

  /** How many items were skipped in all. */
  public int skippedCount() {
    return skipped.values().stream().mapToInt(Integer::intValue).sum();
  }
}
