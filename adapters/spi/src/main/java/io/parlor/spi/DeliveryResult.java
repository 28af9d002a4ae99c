package io.parlor.spi;

import java.util.Optional;

/**
 * Successful hand-over of a message to a network.
 *
 * @param networkMessageId the network's id for the message, used to correlate receipts; may be null
 */
public record DeliveryResult(String networkMessageId) {
  public static DeliveryResult accepted() {
    return new DeliveryResult(null);
  }

  public Optional<String> networkMessageIdOpt() {
    return Optional.ofNullable(networkMessageId);
  }
}
