package io.parlor.spi;

import io.parlor.spi.envelope.Event;
import java.util.concurrent.CompletionStage;

/**
 * Where an adapter hands the events its network reported (read receipts, typing). Thread-safe;
 * never blocks. The stage completes with the core's answer; exceptionally with {@link
 * InboundSink.StoreUnavailableException} when a read receipt could not be recorded (answer the
 * network with a temporary error). Typing indicators are never stored.
 */
@Incubating
@FunctionalInterface
public interface EventSink {
  CompletionStage<EventResult> accept(Event event);

  /** A sink that refuses everything (for contexts without events). */
  static EventSink refusing() {
    return e -> java.util.concurrent.CompletableFuture.completedFuture(
        EventResult.refused(EventResult.UNSUPPORTED, "this node takes no events from this network"));
  }
}
