package io.parlor.core.delivery;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parlor.core.metrics.MetricNames;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether each network takes deliveries: a network is failing from its first failed attempt worth
 * retrying (an error or timeout of the network, its circuit breaker open) until a delivery to it
 * succeeds again; one WARN when it starts failing, one INFO when it recovers, and the messages
 * waiting to retry there. What is kept names no message, person or account: the error is only
 * the adapter's description of the failure (the part after the message it was about).
 * Thread-safe.
 */
public final class DeliveryHealth {
  private static final Logger log = LoggerFactory.getLogger(DeliveryHealth.class);

  /** A failing network: since when, the latest error, how many attempts failed since. */
  public record Failing(Instant since, String lastError, long failures) {}

  private final Clock clock;
  private final MeterRegistry meters;
  private final ConcurrentHashMap<String, Failing> failing = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> retrying = new ConcurrentHashMap<>();
  /** Networks whose failing gauge is registered (once: it reads {@link #failing} ever after). */
  private final java.util.Set<String> gauged = ConcurrentHashMap.newKeySet();

  public DeliveryHealth(Clock clock, MeterRegistry meters) {
    this.clock = clock;
    this.meters = meters;
  }

  /** An attempt at {@code network} failed in a way worth retrying. */
  void failed(String network, Throwable cause) {
    String error = describe(cause);
    Failing before = failing.get(network);
    failing.compute(network, (k, f) -> f == null
        ? new Failing(clock.instant(), error, 1)
        : new Failing(f.since(), error, f.failures() + 1));
    if (before == null) {
      gauge(network);
      log.warn("network {} is failing deliveries ({}); retrying", network, error);
    }
  }

  /** A delivery to {@code network} succeeded. */
  void succeeded(String network) {
    Failing f = failing.remove(network);
    if (f != null) {
      log.info("network {} recovered: deliveries succeed again ({} failed attempts since {})",
          network, f.failures(), f.since());
    }
  }

  /** Whether, since when and how {@code network} is failing. */
  public Optional<Failing> failing(String network) {
    return Optional.ofNullable(failing.get(network));
  }

  /** Messages waiting to retry at {@code network}. */
  public int retrying(String network) {
    AtomicInteger n = retrying.get(network);
    return n == null ? 0 : n.get();
  }

  void retryWaitStarted(String network) {
    counter(network).incrementAndGet();
  }

  void retryWaitEnded(String network) {
    counter(network).decrementAndGet();
  }

  private AtomicInteger counter(String network) {
    return retrying.computeIfAbsent(network, k -> {
      AtomicInteger n = new AtomicInteger();
      Gauge.builder(MetricNames.DELIVERIES_RETRYING, n, AtomicInteger::get)
          .description("messages waiting to retry a delivery at the network")
          .tag(MetricNames.TAG_NETWORK, k)
          .register(meters);
      return n;
    });
  }

  private void gauge(String network) {
    if (!gauged.add(network)) {
      return; // a network failing again after it recovered: the gauge is there
    }
    Gauge.builder(MetricNames.NETWORK_FAILING, failing, m -> m.containsKey(network) ? 1 : 0)
        .description("1 while deliveries to the network fail (since its first failed attempt, until one succeeds)")
        .tag(MetricNames.TAG_NETWORK, network)
        .register(meters);
  }

  /**
   * The failure as the adapter described it, without the message it was about: adapters word an
   * error {@code "<message ...>: <what went wrong>"}, so only what follows the first ": " is kept.
   */
  static String describe(Throwable cause) {
    if (cause instanceof CallNotPermittedException) {
      return "circuit breaker open";
    }
    String m = cause.getMessage();
    int colon = m == null ? -1 : m.indexOf(": ");
    String what = colon < 0 ? cause.getClass().getSimpleName() : m.substring(colon + 2);
    return what.length() > 200 ? what.substring(0, 200) : what;
  }
}
