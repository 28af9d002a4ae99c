package io.parlor.spi;

import java.util.concurrent.CompletionStage;

/**
 * Optional adapter feature: receives status reports about messages its network sent. Obtained
 * with {@link Adapter#feature(Class)}. {@link #reportStatus} must not block; it completes
 * exceptionally with a {@link DeliveryException} when the report could not be handed over.
 */
public interface StatusReceiver {
  CompletionStage<Void> reportStatus(StatusReport report);
}
