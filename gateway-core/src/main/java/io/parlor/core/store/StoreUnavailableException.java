package io.parlor.core.store;

/**
 * The store cannot write for now (disk full, I/O error, read-only filesystem): the caller's work
 * was not persisted, and the store retries by itself. Callers answer 503 {@code unavailable} with
 * {@code Retry-After}, or retry later; they need not log it, the store logs the fault once.
 */
public final class StoreUnavailableException extends StoreException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Whether {@code e} or one of its causes says the store cannot write for now. */
  public static boolean in(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StoreUnavailableException) {
        return true;
      }
    }
    return false;
  }
}
