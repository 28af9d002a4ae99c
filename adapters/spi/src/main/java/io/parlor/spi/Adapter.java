package io.parlor.spi;

import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.http.HttpRoute;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One configured network connection (an account, a bind). Thread-safe.
 *
 * <p>Lifecycle: {@link #start()} and {@link #stop(Duration)} are idempotent; {@code stop} releases
 * every thread, socket and timer the adapter created. Connection failures are reported as
 * {@link #health()}, not thrown out of {@code start}.
 *
 * <p>Adapters never route, never read link or consent data, and never retry deliveries: the core
 * does. They do own protocol keep-alives and reconnects.
 */
public interface Adapter {

  CompletionStage<Void> start();

  CompletionStage<Void> stop(Duration grace);

  Health health();

  Capabilities capabilities();

  /**
   * Sends {@code envelope} to {@code target.recipient()} on this network. Never blocks the calling
   * thread. Completes with the network's message id, or exceptionally with a {@link
   * DeliveryException} saying whether a retry may help.
   */
  CompletionStage<DeliveryResult> deliver(Envelope envelope, DeliveryTarget target);

  /**
   * HTTP endpoints the core's server should host for this network (webhooks). Handlers are called
   * on an event loop and must not block. Paths must start with {@code /webhooks/<networkId>} or
   * {@code /v1/networks/<networkId>/}.
   */
  default List<HttpRoute> routes() {
    return List.of();
  }

  /** How this network shows senders; see {@link SenderPresentation}. */
  default SenderPresentation senderPresentation() {
    return new SenderPresentation.RelayAddress();
  }

  /** Optional operations, e.g. {@link StatusReceiver}. */
  default <T> Optional<T> feature(Class<T> type) {
    return Optional.empty();
  }
}
