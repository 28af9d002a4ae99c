package io.parlor.spi;

import java.util.Objects;

/** A failure that retrying will not fix. */
public final class PermanentDeliveryException extends DeliveryException {
  private static final long serialVersionUID = 1L;

  /** Why the network refused the message. */
  public enum Reason {
    RECIPIENT_UNKNOWN,
    CONTENT_REJECTED,
    TOO_LONG,
    UNSUPPORTED,
    NOT_LINKED,
    AUTH,
    /** The platform's window for messages to this person is closed and nothing allowed reopens it. */
    WINDOW_CLOSED
  }

  private final Reason reason;

  public PermanentDeliveryException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason);
  }

  public PermanentDeliveryException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }
}
