package io.parlor.core.delivery;

/** The message's deadline passed before it could be delivered. Never retried. */
final class ExpiredException extends Exception {
  private static final long serialVersionUID = 1L;

  ExpiredException() {
    super("message expired", null, false, false);
  }
}
