package io.parlor.spi;

import io.parlor.spi.envelope.Envelope;
import java.util.concurrent.CompletionStage;

/**
 * Where an adapter hands the envelopes its network sent. Thread-safe; never blocks.
 *
 * <p>The returned stage completes only once the message is durable (or refused): acknowledge the
 * network then, never earlier. It completes exceptionally with {@link StoreUnavailableException}
 * when the message could not be stored; answer the network with a temporary error so it retries.
 *
 * <pre>{@code
 * sink.accept(envelope).whenComplete((result, error) -> ack(result, error));
 * }</pre>
 */
@FunctionalInterface
public interface InboundSink {
  CompletionStage<IngressResult> accept(Envelope envelope);

  /** The store could not take the message; the network should retry later. */
  final class StoreUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
