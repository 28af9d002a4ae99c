package io.parlor.spi;

import java.time.Duration;
import java.util.Optional;

/** A failure worth retrying, optionally after the delay the network asked for. */
public final class TransientDeliveryException extends DeliveryException {
  private static final long serialVersionUID = 1L;
  private final transient Duration retryAfter;

  public TransientDeliveryException(String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.retryAfter = retryAfter;
  }

  public TransientDeliveryException(String message) {
    this(message, null, null);
  }

  /** The delay the network asked for (e.g. HTTP {@code Retry-After}), if any. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
