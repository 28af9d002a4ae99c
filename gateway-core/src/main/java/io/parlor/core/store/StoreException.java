package io.parlor.core.store;

/** A store operation failed; the caller's work was not persisted. */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
