package io.parlor.adapter.smpp;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jsmpp.session.SMPPSession;

/**
 * The submit window: jsmpp's {@code submitShortMessage} blocks its caller until the {@code
 * submit_sm_resp}, so submits run on {@code window} threads this object owns, never on the
 * caller's. At most {@code window} submits are in flight; up to {@code queueSize} more parts wait
 * for a slot; beyond that {@link #tryAdmit} refuses at once (fail fast). Thread-safe.
 *
 * <p>Also tracks which thread waits on which session, so that a lost session fails its in-flight
 * submits at once (instead of after the response timeout) by interrupting their threads: jsmpp's
 * response wait returns on interrupt.
 */
final class SubmitWindow {
  private final int window;
  private final Semaphore admission;
  private final ThreadPoolExecutor executor;
  private final InFlightSet inFlight = new InFlightSet();
  private volatile boolean closing;

  SubmitWindow(String threadPrefix, int window, int queueSize) {
    this.window = window;
    this.admission = new Semaphore(window + queueSize);
    AtomicInteger n = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            window,
            window,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, threadPrefix + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.allowCoreThreadTimeOut(true);
  }

  int window() {
    return window;
  }

  int inFlight() {
    return inFlight.size();
  }

  int queued() {
    return executor.getQueue().size();
  }

  boolean closing() {
    return closing;
  }

  /** Reserves room for {@code parts} parts, all or none. */
  boolean tryAdmit(int parts) {
    return !closing && admission.tryAcquire(parts);
  }

  /**
   * Runs one admitted part's submit on a window thread; {@code submit} gets a callback that frees
   * the part's admission, to call before completing the part (so a caller chaining the next
   * delivery on completion finds room). {@code onClosed} runs instead when the window closed
   * before the part started.
   */
  void run(Consumer<Runnable> submit, Runnable onClosed) {
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        admission.release();
      }
    };
    Runnable task = () -> {
      try {
        if (closing) {
          release.run();
          onClosed.run();
        } else {
          submit.accept(release);
        }
      } finally {
        release.run();
      }
    };
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      // closed between admission and now: the part never starts
      release.run();
      onClosed.run();
    }
  }

  /**
   * Registers the calling thread as waiting on {@code session} for {@code part}. Pair with {@link
   * #leave} in a finally block, on the same thread.
   */
  InFlightSet.Entry enter(SMPPSession session, CompletableFuture<String> part, String what) {
    return inFlight.enter(session, part, what);
  }

  void leave(InFlightSet.Entry e) {
    inFlight.leave(e);
  }

  /**
   * Fails every part in flight on {@code session} with {@code error} (given the part's
   * description) and wakes its thread.
   */
  int failSession(SMPPSession session, Function<String, Throwable> error) {
    return inFlight.fail(session, error);
  }

  /**
   * Stops taking parts: queued parts fail at once, parts in flight get {@code grace} to finish,
   * then their threads are interrupted (they fail as the link was lost). Blocks up to {@code
   * grace} plus a little.
   */
  void close(Duration grace, Function<String, Throwable> error) {
    closing = true;
    executor.shutdown();
    try {
      if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        inFlight.fail(null, error);
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
