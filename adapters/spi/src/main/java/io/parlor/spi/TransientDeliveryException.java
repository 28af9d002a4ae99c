package io.parlor.spi;

import java.time.Duration;
import java.util.Optional;

/** A failure worth retrying, optionally after the delay the network asked for. */
public final class TransientDeliveryException extends DeliveryException {
  private static final long serialVersionUID = 1L;
  private final transient Duration retryAfter;
  private final boolean busy;

  public TransientDeliveryException(String message, Duration retryAfter, Throwable cause) {
    this(message, retryAfter, cause, false);
  }

  private TransientDeliveryException(String message, Duration retryAfter, Throwable cause, boolean busy) {
    super(message, cause);
    this.retryAfter = retryAfter;
    this.busy = busy;
  }

  /**
   * The adapter refused the delivery itself, before it reached the network, because its own
   * capacity is taken (an SMPP window and its queue are full): back-pressure, not a failure of
   * the network. The gateway tries again after {@code retryAfter} without counting it against
   * the network (its circuit breaker, its health, the message's backoff).
   */
  public static TransientDeliveryException busy(String message, Duration retryAfter) {
    return new TransientDeliveryException(message, retryAfter, null, true);
  }

  /** Whether this is {@link #busy} back-pressure rather than a failure. */
  public boolean busy() {
    return busy;
  }

  public TransientDeliveryException(String message) {
    this(message, null, null);
  }

  /** The delay the network asked for (e.g. HTTP {@code Retry-After}), if any. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
