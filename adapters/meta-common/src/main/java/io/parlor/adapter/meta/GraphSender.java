package io.parlor.adapter.meta;

import io.parlor.spi.DeliveryResult;
import io.parlor.spi.DeliveryTarget;
import io.parlor.spi.PermanentDeliveryException;
import io.parlor.spi.envelope.Envelope;
import java.util.concurrent.CompletableFuture;

/**
 * What a Graph platform's sender does for {@link GraphAdapter}: prepare a delivery (validate and
 * serialise it, refusing what can never be sent), then send it. One per adapter start.
 *
 * @param <P> a prepared delivery
 */
public interface GraphSender<P extends GraphSender.Prepared> {

  /** A delivery the sender prepared. */
  interface Prepared {
    /** The key of the per-recipient rate limit. */
    String recipientKey();

    /** What the delivery is, for messages (no identifiers). */
    String what();
  }

  /** Validates and serialises a delivery; refuses what can never be sent. */
  P prepare(Envelope envelope, DeliveryTarget target) throws PermanentDeliveryException;

  /** Sends a prepared delivery; the stage completes on the adapter's executor. */
  CompletableFuture<DeliveryResult> send(P prepared);
}
