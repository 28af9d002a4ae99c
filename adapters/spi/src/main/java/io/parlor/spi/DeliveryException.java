package io.parlor.spi;

/**
 * Why a delivery failed. A closed hierarchy: {@link TransientDeliveryException} (retry later),
 * {@link PermanentDeliveryException} (do not retry) and {@link AdapterUnavailableException} (the
 * adapter cannot deliver right now; the core may pick another route). Messages say what failed
 * with the raw network code, never secrets or message bodies.
 */
public abstract sealed class DeliveryException extends Exception
    permits TransientDeliveryException, PermanentDeliveryException, AdapterUnavailableException {
  private static final long serialVersionUID = 1L;

  protected DeliveryException(String message, Throwable cause) {
    super(message, cause);
  }
}
