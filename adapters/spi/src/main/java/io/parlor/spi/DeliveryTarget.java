package io.parlor.spi;

import io.parlor.spi.envelope.Address;
import java.util.Objects;

/**
 * Where and under which idempotency key the core asks an adapter to deliver.
 *
 * @param recipient the recipient's account on the adapter's network
 * @param idempotencyKey gateway message id, stable across retries and restarts
 */
public record DeliveryTarget(Address recipient, String idempotencyKey) {
  public DeliveryTarget {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
  }
}
