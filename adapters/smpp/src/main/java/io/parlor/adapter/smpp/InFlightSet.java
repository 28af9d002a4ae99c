package io.parlor.adapter.smpp;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jsmpp.session.SMPPSession;

/**
 * Which window thread waits on which session. Thread-safe: one lock, held while interrupting, so
 * that an interrupt meant for one submit never leaks into the next task of the same thread ({@link
 * #leave} clears the flag under the same lock).
 */
final class InFlightSet {
  private final Set<Entry> entries = new HashSet<>();

  /** One submit waiting for its response. */
  static final class Entry {
    final SMPPSession session;
    final Thread thread;
    final CompletableFuture<String> part;
    final String what;
    volatile boolean lost;

    Entry(SMPPSession session, Thread thread, CompletableFuture<String> part, String what) {
      this.session = session;
      this.thread = thread;
      this.part = part;
      this.what = what;
    }
  }

  synchronized Entry enter(SMPPSession session, CompletableFuture<String> part, String what) {
    Entry e = new Entry(session, Thread.currentThread(), part, what);
    entries.add(e);
    return e;
  }

  synchronized void leave(Entry e) {
    entries.remove(e);
    // Clear an interrupt aimed at this submit (it may have arrived after the response).
    Thread.interrupted();
  }

  synchronized int size() {
    return entries.size();
  }

  /**
   * Fails the entries on {@code session} (all entries when null) and interrupts their threads. The
   * futures are completed outside the lock: their dependents are the core's callbacks.
   */
  int fail(SMPPSession session, Function<String, Throwable> error) {
    List<Entry> failed = new ArrayList<>();
    synchronized (this) {
      for (Entry e : entries) {
        if (session == null || e.session == session) {
          e.lost = true;
          e.thread.interrupt();
          failed.add(e);
        }
      }
    }
    failed.forEach(e -> e.part.completeExceptionally(error.apply(e.what)));
    return failed.size();
  }
}
