package io.parlor.tck;

import io.parlor.spi.AdapterContext;
import io.parlor.spi.EventResult;
import io.parlor.spi.Health;
import io.parlor.spi.InboundSink;
import io.parlor.spi.IngressResult;
import io.parlor.spi.NetworkReceipt;
import io.parlor.spi.envelope.Envelope;
import io.parlor.spi.envelope.Event;
import io.parlor.spi.envelope.NetworkId;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The core as the kit plays it: records what the adapter hands over and answers as a test says —
 * stored at once, held (the store has not committed yet), or failed (the store is down).
 */
public final class CoreDouble {
  /** How the core answers the next messages. */
  public enum Answer {
    STORE,
    HOLD,
    FAIL
  }

  public final List<Envelope> received = new CopyOnWriteArrayList<>();
  public final List<Event> events = new CopyOnWriteArrayList<>();
  public final List<NetworkReceipt> receipts = new CopyOnWriteArrayList<>();
  public final List<Health> health = new CopyOnWriteArrayList<>();
  /** Every metric name the adapter used, checked as the core checks it. */
  public final java.util.Set<String> metricNames = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final List<CompletableFuture<IngressResult>> held = new CopyOnWriteArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();
  private volatile Answer answer = Answer.STORE;

  public void answer(Answer a) {
    answer = a;
  }

  /** Lets the held messages be stored. */
  public void commitHeld() {
    for (CompletableFuture<IngressResult> f : held) {
      f.complete(new IngressResult.Accepted("g-" + ids.incrementAndGet()));
    }
    held.clear();
  }

  public AdapterContext context(NetworkId network, Clock clock) {
    InboundSink sink = e -> accept(e);
    return new AdapterContext(network, clock, sink, (n, h) -> health.add(h), receipts::add, e -> {
      events.add(e);
      return CompletableFuture.completedFuture(EventResult.accepted());
    }, new io.parlor.spi.AdapterMetrics() {
      @Override
      public void count(String event, long n) {
        metricNames.add(io.parlor.spi.AdapterMetrics.checked(event));
      }

      @Override
      public void time(String operation, java.time.Duration took) {
        metricNames.add(io.parlor.spi.AdapterMetrics.checked(operation));
      }

      @Override
      public void gauge(String stat, java.util.function.Supplier<Number> value) {
        metricNames.add(io.parlor.spi.AdapterMetrics.checked(stat));
        value.get(); // a gauge is read at every scrape: it must answer at once
      }
    });
  }

  private CompletionStage<IngressResult> accept(Envelope e) {
    received.add(e);
    switch (answer) {
      case HOLD -> {
        CompletableFuture<IngressResult> f = new CompletableFuture<>();
        held.add(f);
        return f;
      }
      case FAIL -> {
        return CompletableFuture.failedFuture(new InboundSink.StoreUnavailableException("the kit's store is down", null));
      }
      default -> {
        return CompletableFuture.completedFuture(new IngressResult.Accepted("g-" + ids.incrementAndGet()));
      }
    }
  }
}
