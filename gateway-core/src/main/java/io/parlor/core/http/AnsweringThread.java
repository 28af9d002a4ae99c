package io.parlor.core.http;

import java.util.function.Supplier;

/**
 * Whether the current thread is one of the node's HTTP event loops handing a request to its route
 * (set around {@link RequestHandler}'s dispatch): such a caller answers on this thread, so work it
 * starts may finish here too ({@link io.parlor.core.store.Store#writeHere}). Adapters calling
 * {@code InboundSink.accept} from threads of their own never see it set: to them the sink never
 * blocks, as the SPI says.
 */
public final class AnsweringThread {
  private static final ThreadLocal<Boolean> ANSWERING = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private AnsweringThread() {}

  /** Whether the calling thread is dispatching a request of the node's HTTP server. */
  public static boolean answering() {
    return ANSWERING.get();
  }

  static <T> T dispatching(Supplier<T> dispatch) {
    ANSWERING.set(Boolean.TRUE);
    try {
      return dispatch.get();
    } finally {
      ANSWERING.set(Boolean.FALSE);
    }
  }
}
