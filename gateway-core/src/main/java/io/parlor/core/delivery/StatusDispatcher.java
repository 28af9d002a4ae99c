package io.parlor.core.delivery;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.metrics.MetricNames;
import io.parlor.core.routing.NetworkRegistry;
import io.parlor.core.store.Store;
import io.parlor.core.store.StatusOutbox;
import io.parlor.spi.StatusReceiver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands statuses (delivered / failed / expired) from the durable outbox to the source network's
 * adapter, retrying transient failures with backoff a bounded number of times, then removes the
 * outbox row either way (a status is metadata: it is not kept indefinitely). Thread-safe.
 */
public final class StatusDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusDispatcher.class);

  private final Store store;
  private final NetworkRegistry networks;
  private final MeterRegistry meters;
  private final Retry retry;
  /** Set first by {@link #close}: what is not reported by then stays in the outbox. */
  private volatile boolean closed;
  private final java.util.Queue<Long> toRemove = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicBoolean removalQueued =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "status-retry");
            t.setDaemon(true);
            return t;
          });

  public StatusDispatcher(
      Store store, NetworkRegistry networks, RetryPolicies.Backoff backoff, MeterRegistry meters) {
    this.store = store;
    this.networks = networks;
    this.meters = meters;
    this.retry =
        Retry.of(
            "status",
            RetryConfig.custom()
                .maxAttempts(8)
                .intervalFunction(
                    IntervalFunction.ofExponentialRandomBackoff(backoff.initial(), 2.0, 0.5, backoff.max()))
                .retryOnException(RetryPolicies::isTransient)
                .build());
  }

  /** Loads statuses left in the outbox by a previous run and dispatches them. */
  public CompletionStage<Void> recover() {
    return store.read(StatusOutbox::all).thenAccept(list -> list.forEach(this::dispatch));
  }

  /**
   * Several nodes: takes over the statuses of nodes not seen since {@code before} (they died and
   * did not come back) and reports them. Run by one node of the cluster (housekeeping).
   */
  public CompletionStage<Integer> adopt(java.time.Instant before) {
    return store.write(c -> StatusOutbox.adopt(c, before)).thenApply(list -> {
      list.forEach(this::dispatch);
      return list.size();
    });
  }

  public void dispatch(StatusOutbox.Entry entry) {
    if (closed) {
      return; // stays in the outbox: reported at the next start (or by another node)
    }
    Optional<StatusReceiver> receiver =
        networks.get(entry.network()).flatMap(n -> n.adapter().feature(StatusReceiver.class));
    if (receiver.isEmpty()) {
      remove(entry, "unsupported");
      return;
    }
    retry
        .executeCompletionStage(timer, () -> receiver.get().reportStatus(entry.report()))
        .whenComplete(
            (v, err) -> {
              if (err != null && closed) {
                // cut short by the node's stop (its timer or the network's client closed): not a
                // failure of the network; the status stays in the outbox for the next start
                log.debug("closing: a status of network {} stays in the outbox", entry.network());
                return;
              }
              if (err != null) {
                log.warn(
                    "status {} for a message of network {} could not be reported: {}",
                    entry.report().status().wire(), entry.network(), err.toString());
              }
              remove(entry, err == null ? "reported" : "gave_up");
            });
  }

  private void remove(StatusOutbox.Entry entry, String outcome) {
    Counter.builder(MetricNames.STATUS_REPORTS)
        .tag(MetricNames.TAG_NETWORK, entry.network().value())
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(meters)
        .increment();
    toRemove.add(entry.id());
    if (removalQueued.compareAndSet(false, true)) {
      flushRemovals();
    }
  }

  /**
   * Deletes the reported statuses' rows: all that are waiting, in one unit of work (one per status
   * was a quarter of the store writer's units). A crash before it commits means those statuses are
   * reported once more at the next start, as for any status not yet removed.
   */
  private void flushRemovals() {
    // outside the unit: a run rolled back and run again (SqlWork#rerunnable) still has the ids the
    // first run took from the queue, and removes them with any new ones
    List<Long> ids = new ArrayList<>();
    store
        .writeLazily(
            io.parlor.core.store.SqlWork.rerunnable(c -> {
              removalQueued.set(false);
              for (Long id; (id = toRemove.poll()) != null; ) {
                ids.add(id);
              }
              StatusOutbox.remove(c, ids);
              return null;
            }))
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                if (!io.parlor.core.store.StoreUnavailableException.in(e) && !closed) {
                  log.warn("could not remove {} reported statuses from the outbox; will retry", ids.size(), e);
                }
                toRemove.addAll(ids);
                // the unit may not have run at all (queue full): keep the flag set and try again
                removalQueued.set(true);
                try {
                  timer.schedule(this::flushRemovals, 1, TimeUnit.SECONDS);
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                  log.debug("closing: {} statuses stay in the outbox for the next start", ids.size());
                }
              } else {
                store.noteDeletion();
              }
            });
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
