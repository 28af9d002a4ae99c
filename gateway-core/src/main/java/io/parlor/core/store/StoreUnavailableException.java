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

  /**
   * Whether {@code e} says the store is down rather than the work wrong: it cannot write for now,
   * a read hit a disk fault, or it is closing. A bug in a unit of work (a constraint, a null) is
   * not: that stays a 500 with its stack trace.
   */
  public static boolean storeDown(Throwable e) {
    if (in(e) || GroupCommitWriter.storeFault(e)) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StoreException && "store is closed".equals(t.getMessage())) {
        return true;
      }
    }
    return false;
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
