package io.parlor.spi;

/** The adapter is not connected (stopped, reconnecting, auth failed). */
public final class AdapterUnavailableException extends DeliveryException {
  private static final long serialVersionUID = 1L;

  public AdapterUnavailableException(String message) {
    super(message, null);
  }
}
